/**
 * The Hono app: middleware, routes under /v1 and /api/v1, and the single
 * place errors become responses.
 *
 * @module
 */
import type { Server } from "bun";
import { Hono } from "hono";
import type { BedrockOpenAiCompat } from "./bedrock/openai-compat";
import type { BedrockRuntime } from "./bedrock/runtime";
import type { Config } from "./config";
import { errorResponse, GatewayError, toGatewayError } from "./errors";
import { Lifecycle } from "./lifecycle";
import type { Logger } from "./log";
import { type AuthVariables, gatewayAuth } from "./middleware/auth";
import { bodyLimit } from "./middleware/body-limit";
import { ConcurrencyLimiter, concurrencyLimit } from "./middleware/concurrency";
import { drainGate } from "./middleware/drain-gate";
import { type RequestIdVariables, requestId } from "./middleware/request-id";
import type { ModelCatalog } from "./models/catalog";
import type { ModelResolver } from "./models/resolver";
import { accessLog, type ObsVariables } from "./observability/access-log";
import { GatewayMetrics } from "./observability/metrics";
import { adminRoute } from "./routes/admin";
import { chatRoute } from "./routes/chat";
import { embeddingsRoute } from "./routes/embeddings";
import { healthRoute } from "./routes/health";
import { metricsRoute } from "./routes/metrics";
import { modelsRoute } from "./routes/models";
import type { Access } from "./state/access";
import type { Store } from "./state/types";
import { responsesRoute } from "./surfaces/openai-responses/route";

export interface AppDeps {
  config: Config;
  runtime: BedrockRuntime;
  models: ModelResolver;
  /** The cached Bedrock model inventory behind `models` and GET /models. */
  catalog: ModelCatalog;
  logger: Logger;
  /** False while draining; /health then answers 503. */
  isReady?: () => boolean;
  /** Prometheus registry for /metrics; a fresh one when absent. */
  metrics?: GatewayMetrics;
  /** Ready/draining state and in-flight count for graceful shutdown. */
  lifecycle?: Lifecycle;
  /** Cap on API requests in flight; from config.maxConcurrentRequests when absent. */
  limiter?: ConcurrencyLimiter;
  /** Bedrock's OpenAI-compatible endpoint, for models served only there (BEDROCK_OPENAI_MODELS). */
  openaiCompat?: BedrockOpenAiCompat;
  /** Persistent state (src/state/): keys, usage, and `store.responses` for the Responses API. */
  store: Store;
  /** Virtual keys, limits and usage; present when ADMIN_API_KEY is set. */
  access?: Access;
}

export interface AppEnv {
  Variables: RequestIdVariables & ObsVariables & AuthVariables;
  Bindings: { server?: Server<unknown> };
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const { config, logger } = deps;
  const app = new Hono<AppEnv>();

  const lifecycle = deps.lifecycle ?? new Lifecycle();
  const limiter = deps.limiter ?? new ConcurrencyLimiter(config.maxConcurrentRequests);
  const metrics = deps.metrics ?? new GatewayMetrics({ upstreamInFlight: () => limiter.inFlight });

  app.use(requestId());
  const access = deps.access;
  app.use(
    accessLog({
      logger,
      metrics,
      lifecycle,
      ...(access ? { onFinished: (obs, error) => access.finish(obs, error) } : {}),
    }),
  );
  app.use(drainGate(lifecycle));

  app.route(
    "/",
    healthRoute(() => {
      if (lifecycle.draining) return "draining";
      return (deps.isReady?.() ?? true) ? "ok" : "starting";
    }),
  );
  app.route("/", metricsRoute(metrics, config.apiKeys));
  // Unset ADMIN_API_KEY: no /admin routes, so every /admin path is the 404 below.
  if (config.adminApiKey && access) app.route("/", adminRoute(config.adminApiKey, access));

  const api = new Hono<AppEnv>();
  api.use(gatewayAuth({ apiKeys: config.apiKeys, ...(access ? { access } : {}) }));
  api.use(
    bodyLimit({
      maxSize: config.maxBodyBytes,
      onError: () => {
        throw new GatewayError(413, `Request body exceeds ${config.maxBodyBytes} bytes.`, {
          type: "invalid_request_error",
          code: "request_too_large",
        });
      },
    }),
  );
  api.use(concurrencyLimit(limiter));
  api.route("/", chatRoute(deps));
  api.route("/", modelsRoute(deps));
  api.route("/", embeddingsRoute(deps));
  api.route("/", responsesRoute(deps));

  app.route("/v1", api);
  app.route("/api/v1", api);

  app.notFound((c) =>
    errorResponse(
      new GatewayError(404, `Unknown route: ${c.req.method} ${c.req.path}`, {
        code: "unknown_route",
      }),
    ),
  );
  app.onError((err, c) => {
    const error = toGatewayError(err);
    // The access line (observability/access-log.ts) reports every error; a bug also gets its stack.
    if (error.code === "internal_error") {
      const cause = error.cause instanceof Error ? error.cause : undefined;
      logger.error("unhandled error", { requestId: c.var.requestId, stack: cause?.stack });
    }
    return errorResponse(error, c.var.requestId ? { "x-request-id": c.var.requestId } : {});
  });
  return app;
}
