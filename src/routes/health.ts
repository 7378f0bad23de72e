/**
 * GET /health: open, no Bedrock call. 200 when the gateway serves requests.
 *
 * @module
 */
import { Hono } from "hono";

export function healthRoute(isReady: () => boolean = () => true): Hono {
  const app = new Hono();
  app.get("/health", (c) =>
    isReady() ? c.json({ status: "ok" }) : c.json({ status: "draining" }, 503),
  );
  return app;
}
