/**
 * Wires configuration, Bedrock clients and the app into a running Bun server.
 *
 * @module
 */
import { randomBytes } from "node:crypto";
import type { Server } from "bun";
import { createApp } from "./app";
import { createControlClient, SdkBedrockControl } from "./bedrock/control";
import { SignedNativeInvoker } from "./bedrock/native-invoke";
import { BedrockOpenAiCompat } from "./bedrock/openai-compat";
import { UpstreamSender } from "./bedrock/raw/http1";
import { RawBedrockRuntime, sharedUpstream } from "./bedrock/raw-runtime";
import { createRuntimeClient, SdkBedrockRuntime } from "./bedrock/runtime";
import { countingInvoker, countingRuntime, UpstreamCounter } from "./bedrock/upstream-count";
import type { Config } from "./config";
import { currentFetchCap } from "./fetch-capacity";
import { type DrainResult, Lifecycle } from "./lifecycle";
import { createLogger, type Logger } from "./log";
import { ConcurrencyLimiter } from "./middleware/concurrency";
import { ModelCatalog } from "./models/catalog";
import { CatalogModelResolver } from "./models/resolver";
import { GatewayMetrics } from "./observability/metrics";
import { openStore } from "./state";
import { Access } from "./state/access";
import type { Store } from "./state/types";
import type { AppDeps } from "./types";

/**
 * How long startup waits for the first catalog load. The server already
 * answers meanwhile (/health 200; model requests 503 until the catalog is in).
 */
const CATALOG_STARTUP_WAIT_MS = 15_000;

/** How often expired stored responses are deleted. */
const PURGE_INTERVAL_MS = 10 * 60_000;

export interface GatewayOverrides {
  /** Point the Bedrock clients somewhere else (tests: the emulator). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  logger?: Logger;
  /** An already open store (else opened from config). */
  store?: Store;
}

export interface Gateway {
  server: Server<unknown>;
  url: string;
  deps: AppDeps;
  stop(): Promise<void>;
  /**
   * Graceful stop: /health turns 503 and new requests get 503 at once,
   * in-flight requests and streams get up to `config.shutdownDrainMs` to
   * finish, then the rest are interrupted (streams end with an error frame)
   * and the server closes.
   */
  shutdown(): Promise<DrainResult>;
}

/**
 * An HTTP/1.0 request without a Host header reaches Bun's handler with a
 * bare path as its URL (`/health`), which Hono cannot route (every such
 * request was a 404, /health included). Give it an absolute URL on a
 * placeholder host; everything else passes through untouched.
 */
export function withAbsoluteUrl(req: Request): Request {
  if (!req.url.startsWith("/")) return req;
  return new Request(`http://localhost${req.url}`, req);
}

/** Builds the production dependencies from config. */
export function buildDeps(config: Config, store: Store, overrides: GatewayOverrides = {}): AppDeps {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const runtimeClient = createRuntimeClient({
    region: config.region,
    maxAttempts: config.maxAttempts,
    ...(overrides.endpoint ? { endpoint: overrides.endpoint } : {}),
    ...(overrides.credentials ? { credentials: overrides.credentials } : {}),
  });
  const controlClient = createControlClient({
    region: config.region,
    maxAttempts: config.maxAttempts,
    ...(overrides.endpoint ? { endpoint: overrides.endpoint } : {}),
    ...(overrides.credentials ? { credentials: overrides.credentials } : {}),
  });
  const catalog = new ModelCatalog({
    control: new SdkBedrockControl(controlClient),
    region: config.region,
    ttlMs: config.modelCatalogTtlSeconds * 1000,
    allowList: config.modelAllowList,
    systemProfiles: config.enableCrossRegionInference,
    applicationProfiles: config.enableApplicationInferenceProfiles,
    logger,
  });
  const models = new CatalogModelResolver(catalog, {
    defaultModel: config.defaultModel,
    defaultEmbeddingModel: config.defaultEmbeddingModel,
    aliases: config.modelAliases,
    openaiNames: config.openaiModelNames,
  });
  catalog.onLoad((snapshot) => models.checkConfig(snapshot, logger));
  const limiter = new ConcurrencyLimiter(config.maxConcurrentRequests);
  // Converse / ConverseStream on the raw transport, and the native InvokeModel calls (the
  // Anthropic surface, Bedrock mode): our own sockets (one pool per process) unless
  // UPSTREAM_HTTP=fetch; they do not count against Bun's fetch limit.
  const http = config.upstreamHttp === "socket" ? sharedUpstream() : new UpstreamSender("fetch");
  const upstream = new UpstreamCounter(currentFetchCap(), () => http.inFlight);
  return {
    config,
    logger,
    lifecycle: new Lifecycle(),
    limiter,
    metrics: new GatewayMetrics({
      processMetrics: true,
      upstreamInFlight: () => limiter.inFlight,
      upstreamCalls: () => ({
        inFlight: upstream.inFlight,
        queued: upstream.queued,
        onSockets: http.inFlight,
        fetchCap: upstream.fetchCap,
      }),
    }),
    runtime: countingRuntime(
      config.bedrockTransport === "raw"
        ? new RawBedrockRuntime(runtimeClient, {
            http,
            ...(overrides.endpoint ? { endpoint: overrides.endpoint } : {}),
          })
        : new SdkBedrockRuntime(runtimeClient),
      upstream,
    ),
    native: countingInvoker(
      new SignedNativeInvoker(runtimeClient, {
        maxAttempts: config.maxAttempts,
        http,
        ...(overrides.endpoint ? { endpoint: overrides.endpoint } : {}),
      }),
      upstream,
    ),
    openaiCompat: new BedrockOpenAiCompat(
      runtimeClient,
      overrides.endpoint ? { endpoint: overrides.endpoint } : {},
    ),
    models,
    catalog,
    store,
  };
}

/**
 * Starts serving at once, then waits (bounded) for the first model-catalog
 * load, so the returned gateway normally has its catalog. If Bedrock is
 * unreachable it still resolves: /health answers 200, model requests get 503
 * and the catalog keeps retrying in the background.
 */
export async function startGateway(
  config: Config,
  overrides: GatewayOverrides = {},
): Promise<Gateway> {
  // Before listening: a database that cannot be reached is a clear startup error (StoreUnavailableError).
  // SQLite opens synchronously, so the server below listens at once as before.
  const opened = overrides.store ?? openStore(config);
  const store = opened instanceof Promise ? await opened : opened;
  const deps = buildDeps(config, store, overrides);
  // Not awaited: the server listens at once (health checks), the Responses route waits for it.
  deps.responsesSecret =
    config.responsesSecret ??
    store.sharedSecret("responses-seal", randomBytes(32).toString("base64url"));
  if (config.adminApiKey) {
    // Keys and budget totals are in memory before the first request.
    deps.access = await Access.open({
      config,
      store,
      logger: deps.logger,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
    });
  }
  const lifecycle = deps.lifecycle ?? new Lifecycle();
  deps.lifecycle = lifecycle;
  // /health says "starting" until the first catalog load has succeeded, failed or timed out,
  // so a load balancer (and `bun run start` users) only send traffic that can be served.
  let started = false;
  const ready = deps.isReady;
  deps.isReady = () => started && (ready?.() ?? true);
  const app = createApp(deps);
  const server = Bun.serve({
    port: config.port,
    hostname: config.host,
    // Long Bedrock calls disable the timer per request; this bounds idle keep-alive sockets.
    idleTimeout: config.httpIdleTimeoutSeconds,
    // Bun's own cap (128 MiB by default) answers a bare 413 before the app sees the request:
    // no JSON body, no access-log line, and MAX_BODY_BYTES above it not honoured. Lifted, so
    // the gateway's body limit (MAX_BODY_BYTES, checked on the declared length before any
    // byte is read, counted for chunked uploads) answers every oversized body itself.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    fetch: (req, srv) => app.fetch(withAbsoluteUrl(req), { server: srv }),
  });
  const host = server.hostname === "0.0.0.0" ? "127.0.0.1" : server.hostname;
  // Expired stored responses are already invisible; this reclaims their space.
  const purge = setInterval(() => {
    store.purgeExpiredResponses(Math.floor(Date.now() / 1000)).catch((err: unknown) => {
      deps.logger.warn("purging expired responses failed", { cause: String(err) });
    });
  }, PURGE_INTERVAL_MS);
  purge.unref?.();
  await deps.catalog.start(CATALOG_STARTUP_WAIT_MS);
  started = true;
  return {
    server,
    url: `http://${host}:${server.port}`,
    deps,
    stop: async () => {
      clearInterval(purge);
      deps.catalog.stop();
      await server.stop(true);
      await deps.access?.close();
      await store.close();
    },
    shutdown: async () => {
      const result = await lifecycle.drain(config.shutdownDrainMs);
      clearInterval(purge);
      deps.catalog.stop();
      await server.stop(true);
      // Buffered usage is written before the store closes: nothing is lost on SIGTERM.
      await deps.access?.close();
      await store.close();
      return result;
    },
  };
}
