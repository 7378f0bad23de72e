/**
 * GET /health: open, no Bedrock call. 200 once the gateway serves requests;
 * 503 while it starts (first model-catalog load) and while it drains.
 *
 * @module
 */
import { Hono } from "hono";

export type HealthState = "ok" | "starting" | "draining";

export function healthRoute(state: () => HealthState = () => "ok"): Hono {
  const app = new Hono();
  app.get("/health", (c) => {
    const status = state();
    return c.json({ status }, status === "ok" ? 200 : 503);
  });
  return app;
}
