/**
 * GET /metrics: Prometheus text exposition, behind the same bearer keys as
 * the API (Prometheus sends them with `authorization: {credentials: …}`), so
 * token counts and model usage are not public on an internet-facing port.
 *
 * @module
 */
import { Hono } from "hono";
import { bearerAuth } from "../middleware/auth";
import type { GatewayMetrics } from "../observability/metrics";

export function metricsRoute(metrics: GatewayMetrics, apiKeys: readonly string[]): Hono {
  const app = new Hono();
  app.get("/metrics", bearerAuth(apiKeys), async (c) => {
    const { body, contentType } = await metrics.render();
    return c.body(body, 200, { "content-type": contentType, "cache-control": "no-store" });
  });
  return app;
}
