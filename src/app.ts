/**
 * The Hono app: middleware, routes under /v1 and /api/v1, and the single
 * place errors become responses.
 *
 * @module
 */
import { Hono } from "hono";
import { ConverseRunner } from "./converse/run";
import { echo, GatewayError, requestOutcome } from "./errors";
import { type ErrorRenderer, errorResponse } from "./http/errors";
import { Lifecycle } from "./lifecycle";
import { ANTHROPIC_PATH, anthropicErrorBody, gatewayAuth } from "./middleware/auth";
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
  // Auth and limit refusals under /v1/messages* and /model/* (the Anthropic surface brings its own renderer).
  { match: ANTHROPIC_PATH, render: anthropicErrorBody },
];

/** The renderer for errors on `path`. */
export function errorRendererFor(path: string): ErrorRenderer {
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

  const api = new Hono<AppEnv>();
  api.use(
    gatewayAuth({
      apiKeys: config.apiKeys,
      renderFor: errorRendererFor,
      ...(access ? { access } : {}),
    }),
  );
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
  const runner = new ConverseRunner(deps);
  api.route("/", chatRoute(deps, runner));
  api.route("/", modelsRoute(deps));
  api.route("/", embeddingsRoute(deps));
  api.route("/", responsesRoute(deps, runner));

  app.route("/v1", api);
  app.route("/api/v1", api);

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
    return errorResponse(
      error,
      errorRendererFor(c.req.path),
      c.var.requestId ? { "x-request-id": c.var.requestId } : {},
    );
  });
  return app;
}
