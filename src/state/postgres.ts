/**
 * The fleet store: PostgreSQL through Bun's built-in client (`Bun.SQL`),
 * selected by DATABASE_URL. Same tables as the SQLite store.
 *
 * Migrations are versioned and run at startup inside one transaction that
 * holds a transaction-level advisory lock, so replicas starting together
 * apply each step exactly once (the others wait, then see it applied).
 *
 * @module
 */
import { SQL } from "bun";
import {
  aggregateUsage,
  KEY_COLUMNS,
  type KeyRow,
  keyValues,
  toKeyRecord,
  toUsageRow,
  usageQuerySql,
} from "./sql-common";
import type {
  KeyPatch,
  KeyRecord,
  ResponseStore,
  Store,
  StoredResponse,
  UsageQuery,
  UsageRecord,
  UsageRow,
} from "./types";
import { nowSeconds, totalTokens, utcDay } from "./types";

/** Arbitrary constant naming the migration lock (pg_advisory_xact_lock). */
const MIGRATION_LOCK = 741_852_963;

const MIGRATIONS: Array<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE SEQUENCE keys_seq;
      CREATE TABLE keys (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        hint TEXT NOT NULL,
        name TEXT NOT NULL,
        models TEXT,
        rpm INTEGER,
        tpm INTEGER,
        budget_tokens BIGINT,
        budget_period TEXT,
        expires_at BIGINT,
        metadata TEXT,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT,
        seq BIGINT NOT NULL
      );
      CREATE TABLE usage (
        ts BIGINT NOT NULL,
        day TEXT NOT NULL,
        key_id TEXT,
        model TEXT NOT NULL,
        error INTEGER NOT NULL,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        cache_read_tokens BIGINT NOT NULL,
        cache_write_tokens BIGINT NOT NULL
      );
      CREATE INDEX usage_ts ON usage (ts);
      CREATE INDEX usage_key_ts ON usage (key_id, ts);
      CREATE TABLE usage_daily (
        key_id TEXT NOT NULL,
        day TEXT NOT NULL,
        tokens BIGINT NOT NULL,
        PRIMARY KEY (key_id, day)
      );
      CREATE TABLE responses (
        id TEXT PRIMARY KEY,
        key_id TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT,
        data TEXT NOT NULL
      );
      CREATE INDEX responses_expires ON responses (expires_at);
    `,
  },
  {
    // Rows hold the requests of one key and model within one second (error = how many failed).
    version: 2,
    sql: "ALTER TABLE usage ADD COLUMN requests BIGINT NOT NULL DEFAULT 1",
  },
  {
    // Secrets every replica must share (the Responses sealing key).
    version: 3,
    sql: "CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
  },
];

export interface PostgresStoreOptions {
  /** Pool size per process. */
  max?: number;
  /** Seconds to wait for a connection. */
  connectionTimeout?: number;
}

export class PostgresStore implements Store {
  readonly kind = "postgres" as const;
  readonly responses: ResponseStore;
  readonly #sql: SQL;

  private constructor(sql: SQL) {
    this.#sql = sql;
    this.responses = new PostgresResponses(sql);
  }

  /**
   * Connects and migrates.
   * @throws when the database cannot be reached or a migration fails
   */
  static async open(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const sql = new SQL(url, {
      max: opts.max ?? 10,
      connectionTimeout: opts.connectionTimeout ?? 10,
      idleTimeout: 60,
    });
    try {
      await migrate(sql);
    } catch (err) {
      await sql.close({ timeout: 0 }).catch(() => {});
      throw err;
    }
    return new PostgresStore(sql);
  }

  async insertKey(k: KeyRecord): Promise<void> {
    const cols = [...KEY_COLUMNS, "seq"];
    const phs = KEY_COLUMNS.map((_, i) => `$${i + 1}`);
    await this.#sql.unsafe(
      `INSERT INTO keys (${cols.join(", ")}) VALUES (${phs.join(", ")}, nextval('keys_seq'))`,
      keyValues(k),
    );
  }

  async getKey(id: string): Promise<KeyRecord | null> {
    const rows: KeyRow[] = await this.#sql`SELECT * FROM keys WHERE id = ${id}`;
    return rows[0] ? toKeyRecord(rows[0]) : null;
  }

  async getKeyByHash(hash: string): Promise<KeyRecord | null> {
    const rows: KeyRow[] = await this.#sql`SELECT * FROM keys WHERE hash = ${hash}`;
    return rows[0] ? toKeyRecord(rows[0]) : null;
  }

  async listKeys(): Promise<KeyRecord[]> {
    const rows: KeyRow[] = await this.#sql`SELECT * FROM keys ORDER BY created_at, id`;
    return rows.map(toKeyRecord);
  }

  async updateKey(id: string, patch: KeyPatch): Promise<KeyRecord | null> {
    return this.#sql.begin(async (tx) => {
      const rows: KeyRow[] = await tx`SELECT * FROM keys WHERE id = ${id} FOR UPDATE`;
      if (!rows[0]) return null;
      const next: KeyRecord = { ...toKeyRecord(rows[0]), ...patch };
      const sets = KEY_COLUMNS.map((c, i) => `${c} = $${i + 1}`).join(", ");
      await tx.unsafe(
        `UPDATE keys SET ${sets}, seq = nextval('keys_seq') WHERE id = $${KEY_COLUMNS.length + 1}`,
        [...keyValues(next), id],
      );
      return next;
    });
  }

  async revokeKey(id: string, at: number): Promise<boolean> {
    const rows = await this.#sql`
      UPDATE keys SET revoked_at = ${at}, seq = nextval('keys_seq')
      WHERE id = ${id} AND revoked_at IS NULL RETURNING id`;
    return rows.length > 0;
  }

  async keysVersion(): Promise<string> {
    // count + sum(seq): changes on every insert/update even when commits land out of seq order.
    const rows: Array<{ n: string | number; s: string | number }> = await this
      .#sql`SELECT COUNT(*) AS n, COALESCE(SUM(seq), 0) AS s FROM keys`;
    return `${rows[0]?.n ?? 0}:${rows[0]?.s ?? 0}`;
  }

  async addUsage(batch: UsageRecord[]): Promise<void> {
    if (batch.length === 0) return;
    const rows = aggregateUsage(batch);
    const daily = new Map<string, { key_id: string; day: string; tokens: number }>();
    for (const u of batch) {
      if (u.keyId === null) continue;
      const day = utcDay(u.ts);
      const k = `${u.keyId}\u0000${day}`;
      const d = daily.get(k) ?? { key_id: u.keyId, day, tokens: 0 };
      d.tokens += totalTokens(u);
      daily.set(k, d);
    }
    await this.#sql.begin(async (tx) => {
      await tx`INSERT INTO usage ${tx(rows)}`;
      // Sorted so concurrent replicas lock usage_daily rows in the same order (no deadlock).
      for (const d of [...daily.values()].sort((a, b) =>
        `${a.key_id}${a.day}`.localeCompare(`${b.key_id}${b.day}`),
      )) {
        await tx`
          INSERT INTO usage_daily (key_id, day, tokens) VALUES (${d.key_id}, ${d.day}, ${d.tokens})
          ON CONFLICT (key_id, day) DO UPDATE SET tokens = usage_daily.tokens + EXCLUDED.tokens`;
      }
    });
  }

  async queryUsage(q: UsageQuery): Promise<UsageRow[]> {
    const { text, params } = usageQuerySql(q, (i) => `$${i}`);
    const rows: Array<Record<string, unknown>> = await this.#sql.unsafe(text, params);
    return rows.map((r) => toUsageRow(r, q));
  }

  async tokensSince(keyIds: string[], sinceDay: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (keyIds.length === 0) return out;
    const rows: Array<{ key_id: string; t: string | number }> = await this.#sql`
      SELECT key_id, SUM(tokens) AS t FROM usage_daily
      WHERE day >= ${sinceDay} AND key_id IN ${this.#sql(keyIds)} GROUP BY key_id`;
    for (const r of rows) out.set(r.key_id, Number(r.t));
    return out;
  }

  async purgeExpiredResponses(now: number): Promise<number> {
    const rows = await this.#sql`
      DELETE FROM responses WHERE expires_at IS NOT NULL AND expires_at <= ${now} RETURNING id`;
    return rows.length;
  }

  async sharedSecret(name: string, generated: string): Promise<string> {
    await this.#sql`
      INSERT INTO secrets (name, value) VALUES (${name}, ${generated}) ON CONFLICT (name) DO NOTHING`;
    const rows = await this.#sql`SELECT value FROM secrets WHERE name = ${name}`;
    return (rows[0] as { value: string } | undefined)?.value ?? generated;
  }

  async close(): Promise<void> {
    await this.#sql.close({ timeout: 5 });
  }
}

async function migrate(sql: SQL): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)`;
    const done = new Set(
      ((await tx`SELECT version FROM schema_migrations`) as Array<{ version: number }>).map((r) =>
        Number(r.version),
      ),
    );
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await tx.unsafe(m.sql);
      await tx`INSERT INTO schema_migrations (version, applied_at) VALUES (${m.version}, ${nowSeconds()})`;
    }
  });
}

class PostgresResponses implements ResponseStore {
  constructor(readonly sql: SQL) {}

  async putResponse(r: StoredResponse): Promise<void> {
    const data = JSON.stringify({
      response: r.response,
      inputItems: r.inputItems,
      conversation: r.conversation,
    });
    await this.sql`
      INSERT INTO responses (id, key_id, created_at, expires_at, data)
      VALUES (${r.id}, ${r.keyId}, ${r.createdAt}, ${r.expiresAt}, ${data})
      ON CONFLICT (id) DO UPDATE SET key_id = EXCLUDED.key_id, created_at = EXCLUDED.created_at,
        expires_at = EXCLUDED.expires_at, data = EXCLUDED.data`;
  }

  async getResponse(id: string): Promise<StoredResponse | null> {
    const rows: Array<{
      id: string;
      key_id: string | null;
      created_at: string | number;
      expires_at: string | number | null;
      data: string;
    }> = await this.sql`SELECT * FROM responses WHERE id = ${id}`;
    const row = rows[0];
    if (!row) return null;
    const expiresAt = row.expires_at === null ? null : Number(row.expires_at);
    if (expiresAt !== null && expiresAt <= nowSeconds()) return null;
    const data = JSON.parse(row.data) as Pick<
      StoredResponse,
      "response" | "inputItems" | "conversation"
    >;
    return {
      id: row.id,
      keyId: row.key_id,
      createdAt: Number(row.created_at),
      expiresAt,
      response: data.response,
      inputItems: data.inputItems,
      conversation: data.conversation,
    };
  }

  async deleteResponse(id: string): Promise<boolean> {
    const rows = await this.sql`DELETE FROM responses WHERE id = ${id} RETURNING id`;
    return rows.length > 0;
  }
}
