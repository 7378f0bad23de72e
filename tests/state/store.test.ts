/**
 * The Store contract, run against both engines: SQLite on a temp dir and a
 * real PostgreSQL started by the test.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PostgresStore } from "../../src/state/postgres";
import { SqliteStore } from "../../src/state/sqlite";
import type { KeyRecord, Store, UsageRecord } from "../../src/state/types";
import { createDatabase, type Engine, startPostgres } from "../support/engines";

function key(id: string, over: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id,
    hash: `hash-${id}`,
    hint: "abcd",
    name: `team ${id}`,
    models: ["anthropic.*"],
    rpm: 10,
    tpm: null,
    budget: { tokens: 1000, period: "month" },
    expiresAt: null,
    metadata: { team: "x" },
    createdAt: 1_700_000_000,
    revokedAt: null,
    ...over,
  };
}

function usage(over: Partial<UsageRecord> = {}): UsageRecord {
  return {
    ts: Date.UTC(2026, 11, 1, 12),
    keyId: "key_a",
    model: "m1",
    error: false,
    inputTokens: 10,
    outputTokens: 5,
    cacheReadTokens: 2,
    cacheWriteTokens: 1,
    ...over,
  };
}

let pg: Engine;
let dir: string;
const stores: Record<string, () => Promise<Store>> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gw-store-"));
  pg = await startPostgres();
  let n = 0;
  stores.sqlite = async () => new SqliteStore(join(dir, String(n++)));
  stores.postgres = async () => PostgresStore.open(await createDatabase(pg, `t${n++}`));
});

afterAll(async () => {
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

for (const engine of ["sqlite", "postgres"]) {
  describe(engine, () => {
    test("keys: insert, find by id and hash, list, update, revoke; version changes", async () => {
      const s = await (stores[engine] as () => Promise<Store>)();
      const v0 = await s.keysVersion();
      await s.insertKey(key("key_a"));
      await s.insertKey(key("key_b", { models: null, budget: null, metadata: null }));
      const v1 = await s.keysVersion();
      expect(v1).not.toBe(v0);
      expect(await s.getKey("key_a")).toEqual(key("key_a"));
      expect((await s.getKeyByHash("hash-key_b"))?.id).toBe("key_b");
      expect(await s.getKey("nope")).toBeNull();
      expect((await s.listKeys()).map((k) => k.id)).toEqual(["key_a", "key_b"]);
      const updated = await s.updateKey("key_a", { rpm: null, models: ["x"] });
      expect(updated).toEqual(key("key_a", { rpm: null, models: ["x"] }));
      expect(await s.getKey("key_a")).toEqual(updated);
      expect(await s.updateKey("nope", { rpm: 1 })).toBeNull();
      const v2 = await s.keysVersion();
      expect(v2).not.toBe(v1);
      expect(await s.revokeKey("key_a", 1_800_000_000)).toBe(true);
      expect(await s.revokeKey("key_a", 1_800_000_001)).toBe(false);
      expect((await s.getKey("key_a"))?.revokedAt).toBe(1_800_000_000);
      expect(await s.keysVersion()).not.toBe(v2);
      await s.close();
    });

    test("usage: grouped sums, filters, daily token totals", async () => {
      const s = await (stores[engine] as () => Promise<Store>)();
      await s.addUsage([
        usage(),
        usage({ model: "m2", error: true, inputTokens: 0, outputTokens: 0 }),
        usage({ keyId: "key_b", ts: Date.UTC(2026, 11, 2, 1) }),
        usage({ keyId: null }),
      ]);
      await s.addUsage([usage({ ts: Date.UTC(2026, 11, 2, 3) })]);
      // Many requests in one second fold into one row, sums unchanged.
      await s.addUsage(
        Array.from({ length: 50 }, (_, i) =>
          usage({ keyId: "key_d", ts: Date.UTC(2026, 11, 3) + i, error: i % 10 === 0 }),
        ),
      );
      const c = await s.queryUsage({ groupBy: ["key"], keyId: "key_d" });
      expect(c).toEqual([
        {
          key_id: "key_d",
          requests: 50,
          errors: 5,
          input_tokens: 500,
          output_tokens: 250,
          cache_read_tokens: 100,
          cache_write_tokens: 50,
        },
      ]);
      const all = await s.queryUsage({ groupBy: [], to: Date.UTC(2026, 11, 3) / 1000 });
      expect(all).toEqual([
        {
          requests: 5,
          errors: 1,
          input_tokens: 40,
          output_tokens: 20,
          cache_read_tokens: 10,
          cache_write_tokens: 5,
        },
      ]);
      const byKeyDay = await s.queryUsage({ groupBy: ["key", "day"], keyId: "key_a" });
      expect(byKeyDay.map((r) => [r.key_id, r.day, r.requests])).toEqual([
        ["key_a", "2026-12-01", 2],
        ["key_a", "2026-12-02", 1],
      ]);
      const byModel = await s.queryUsage({
        groupBy: ["model"],
        from: Date.UTC(2026, 11, 1) / 1000,
        to: Date.UTC(2026, 11, 2) / 1000,
      });
      expect(byModel.map((r) => [r.model, r.requests, r.errors])).toEqual([
        ["m1", 2, 0],
        ["m2", 1, 1],
      ]);
      const byKey = await s.queryUsage({ groupBy: ["key"] });
      expect(byKey.find((r) => r.key_id === null)?.requests).toBe(1);
      const since = await s.tokensSince(["key_a", "key_b", "key_c"], "2026-12-01");
      expect((await s.tokensSince(["key_d"], "2026-12-01")).get("key_d")).toBe(900);
      expect(Object.fromEntries(since)).toEqual({ key_a: 39, key_b: 18 });
      const sinceLater = await s.tokensSince(["key_a"], "2026-12-02");
      expect(sinceLater.get("key_a")).toBe(18);
      await s.close();
    });

    test("stored responses: put, get, replace, expire, delete", async () => {
      const s = await (stores[engine] as () => Promise<Store>)();
      const r = {
        id: "resp_1",
        keyId: "key_a",
        createdAt: 1_700_000_000,
        expiresAt: null,
        response: { id: "resp_1", output: [{ type: "message" }] },
        inputItems: [{ role: "user", content: "hi" }],
        conversation: { messages: [1, 2] },
      };
      await s.responses.putResponse(r);
      expect(await s.responses.getResponse("resp_1")).toEqual(r);
      await s.responses.putResponse({ ...r, response: { id: "resp_1", v: 2 } });
      expect((await s.responses.getResponse("resp_1"))?.response).toEqual({ id: "resp_1", v: 2 });
      await s.responses.putResponse({ ...r, id: "resp_old", expiresAt: 1 });
      expect(await s.responses.getResponse("resp_old")).toBeNull();
      expect(await s.purgeExpiredResponses(1_800_000_000)).toBe(1);
      expect(await s.purgeExpiredResponses(1_800_000_000)).toBe(0);
      expect(await s.responses.deleteResponse("resp_1")).toBe(true);
      expect(await s.responses.deleteResponse("resp_1")).toBe(false);
      expect(await s.responses.getResponse("resp_1")).toBeNull();
      await s.close();
    });

    test("a shared secret: the first stored value wins, later callers get it", async () => {
      const s = await (stores[engine] as () => Promise<Store>)();
      expect(await s.sharedSecret("responses-seal", "first")).toBe("first");
      expect(await s.sharedSecret("responses-seal", "second")).toBe("first");
      expect(await s.sharedSecret("other", "own")).toBe("own");
      await s.close();
    });
  });
}

test("postgres: replicas migrating at once apply each step once", async () => {
  const url = await createDatabase(pg, "concurrent");
  const opened = await Promise.all([1, 2, 3, 4].map(() => PostgresStore.open(url)));
  await opened[0]?.insertKey(key("key_x"));
  expect((await opened[3]?.getKey("key_x"))?.name).toBe("team key_x");
  await Promise.all(opened.map((s) => s.close()));
});

test("sqlite: two stores on one DATA_DIR see each other's writes", async () => {
  const shared = join(dir, "shared");
  const a = new SqliteStore(shared);
  const b = new SqliteStore(shared);
  const v = await b.keysVersion();
  await a.insertKey(key("key_s"));
  expect(await b.keysVersion()).not.toBe(v);
  expect((await b.getKeyByHash("hash-key_s"))?.id).toBe("key_s");
  await a.close();
  await b.close();
});
