/**
 * The admin API (ADMIN_API_KEY): virtual keys and usage.
 *
 *   POST   /admin/keys            create; the secret is in this answer only
 *   GET    /admin/keys            list (no secrets; `key_hint` = last 4 characters)
 *   GET    /admin/keys/{id}
 *   PATCH  /admin/keys/{id}       change name, models, rpm, tpm, budget, expires_at, metadata
 *   DELETE /admin/keys/{id}       revoke, at once on every replica
 *   GET    /admin/usage?key_id=&from=&to=&group_by=key,model,day
 *
 * @module
 */
import { Hono } from "hono";
import { z } from "zod";
import { GatewayError, InvalidRequestError, storeUnavailableError } from "../errors";
import { methodNotAllowed } from "../http/method-not-allowed";
import { adminAuth } from "../middleware/auth";
import type { Access } from "../state/access";
import { hashSecret, newKeyId, newSecret } from "../state/keys";
import type { KeyPatch, KeyRecord, UsageGroup, UsageQuery } from "../state/types";
import { nowSeconds } from "../state/types";
import { paramPath } from "../validation";

const positiveInt = z.number().int().min(1).max(1_000_000_000_000);

const fields = {
  models: z
    .array(z.string().trim().min(1).max(512))
    .min(1, "must list at least one model (omit it or send null for every model)")
    .max(1000)
    .nullable(),
  rpm: positiveInt.nullable(),
  tpm: positiveInt.nullable(),
  budget: z
    .object({ tokens: positiveInt, period: z.enum(["day", "month", "total"]) })
    .strict()
    .nullable(),
  expires_at: z.number().int().min(0).nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
};

const createSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    models: fields.models.optional(),
    rpm: fields.rpm.optional(),
    tpm: fields.tpm.optional(),
    budget: fields.budget.optional(),
    expires_at: fields.expires_at.optional(),
    metadata: fields.metadata.optional(),
  })
  .strict();

const patchSchema = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    models: fields.models.optional(),
    rpm: fields.rpm.optional(),
    tpm: fields.tpm.optional(),
    budget: fields.budget.optional(),
    expires_at: fields.expires_at.optional(),
    metadata: fields.metadata.optional(),
  })
  .strict();

/** Parses a JSON body against `schema`, failing as a 400 that names the parameter. */
async function parseBody<T extends z.ZodType>(req: Request, schema: T): Promise<z.infer<T>> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw new InvalidRequestError("The request body must be a JSON object.", null, "invalid_json");
  }
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new InvalidRequestError("Invalid request body.");
  if (issue.code === "unrecognized_keys") {
    const name = issue.keys[0] ?? "";
    const param = paramPath([...issue.path, name]);
    throw new InvalidRequestError(`Unknown parameter '${param}'.`, param, "unknown_parameter");
  }
  const param = paramPath(issue.path);
  throw new InvalidRequestError(
    param ? `Invalid '${param}': ${issue.message}` : `Invalid request body: ${issue.message}`,
    param || null,
    "invalid_value",
  );
}

/** A key as the admin API shows it; `secret` only in the creation answer. */
function view(k: KeyRecord, access: Access, secret?: string): Record<string, unknown> {
  return {
    id: k.id,
    object: "api_key",
    ...(secret !== undefined ? { key: secret } : {}),
    key_hint: `...${k.hint}`,
    name: k.name,
    models: k.models,
    rpm: k.rpm,
    tpm: k.tpm,
    budget: k.budget,
    budget_used: k.budget ? access.budgets.used(k) : null,
    expires_at: k.expiresAt,
    metadata: k.metadata,
    created_at: k.createdAt,
    revoked_at: k.revokedAt,
  };
}

function notFound(id: string): GatewayError {
  return new GatewayError(404, `No API key with id '${id}'.`, {
    type: "not_found_error",
    code: "key_not_found",
    param: "id",
  });
}

const GROUPS = new Set<UsageGroup>(["key", "model", "day"]);

/** Unix seconds or YYYY-MM-DD (UTC); `end` makes a date mean the end of that day. */
function parseTime(raw: string, param: string, end: boolean): number {
  if (/^\d+$/.test(raw)) return Number(raw);
  if (/^\d{4}-\d{2}-\d{2}$/.test(raw)) {
    const ms = Date.parse(`${raw}T00:00:00Z`);
    if (!Number.isNaN(ms)) return ms / 1000 + (end ? 86_400 : 0);
  }
  throw new InvalidRequestError(
    `Invalid '${param}': expected unix seconds or YYYY-MM-DD.`,
    param,
    "invalid_value",
  );
}

export function usageQueryOf(params: Record<string, string | undefined>): UsageQuery {
  const q: UsageQuery = { groupBy: [] };
  if (params.key_id) q.keyId = params.key_id;
  if (params.from) q.from = parseTime(params.from, "from", false);
  if (params.to) q.to = parseTime(params.to, "to", true);
  if (params.group_by) {
    for (const g of params.group_by.split(",").map((s) => s.trim())) {
      if (g === "") continue;
      if (!GROUPS.has(g as UsageGroup)) {
        throw new InvalidRequestError(
          `Invalid 'group_by': '${g}' is not one of key, model, day.`,
          "group_by",
          "invalid_value",
        );
      }
      if (!q.groupBy.includes(g as UsageGroup)) q.groupBy.push(g as UsageGroup);
    }
  }
  return q;
}

/** A failure of the store itself (not our own validation) → 503, retryable. */
function storeUnavailable(err: unknown): never {
  throw storeUnavailableError(err);
}

export function adminRoute(adminKey: string, access: Access): Hono {
  const app = new Hono();
  const store = access.store;
  app.use("/admin/*", adminAuth(adminKey));
  app.use("/admin", adminAuth(adminKey));
  app.use("/admin/*", async (c, next) => {
    await next();
    // Hono keeps a handler's error on c.error and renders it after the middleware.
    if (c.error && !(c.error instanceof GatewayError)) storeUnavailable(c.error);
  });

  app.post("/admin/keys", async (c) => {
    const b = await parseBody(c.req.raw, createSchema);
    const secret = newSecret();
    const record: KeyRecord = {
      id: newKeyId(),
      hash: hashSecret(secret),
      hint: secret.slice(-4),
      name: b.name,
      models: b.models ?? null,
      rpm: b.rpm ?? null,
      tpm: b.tpm ?? null,
      budget: b.budget ?? null,
      expiresAt: b.expires_at ?? null,
      metadata: b.metadata ?? null,
      createdAt: nowSeconds(),
      revokedAt: null,
    };
    await store.insertKey(record);
    await access.changed(record.id);
    return c.json(view(record, access, secret), 201);
  });

  app.get("/admin/keys", async (c) => {
    const all = c.req.query("include_revoked") === "true";
    const keys = (await store.listKeys()).filter((k) => all || k.revokedAt === null);
    return c.json({ object: "list", data: keys.map((k) => view(k, access)) });
  });

  app.get("/admin/keys/:id", async (c) => {
    const id = c.req.param("id");
    const k = await store.getKey(id);
    if (!k) throw notFound(id);
    return c.json(view(k, access));
  });

  app.patch("/admin/keys/:id", async (c) => {
    const id = c.req.param("id");
    const b = await parseBody(c.req.raw, patchSchema);
    const current = await store.getKey(id);
    if (!current || current.revokedAt !== null) throw notFound(id);
    const patch: KeyPatch = {};
    if (b.name !== undefined) patch.name = b.name;
    if (b.models !== undefined) patch.models = b.models;
    if (b.rpm !== undefined) patch.rpm = b.rpm;
    if (b.tpm !== undefined) patch.tpm = b.tpm;
    if (b.budget !== undefined) patch.budget = b.budget;
    if (b.expires_at !== undefined) patch.expiresAt = b.expires_at;
    if (b.metadata !== undefined) patch.metadata = b.metadata;
    const updated = await store.updateKey(id, patch);
    if (!updated) throw notFound(id);
    await access.changed(id);
    return c.json(view(updated, access));
  });

  app.delete("/admin/keys/:id", async (c) => {
    const id = c.req.param("id");
    if (!(await store.revokeKey(id, nowSeconds()))) throw notFound(id);
    await access.changed(id);
    const k = await store.getKey(id);
    return c.json({ ...(k ? view(k, access) : { id }), deleted: true });
  });

  app.get("/admin/usage", async (c) => {
    const q = usageQueryOf(c.req.query());
    // This process's buffered usage first, so the answer includes it.
    await access.usage.flush();
    return c.json({ object: "list", data: await store.queryUsage(q) });
  });

  app.all("/admin/keys", methodNotAllowed(["GET", "POST"]));
  app.all("/admin/keys/:id", methodNotAllowed(["GET", "PATCH", "DELETE"]));
  app.all("/admin/usage", methodNotAllowed(["GET"]));
  return app;
}
