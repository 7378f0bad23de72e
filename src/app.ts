/**
 * The Hono app: middleware, routes under /v1 and /api/v1, and the single
 * place errors become responses.
 *
 * @module
 */
import type { Server } from "bun";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { BedrockRuntime } from "./bedrock/runtime";
import type { Config } from "./config";
import { errorResponse, GatewayError, toGatewayError } from "./errors";
import type { Logger } from "./log";
import { bearerAuth } from "./middleware/auth";
import { type RequestIdVariables, requestId } from "./middleware/request-id";
import type { ModelCatalog } from "./models/catalog";
import type { ModelResolver } from "./models/resolver";
import { chatRoute } from "./routes/chat";
import { embeddingsRoute } from "./routes/embeddings";
import { healthRoute } from "./routes/health";
import { modelsRoute } from "./routes/models";

export interface AppDeps {
  config: Config;
  runtime: BedrockRuntime;
  models: ModelResolver;
  /** The cached Bedrock model inventory behind `models` and GET /models. */
  catalog: ModelCatalog;
  logger: Logger;
  /** False while draining; /health then answers 503. */
  isReady?: () => boolean;
}

export interface AppEnv {
  Variables: RequestIdVariables;
  Bindings: { server?: Server<unknown> };
}

export function createApp(deps: AppDeps): Hono<AppEnv> {
  const { config, logger } = deps;
  const app = new Hono<AppEnv>();

  app.use(requestId());
  app.use(async function accessLog(c, next) {
    const start = performance.now();
    await next();
    logger.info("request", {
      requestId: c.var.requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      latencyMs: Math.round((performance.now() - start) * 10) / 10,
    });
  });

  app.route("/", healthRoute(deps.isReady));

  const api = new Hono<AppEnv>();
  api.use(bearerAuth(config.apiKeys));
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
  api.route("/", chatRoute(deps));
  api.route("/", modelsRoute(deps));
  api.route("/", embeddingsRoute(deps));

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
    const fields = { requestId: c.var.requestId, status: error.status, code: error.code };
    if (error.status >= 500) logger.error("request failed", { ...fields, cause: describe(err) });
    else logger.debug("request rejected", fields);
    return errorResponse(error, c.var.requestId ? { "x-request-id": c.var.requestId } : {});
  });
  return app;
}

/** Name and message of an internal error, for logs only (never for clients). */
function describe(err: unknown): string {
  const e = err instanceof GatewayError && err.cause ? err.cause : err;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
