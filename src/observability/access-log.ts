/**
 * One JSON log line and one metrics sample per request, written when the
 * request is really over (for a stream: when the stream ends), with the facts
 * routes put on `c.var.obs`. It also counts the request in and out of the
 * {@link Lifecycle}, so a drain knows what is still running.
 *
 * The line never carries prompts, completions, headers or keys: only ids,
 * the route, the model, sizes, timings and error codes.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { type GatewayError, requestOutcome } from "../errors";
import type { Lifecycle } from "../lifecycle";
import type { Logger } from "../log";
import type { GatewayMetrics } from "./metrics";
import { RequestObs } from "./request-obs";

export interface ObsVariables {
  obs: RequestObs;
}

export interface AccessLogDeps {
  logger: Logger;
  metrics: GatewayMetrics;
  lifecycle: Lifecycle;
  /**
   * Runs once per request when it is really over (usage recording for
   * virtual keys: src/state/access.ts), before the access line is written.
   */
  onFinished?: (obs: RequestObs, error: GatewayError | undefined) => void;
}

/** Routes polled by machines: logged at debug so health checks do not flood the logs. */
const QUIET_ROUTES = new Set(["/health", "/metrics"]);

export function accessLog(
  deps: AccessLogDeps,
): MiddlewareHandler<{ Variables: ObsVariables & { requestId: string } }> {
  const { logger, metrics, lifecycle, onFinished } = deps;
  return async function accessLog(c, next) {
    const leave = lifecycle.enter();
    const obs = new RequestObs(lifecycle.shutdownSignal);
    c.set("obs", obs);
    try {
      await next();
    } finally {
      obs.finishUnlessStreaming();
      if (obs.streaming) metrics.streamOpened();
      // Hono keeps the thrown error on c.error; read it now, the context is reused later.
      const thrown = c.error;
      // A client that went away before its response is `cancelled`, whatever the abort became.
      const clientGone = c.req.raw.signal.aborted;
      const status = c.res.status;
      const route = routeLabel(routePath(c, -1));
      const method = c.req.method;
      const path = c.req.path;
      const requestId = c.var.requestId;
      void obs.settled.then(() => {
        if (obs.streaming) metrics.streamClosed();
        const error =
          obs.streamError ??
          obs.refusal ??
          (thrown === undefined ? undefined : requestOutcome(thrown, clientGone));
        if (error?.code === "client_cancelled") obs.cancelled = true;
        if (obs.cancelled) metrics.requestCancelled(route, obs.streaming);
        if (onFinished) {
          try {
            onFinished(obs, error);
          } catch (err) {
            logger.error("usage recording failed", { requestId, cause: String(err) });
          }
        }
        const latencyMs = performance.now() - obs.startedAt;
        const exception = error && !obs.cancelled ? bedrockExceptionOf(error) : undefined;
        // The model label only for requests Bedrock could have served; keeps cardinality bounded.
        const modelLabel = status >= 400 && status < 429 ? "" : (obs.model ?? "");
        if (exception) metrics.bedrockError(exception, modelLabel);
        metrics.observeRequest({
          route,
          method,
          status,
          model: modelLabel,
          stream: obs.streaming,
          latencySeconds: latencyMs / 1000,
          ttftSeconds: obs.ttftMs === undefined ? undefined : obs.ttftMs / 1000,
          tokensIn: obs.tokensIn,
          tokensOut: obs.tokensOut,
        });
        const fields = {
          requestId,
          method,
          path,
          route,
          status,
          keyId: obs.principal?.keyId ?? undefined,
          latencyMs: round(latencyMs),
          model: obs.model,
          stream: obs.streaming || undefined,
          ttftMs: obs.ttftMs === undefined ? undefined : round(obs.ttftMs),
          tokensIn: obs.tokensIn,
          tokensOut: obs.tokensOut,
          bedrockRequestId: obs.bedrockRequestId ?? bedrockRequestIdOf(error),
          sessionId: obs.sessionId,
          errorType: error?.type,
          errorCode: error?.code ?? undefined,
          bedrockException: exception,
          cancelled: obs.cancelled || undefined,
          cause:
            error && error.status >= 500 && error.status !== 499 ? describeCause(error) : undefined,
        };
        if (QUIET_ROUTES.has(route)) logger.debug("request", fields);
        else if (error && error.status >= 500 && !obs.cancelled) logger.warn("request", fields);
        else logger.info("request", fields);
        leave();
      });
    }
  };
}

/** The registered route, one label for /v1 and /api/v1, "unmatched" for 404s. */
export function routeLabel(pattern: string): string {
  if (pattern === "" || pattern.endsWith("*")) return "unmatched";
  return pattern.startsWith("/api/v1/") ? pattern.slice(4) : pattern;
}

/** Bedrock exception name behind an error, if Bedrock (or the way to it) failed. */
export function bedrockExceptionOf(error: GatewayError): string | undefined {
  const cause = error.cause;
  if (typeof cause === "object" && cause !== null && "name" in cause) {
    const name = String(cause.name);
    if (/Exception$/i.test(name) || "$metadata" in cause) {
      // Mid-stream frames arrive as lowerCamel names (throttlingException).
      return name.charAt(0).toUpperCase() + name.slice(1);
    }
  }
  // Failures on the way to Bedrock, without an exception from it.
  if (
    error.code === "upstream_timeout" ||
    error.code === "upstream_unreachable" ||
    error.code === "upstream_incomplete"
  ) {
    return error.code;
  }
  return undefined;
}

function bedrockRequestIdOf(error: GatewayError | undefined): string | undefined {
  const cause = error?.cause;
  if (typeof cause !== "object" || cause === null || !("$metadata" in cause)) return undefined;
  const meta = cause.$metadata as { requestId?: unknown } | undefined;
  return typeof meta?.requestId === "string" ? meta.requestId : undefined;
}

/** Name and message of what went wrong, for operators; bounded in size. */
function describeCause(error: GatewayError): string {
  const e = error.cause instanceof Error ? error.cause : error;
  const text = `${e.name}: ${e.message}`;
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
