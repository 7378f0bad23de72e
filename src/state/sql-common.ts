/**
 * SQL and row mapping shared by the SQLite and PostgreSQL stores. Both use the
 * same tables and column names; only placeholders, types and upserts differ.
 *
 * @module
 */
import type { KeyRecord, UsageQuery, UsageRecord, UsageRow } from "./types";
import { utcDay } from "./types";

/** A keys row as both engines return it (numbers may come back as strings or bigints). */
export interface KeyRow {
  id: string;
  hash: string;
  hint: string;
  name: string;
  models: string | null;
  rpm: number | string | null;
  tpm: number | string | null;
  budget_tokens: number | string | bigint | null;
  budget_period: string | null;
  expires_at: number | string | bigint | null;
  metadata: string | null;
  created_at: number | string | bigint;
  revoked_at: number | string | bigint | null;
}

function num(v: number | string | bigint): number;
function num(v: number | string | bigint | null): number | null;
function num(v: number | string | bigint | null): number | null {
  return v === null ? null : Number(v);
}

export function toKeyRecord(r: KeyRow): KeyRecord {
  return {
    id: r.id,
    hash: r.hash,
    hint: r.hint,
    name: r.name,
    models: r.models === null ? null : (JSON.parse(r.models) as string[]),
    rpm: num(r.rpm),
    tpm: num(r.tpm),
    budget:
      r.budget_tokens === null || r.budget_period === null
        ? null
        : {
            tokens: Number(r.budget_tokens),
            period: r.budget_period as "day" | "month" | "total",
          },
    expiresAt: num(r.expires_at),
    metadata: r.metadata === null ? null : (JSON.parse(r.metadata) as Record<string, unknown>),
    createdAt: num(r.created_at),
    revokedAt: num(r.revoked_at),
  };
}

/** Column values of a key, in {@link KEY_COLUMNS} order. */
export function keyValues(k: KeyRecord): Array<string | number | null> {
  return [
    k.id,
    k.hash,
    k.hint,
    k.name,
    k.models === null ? null : JSON.stringify(k.models),
    k.rpm,
    k.tpm,
    k.budget?.tokens ?? null,
    k.budget?.period ?? null,
    k.expiresAt,
    k.metadata === null ? null : JSON.stringify(k.metadata),
    k.createdAt,
    k.revokedAt,
  ];
}

export const KEY_COLUMNS = [
  "id",
  "hash",
  "hint",
  "name",
  "models",
  "rpm",
  "tpm",
  "budget_tokens",
  "budget_period",
  "expires_at",
  "metadata",
  "created_at",
  "revoked_at",
] as const;

const GROUP_COLUMN = { key: "key_id", model: "model", day: "day" } as const;

/**
 * SELECT for GET /admin/usage. `ph(i)` renders the i-th (1-based) placeholder.
 * Group columns come from a fixed table, never from the request text.
 */
export function usageQuerySql(
  q: UsageQuery,
  ph: (i: number) => string,
): { text: string; params: Array<string | number> } {
  const where: string[] = [];
  const params: Array<string | number> = [];
  if (q.keyId !== undefined) {
    params.push(q.keyId);
    where.push(`key_id = ${ph(params.length)}`);
  }
  if (q.from !== undefined) {
    params.push(q.from * 1000);
    where.push(`ts >= ${ph(params.length)}`);
  }
  if (q.to !== undefined) {
    params.push(q.to * 1000);
    where.push(`ts < ${ph(params.length)}`);
  }
  const groups = q.groupBy.map((g) => GROUP_COLUMN[g]);
  const select = [
    ...groups,
    "COALESCE(SUM(requests), 0) AS requests",
    "COALESCE(SUM(error), 0) AS errors",
    "COALESCE(SUM(input_tokens), 0) AS input_tokens",
    "COALESCE(SUM(output_tokens), 0) AS output_tokens",
    "COALESCE(SUM(cache_read_tokens), 0) AS cache_read_tokens",
    "COALESCE(SUM(cache_write_tokens), 0) AS cache_write_tokens",
  ];
  let text = `SELECT ${select.join(", ")} FROM usage`;
  if (where.length > 0) text += ` WHERE ${where.join(" AND ")}`;
  if (groups.length > 0) text += ` GROUP BY ${groups.join(", ")} ORDER BY ${groups.join(", ")}`;
  return { text, params };
}

/** One stored usage row: the requests of one key and model within one second. */
export interface UsageAggregate {
  /** Unix ms of the second's start. */
  ts: number;
  day: string;
  key_id: string | null;
  model: string;
  requests: number;
  error: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}

/**
 * Folds a batch into one row per key, model and second: at high request
 * rates a flush writes a handful of rows instead of one per request, and
 * from/to (unix seconds) still select exactly.
 */
export function aggregateUsage(batch: readonly UsageRecord[]): UsageAggregate[] {
  const rows = new Map<string, UsageAggregate>();
  for (const u of batch) {
    const ts = Math.floor(u.ts / 1000) * 1000;
    const k = `${ts}\u0000${u.keyId ?? ""}\u0000${u.keyId === null ? "s" : "v"}\u0000${u.model}`;
    let r = rows.get(k);
    if (!r) {
      r = {
        ts,
        day: utcDay(ts),
        key_id: u.keyId,
        model: u.model,
        requests: 0,
        error: 0,
        input_tokens: 0,
        output_tokens: 0,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
      };
      rows.set(k, r);
    }
    r.requests++;
    if (u.error) r.error++;
    r.input_tokens += u.inputTokens;
    r.output_tokens += u.outputTokens;
    r.cache_read_tokens += u.cacheReadTokens;
    r.cache_write_tokens += u.cacheWriteTokens;
  }
  return [...rows.values()];
}

/** A raw aggregate row → the API's row (numbers as numbers, only the grouped columns). */
export function toUsageRow(r: Record<string, unknown>, q: UsageQuery): UsageRow {
  const row: UsageRow = {
    requests: Number(r.requests ?? 0),
    errors: Number(r.errors ?? 0),
    input_tokens: Number(r.input_tokens ?? 0),
    output_tokens: Number(r.output_tokens ?? 0),
    cache_read_tokens: Number(r.cache_read_tokens ?? 0),
    cache_write_tokens: Number(r.cache_write_tokens ?? 0),
  };
  const out: UsageRow = {} as UsageRow;
  for (const g of q.groupBy) {
    if (g === "key") out.key_id = (r.key_id as string | null) ?? null;
    if (g === "model") out.model = String(r.model);
    if (g === "day") out.day = String(r.day);
  }
  return Object.assign(out, row);
}
