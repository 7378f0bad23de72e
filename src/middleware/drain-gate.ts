/**
 * While the gateway drains, new work is refused with 503 (and
 * `connection: close`, so keep-alive clients reconnect to another instance).
 * /health stays up to say "draining"; /metrics stays up so the drain is visible.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { type Lifecycle, shuttingDownError } from "../lifecycle";

const ALWAYS_OPEN = new Set(["/health", "/metrics"]);

export function drainGate(lifecycle: Lifecycle): MiddlewareHandler {
  return async function drainGate(c, next) {
    if (lifecycle.draining && !ALWAYS_OPEN.has(c.req.path)) throw shuttingDownError();
    return next();
  };
}
