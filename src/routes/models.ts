/**
 * GET /models, GET /models/{id} (OpenAI's model objects, from the cached
 * catalog: no AWS call) and POST /models/refresh (reload the catalog now).
 *
 * @module
 */
import { Hono } from "hono";
import { GatewayError, ModelNotFoundError } from "../errors";
import { methodNotAllowed } from "../http/method-not-allowed";
import type { CatalogEntry } from "../models/catalog";
import { CatalogUnavailableError, findModel } from "../models/resolver";
import { mayUse } from "../state/principal";
import type { AppDeps, AppEnv } from "../types";

/** OpenAI's model object. */
export interface OpenAIModel {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

function toModel(entry: CatalogEntry, id = entry.id): OpenAIModel {
  return { id, object: "model", created: entry.created, owned_by: entry.ownedBy };
}

/** Anthropic's model object, for clients that send `anthropic-version`. */
function toAnthropicModel(entry: CatalogEntry, id = entry.id) {
  return {
    type: "model" as const,
    id,
    display_name: id,
    created_at: new Date(entry.created * 1000).toISOString(),
  };
}

export function modelsRoute(deps: AppDeps): Hono<AppEnv> {
  const { catalog, config, logger } = deps;
  const app = new Hono<AppEnv>();

  app.get("/models", (c) => {
    const snapshot = catalog.current();
    if (!snapshot) throw new CatalogUnavailableError();
    // A virtual key sees only the models it may use.
    const principal = c.var.principal;
    const entries = snapshot.entries.filter((e) => mayUse(principal, e.id, e.invokeId));
    if (c.req.header("anthropic-version") !== undefined) {
      // Anthropic's list shape (one page: the catalog is in memory).
      const data = entries.filter((e) => e.type === "chat").map((e) => toAnthropicModel(e));
      return c.json({
        data,
        has_more: false,
        first_id: data[0]?.id ?? null,
        last_id: data.at(-1)?.id ?? null,
      });
    }
    return c.json({ object: "list", data: entries.map((e) => toModel(e)) });
  });

  // Forced reload, behind the API key like every /v1 route. Concurrent calls share one load
  // (the catalog joins a load in flight); and it is rate-limited, since each load costs three
  // or more control-plane calls: a catalog loaded within REFRESH_MIN_INTERVAL_MS is answered as
  // it is, and a failed reload is not retried on request within that interval
  // (MODEL_REFRESH_MIN_INTERVAL_SECONDS).
  const REFRESH_MIN_INTERVAL_MS = config.modelRefreshMinIntervalSeconds * 1000;
  let lastFailureAt = Number.NEGATIVE_INFINITY;
  app.post("/models/refresh", async (c) => {
    const now = Date.now();
    const current = catalog.current();
    if (current && now - current.loadedAt < REFRESH_MIN_INTERVAL_MS) {
      return c.json({
        status: "fresh",
        models: current.entries.length,
        loaded_at: Math.floor(current.loadedAt / 1000),
      });
    }
    const waitMs = lastFailureAt + REFRESH_MIN_INTERVAL_MS - now;
    if (waitMs > 0) {
      throw new GatewayError(
        429,
        "The model catalog refresh failed moments ago; retry after the interval.",
        {
          code: "refresh_rate_limited",
          headers: { "retry-after": String(Math.ceil(waitMs / 1000)) },
        },
      );
    }
    try {
      const snapshot = await catalog.refresh();
      logger.info("model catalog refreshed on request", { models: snapshot.entries.length });
      return c.json({
        status: "refreshed",
        models: snapshot.entries.length,
        loaded_at: Math.floor(snapshot.loadedAt / 1000),
      });
    } catch (err) {
      lastFailureAt = Date.now();
      throw new GatewayError(
        502,
        "Refreshing the model catalog from Bedrock failed; the previous catalog stays in service.",
        { code: "catalog_refresh_failed", cause: err },
      );
    }
  });

  // `{.+}` so ids with `/` (application profile ARNs) match whether or not the client encoded them.
  app.get("/models/:id{.+}", (c) => {
    const id = c.req.param("id");
    const entry = findModel(catalog, config.modelAliases, id);
    if (!mayUse(c.var.principal, id, entry.id, entry.invokeId)) throw new ModelNotFoundError(id);
    // An alias answers under its own name: that is the id the client uses.
    if (c.req.header("anthropic-version") !== undefined) return c.json(toAnthropicModel(entry, id));
    return c.json(toModel(entry, id));
  });

  app.all("/models", methodNotAllowed(["GET"]));
  app.all("/models/refresh", methodNotAllowed(["POST"]));
  app.all("/models/:id{.+}", methodNotAllowed(["GET"]));
  return app;
}
