/**
 * @module
 * Out-of-process control of a running emulator (no AWS auth): health, recorded requests,
 * scripts, reset, stats and catalog replacement under `/__emulator/*`.
 */
import { Hono } from "hono";
import { type EmulatorState, resetState } from "./state";
import type { CatalogOverride, RecordedRequest, Script } from "./types";

/** Recorded requests as JSON: the raw body travels base64-encoded. */
function serializable(r: RecordedRequest): Record<string, unknown> {
  return { ...r, rawBody: Buffer.from(r.rawBody).toString("base64") };
}

export function controlRoutes(state: EmulatorState): Hono {
  const app = new Hono();
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/requests", (c) => c.json(state.requests.map(serializable)));
  app.get("/stats", (c) => c.json(state.stats));
  app.post("/script", async (c) => {
    const body = (await c.req.json()) as Script | Script[];
    const scripts = Array.isArray(body) ? body : [body];
    state.scripts.enqueue(...scripts);
    return c.json({ queued: scripts.length, pending: state.scripts.pending });
  });
  app.post("/reset", (c) => {
    resetState(state);
    return c.json({ status: "reset" });
  });
  app.put("/catalog", async (c) => {
    state.catalog.set((await c.req.json()) as CatalogOverride);
    return c.json({ status: "updated" });
  });
  return app;
}
