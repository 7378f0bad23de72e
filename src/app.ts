/**
 * The Hono app: middleware, routes under /v1 and /api/v1, and the single
 * place errors become responses.
 *
 * @module
 */
import { Hono } from "hono";
import { consoleRoute } from "./console/route";
import { ConverseRunner } from "./converse/run";
import { echo, GatewayError, requestOutcome } from "./errors";
import { type ErrorRenderer, errorResponse } from "./http/errors";
import { Lifecycle } from "./lifecycle";
import { gatewayAuth } from "./middleware/auth";
import { bodyLimit } from "./middleware/body-limit";
import { ConcurrencyLimiter, concurrencyLimit } from "./middleware/concurrency";
import { cors } from "./middleware/cors";
import { drainGate } from "./middleware/drain-gate";
import { requestId } from "./middleware/request-id";
import { accessLog } from "./observability/access-log";
import { GatewayMetrics } from "./observability/metrics";
import { adminRoute } from "./routes/admin";
import { healthRoute } from "./routes/health";
import { metricsRoute } from "./routes/metrics";
import { modelsRoute } from "./routes/models";
import { bedrockModeRoute } from "./surfaces/anthropic/bedrock-mode";
import { ANTHROPIC_PATH, anthropicErrorRender } from "./surfaces/anthropic/errors";
import { anthropicRoute } from "./surfaces/anthropic/route";
import { chatRoute } from "./surfaces/openai-chat/route";
import { embeddingsRoute } from "./surfaces/openai-embeddings/route";
import { openAIErrorBody } from "./surfaces/openai-errors";
import { responsesRoute } from "./surfaces/openai-responses/route";
import type { AppDeps, AppEnv } from "./types";

/**
 * The error shape of each surface, by path (the first match wins); OpenAI's
 * everywhere else. A surface with its own error shape adds a row here.
 */
const ERROR_RENDERERS: ReadonlyArray<{ match: RegExp; render: ErrorRenderer }> = [
  // /v1/messages*, /api/v1/messages* and /model/*: the Anthropic surface's errors, and auth and
  // limit refusals there (gatewayAuth renders through this table).
  { match: ANTHROPIC_PATH, render: anthropicErrorRender },
];

const ANTHROPIC_MODELS_PATH = /^\/(api\/)?v1\/models(\/|$)/;

/** The renderer for errors on `path` (and, for /v1/models, the request's headers). */
export function errorRendererFor(path: string, headers?: Headers): ErrorRenderer {
  // Anthropic clients also read GET /v1/models (they send anthropic-version).
  if (headers?.has("anthropic-version") && ANTHROPIC_MODELS_PATH.test(path))
    return anthropicErrorRender;
  return ERROR_RENDERERS.find((r) => r.match.test(path))?.render ?? openAIErrorBody;
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
  // Before the drain gate and auth: a preflight needs neither.
  if (config.corsOrigins.length > 0) app.use(cors(config.corsOrigins));
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
  // The web console (GET / and /console/*); its session probe goes through the whole app.
  app.route(
    "/",
    consoleRoute(async (request) => app.fetch(request), {
      model: config.defaultModel,
      embeddingModel: config.defaultEmbeddingModel,
    }),
  );

  // One instance of each, shared by /v1, /api/v1 and Bedrock mode's /model/*.
  const auth = gatewayAuth({
    apiKeys: config.apiKeys,
    renderFor: errorRendererFor,
    ...(access ? { access } : {}),
  });
  const limitBody = bodyLimit({
    maxSize: config.maxBodyBytes,
    onError: () => {
      throw new GatewayError(413, `Request body exceeds ${config.maxBodyBytes} bytes.`, {
        type: "invalid_request_error",
        code: "request_too_large",
      });
    },
  });
  const limitConcurrency = concurrencyLimit(limiter);

  const api = new Hono<AppEnv>();
  api.use(auth);
  api.use(limitBody);
  api.use(limitConcurrency);
  const runner = new ConverseRunner(deps);
  api.route("/", chatRoute(deps, runner));
  api.route("/", anthropicRoute(deps, runner));
  api.route("/", modelsRoute(deps));
  api.route("/", embeddingsRoute(deps));
  api.route("/", responsesRoute(deps, runner));

  app.route("/v1", api);
  app.route("/api/v1", api);

  // Claude Code's Bedrock mode: Bedrock's own paths at the root, behind the same key.
  // Middleware on /model/* only: a bare use() here would run for every path of the app.
  const bedrockMode = new Hono<AppEnv>();
  bedrockMode.use("/model/*", auth);
  bedrockMode.use("/model/*", limitBody);
  bedrockMode.use("/model/*", limitConcurrency);
  bedrockMode.route("/", bedrockModeRoute(deps));
  app.route("/", bedrockMode);

  app.notFound((c) =>
    errorResponse(
      new GatewayError(404, `Unknown route: ${echo(c.req.method, 20)} ${echo(c.req.path)}`, {
        code: "unknown_route",
      }),
      errorRendererFor(c.req.path),
      c.var.requestId ? { "x-request-id": c.var.requestId } : {},
    ),
  );
  app.onError((err, c) => {
    const error = requestOutcome(err, c.req.raw.signal.aborted);
    // The access line (observability/access-log.ts) reports every error; a bug also gets its stack.
    if (error.code === "internal_error") {
      const cause = error.cause instanceof Error ? error.cause : undefined;
      logger.error("unhandled error", { requestId: c.var.requestId, stack: cause?.stack });
    }
    const render = errorRendererFor(c.req.path, c.req.raw.headers);
    const headers: Record<string, string> = {};
    if (c.var.requestId) {
      headers["x-request-id"] = c.var.requestId;
      // Anthropic's SDKs read the request id from `request-id`.
      if (render === anthropicErrorRender) headers["request-id"] = c.var.requestId;
    }
    return errorResponse(error, render, headers);
  });
  return app;
}
