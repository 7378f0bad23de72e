/**
 * The default store: one SQLite file (`gateway.sqlite`) under DATA_DIR, in WAL
 * mode so several gateway processes on one machine share it (readers never
 * block the writer; writers wait up to 5 s for each other).
 *
 * bun:sqlite is synchronous; every call here is short (indexed lookups,
 * batched inserts) and none is on the request hot path.
 *
 * @module
 */
import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
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
import { nowSeconds } from "./types";

/** Versioned schema; each step runs once, in order, inside one write transaction. */
const MIGRATIONS: Array<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE keys (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        hint TEXT NOT NULL,
        name TEXT NOT NULL,
        models TEXT,
        rpm INTEGER,
        tpm INTEGER,
        budget_tokens INTEGER,
        budget_period TEXT,
        expires_at INTEGER,
        metadata TEXT,
        created_at INTEGER NOT NULL,
        revoked_at INTEGER,
        seq INTEGER NOT NULL
      );
      CREATE TABLE usage (
        ts INTEGER NOT NULL,
        day TEXT NOT NULL,
        key_id TEXT,
        model TEXT NOT NULL,
        error INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL
      );
      CREATE INDEX usage_ts ON usage (ts);
      CREATE INDEX usage_key_ts ON usage (key_id, ts);
      CREATE TABLE usage_daily (
        key_id TEXT NOT NULL,
        day TEXT NOT NULL,
        tokens INTEGER NOT NULL,
        PRIMARY KEY (key_id, day)
      );
      CREATE TABLE responses (
        id TEXT PRIMARY KEY,
        key_id TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        data TEXT NOT NULL
      );
      CREATE INDEX responses_expires ON responses (expires_at);
    `,
  },
  {
    // Rows hold the requests of one key and model within one second (error = how many failed).
    version: 2,
    sql: "ALTER TABLE usage ADD COLUMN requests INTEGER NOT NULL DEFAULT 1",
  },
  {
    // Secrets every process of the deployment must share (the Responses sealing key).
    version: 3,
    sql: "CREATE TABLE secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
  },
];

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  readonly responses: ResponseStore;
  readonly path: string;
  readonly #db: Database;

  /**
   * Opens (creating the directory and file if missing) and migrates.
   * @param dataDir a directory, or ":memory:" for a private in-memory database (tests)
   */
  constructor(dataDir: string) {
    if (dataDir === ":memory:") this.path = dataDir;
    else {
      mkdirSync(dataDir, { recursive: true });
      this.path = join(dataDir, "gateway.sqlite");
    }
    this.#db = new Database(this.path, { create: true, strict: true });
    this.#db.run("PRAGMA busy_timeout = 5000");
    this.#db.run("PRAGMA journal_mode = WAL");
    this.#db.run("PRAGMA synchronous = NORMAL");
    this.#migrate();
    this.responses = new SqliteResponses(this.#db);
  }

  #migrate(): void {
    const db = this.#db;
    db.run(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    );
    // IMMEDIATE takes the write lock first, so two processes starting together apply each step once.
    db.transaction(() => {
      const done = new Set(
        db
          .query<{ version: number }, []>("SELECT version FROM schema_migrations")
          .all()
          .map((r) => r.version),
      );
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        db.run(m.sql);
        db.run("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)", [
          m.version,
          nowSeconds(),
        ]);
      }
    }).immediate();
  }

  async insertKey(k: KeyRecord): Promise<void> {
    const cols = [...KEY_COLUMNS, "seq"];
    this.#db
      .transaction(() => {
        this.#db.run(
          `INSERT INTO keys (${cols.join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`,
          [...keyValues(k), this.#nextSeq()],
        );
      })
      .immediate();
  }

  #nextSeq(): number {
    const r = this.#db
      .query<{ s: number }, []>("SELECT COALESCE(MAX(seq), 0) + 1 AS s FROM keys")
      .get();
    return r?.s ?? 1;
  }

  async getKey(id: string): Promise<KeyRecord | null> {
    const r = this.#db.query<KeyRow, [string]>("SELECT * FROM keys WHERE id = ?").get(id);
    return r ? toKeyRecord(r) : null;
  }

  async getKeyByHash(hash: string): Promise<KeyRecord | null> {
    const r = this.#db.query<KeyRow, [string]>("SELECT * FROM keys WHERE hash = ?").get(hash);
    return r ? toKeyRecord(r) : null;
  }

  async listKeys(): Promise<KeyRecord[]> {
    return this.#db
      .query<KeyRow, []>("SELECT * FROM keys ORDER BY created_at, id")
      .all()
      .map(toKeyRecord);
  }

  async updateKey(id: string, patch: KeyPatch): Promise<KeyRecord | null> {
    return this.#db
      .transaction(() => {
        const row = this.#db.query<KeyRow, [string]>("SELECT * FROM keys WHERE id = ?").get(id);
        if (!row) return null;
        const next: KeyRecord = { ...toKeyRecord(row), ...patch };
        const values = keyValues(next);
        const sets = KEY_COLUMNS.map((c) => `${c} = ?`).join(", ");
        this.#db.run(`UPDATE keys SET ${sets}, seq = ? WHERE id = ?`, [
          ...values,
          this.#nextSeq(),
          id,
        ]);
        return next;
      })
      .immediate();
  }

  async revokeKey(id: string, at: number): Promise<boolean> {
    return this.#db
      .transaction(() => {
        const r = this.#db.run(
          "UPDATE keys SET revoked_at = ?, seq = ? WHERE id = ? AND revoked_at IS NULL",
          [at, this.#nextSeq(), id],
        );
        return r.changes > 0;
      })
      .immediate();
  }

  async keysVersion(): Promise<string> {
    const r = this.#db
      .query<{ n: number; s: number }, []>(
        "SELECT COUNT(*) AS n, COALESCE(SUM(seq), 0) AS s FROM keys",
      )
      .get();
    return `${r?.n ?? 0}:${r?.s ?? 0}`;
  }

  async addUsage(batch: UsageRecord[]): Promise<void> {
    if (batch.length === 0) return;
    const insert = this.#db.prepare(
      "INSERT INTO usage (ts, day, key_id, model, requests, error, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    const daily = this.#db.prepare(
      "INSERT INTO usage_daily (key_id, day, tokens) VALUES (?, ?, ?) ON CONFLICT (key_id, day) DO UPDATE SET tokens = tokens + excluded.tokens",
    );
    this.#db
      .transaction(() => {
        for (const r of aggregateUsage(batch)) {
          insert.run(
            r.ts,
            r.day,
            r.key_id,
            r.model,
            r.requests,
            r.error,
            r.input_tokens,
            r.output_tokens,
            r.cache_read_tokens,
            r.cache_write_tokens,
          );
          if (r.key_id !== null) {
            daily.run(
              r.key_id,
              r.day,
              r.input_tokens + r.cache_read_tokens + r.cache_write_tokens + r.output_tokens,
            );
          }
        }
      })
      .immediate();
  }

  async queryUsage(q: UsageQuery): Promise<UsageRow[]> {
    const { text, params } = usageQuerySql(q, () => "?");
    return this.#db
      .query<Record<string, unknown>, Array<string | number>>(text)
      .all(...params)
      .map((r) => toUsageRow(r, q));
  }

  async tokensSince(keyIds: string[], sinceDay: string): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (keyIds.length === 0) return out;
    const rows = this.#db
      .query<{ key_id: string; t: number }, string[]>(
        `SELECT key_id, SUM(tokens) AS t FROM usage_daily WHERE day >= ? AND key_id IN (${keyIds.map(() => "?").join(", ")}) GROUP BY key_id`,
      )
      .all(sinceDay, ...keyIds);
    for (const r of rows) out.set(r.key_id, Number(r.t));
    return out;
  }

  async purgeExpiredResponses(now: number): Promise<number> {
    return this.#db.run("DELETE FROM responses WHERE expires_at IS NOT NULL AND expires_at <= ?", [
      now,
    ]).changes;
  }

  async sharedSecret(name: string, generated: string): Promise<string> {
    this.#db.run("INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", [
      name,
      generated,
    ]);
    const row = this.#db
      .query<{ value: string }, [string]>("SELECT value FROM secrets WHERE name = ?")
      .get(name);
    return row?.value ?? generated;
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}

class SqliteResponses implements ResponseStore {
  /** Prepared once (db.run compiles its SQL on every call; one write per stored response). */
  readonly #put;

  constructor(readonly db: Database) {
    this.#put = db.query<never, [string, string | null, number, number | null, string]>(
      "INSERT INTO responses (id, key_id, created_at, expires_at, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET key_id = excluded.key_id, created_at = excluded.created_at, expires_at = excluded.expires_at, data = excluded.data",
    );
  }

  async putResponse(r: StoredResponse): Promise<void> {
    const data = JSON.stringify({
      response: r.response,
      inputItems: r.inputItems,
      conversation: r.conversation,
    });
    this.#put.run(r.id, r.keyId, r.createdAt, r.expiresAt, data);
  }

  async getResponse(id: string): Promise<StoredResponse | null> {
    const row = this.db
      .query<
        {
          id: string;
          key_id: string | null;
          created_at: number;
          expires_at: number | null;
          data: string;
        },
        [string]
      >("SELECT * FROM responses WHERE id = ?")
      .get(id);
    if (!row) return null;
    if (row.expires_at !== null && row.expires_at <= nowSeconds()) return null;
    const data = JSON.parse(row.data) as Pick<
      StoredResponse,
      "response" | "inputItems" | "conversation"
    >;
    return {
      id: row.id,
      keyId: row.key_id,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      response: data.response,
      inputItems: data.inputItems,
      conversation: data.conversation,
    };
  }

  async deleteResponse(id: string): Promise<boolean> {
    return this.db.run("DELETE FROM responses WHERE id = ?", [id]).changes > 0;
  }
}
