/**
 * A two-replica fleet: PostgreSQL + Redis, both real servers started here.
 * Revocation and key changes reach the other replica, limits hold across both
 * together, usage sums are exact, and Redis going away never crashes a replica
 * (RATE_LIMIT_FAIL_MODE decides what it does).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createDatabase, type Engine, startPostgres, startRedis } from "../support/engines";
import { eventually } from "../support/eventually";
import { freePort } from "../support/process";
import { MODEL, startTeamsStack, type TeamsStack } from "./helpers";

let pg: Engine;
let redis: Engine;
let a: TeamsStack;
let b: TeamsStack;
let dbUrl: string;

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  dbUrl = await createDatabase(pg, "fleet");
  // The store poll is far away: key changes must travel through Redis.
  const env = {
    DATABASE_URL: dbUrl,
    REDIS_URL: redis.url,
    LOG_LEVEL: "error",
    KEY_REFRESH_MS: "60000",
  };
  // Started together: migrations must not collide.
  [a, b] = await Promise.all([startTeamsStack(env), startTeamsStack(env)]);
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all([pg?.stop(), redis?.stop()]);
});

describe("PostgreSQL + Redis, two replicas", () => {
  test("a key created on A works on B; a revocation on A reaches B", async () => {
    const k = await a.createKey({ name: "fleet" });
    expect((await b.chatAs(k.key)).status).toBe(200);
    expect((await a.admin("DELETE", `/admin/keys/${k.id}`)).status).toBe(200);
    expect(await eventually(async () => (await b.chatAs(k.key)).status === 401)).toBe(true);
  });

  test("a PATCH on B (allow-list) applies on A", async () => {
    const k = await a.createKey({ name: "patched" });
    expect((await a.chatAs(k.key)).status).toBe(200);
    await b.admin("PATCH", `/admin/keys/${k.id}`, { models: ["amazon.nova-*"] });
    expect(await eventually(async () => (await a.chatAs(k.key)).status === 403)).toBe(true);
  });

  test("rpm holds across both replicas together", async () => {
    const k = await a.createKey({ name: "shared-rpm", rpm: 4 });
    const statuses: number[] = [];
    for (const gw of [a, b, a, b]) statuses.push((await gw.chatAs(k.key)).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    const overA = await a.chatAs(k.key);
    const overB = await b.chatAs(k.key);
    expect(overA.status).toBe(429);
    expect(overB.status).toBe(429);
    expect(overB.headers.get("x-ratelimit-remaining-requests")).toBe("0");
  });

  test("tpm holds across replicas: tokens finished on A count on B", async () => {
    const k = await a.createKey({ name: "shared-tpm", tpm: 15 });
    const r = await a.chatAs(k.key, { messages: [{ role: "user", content: "words ".repeat(30) }] });
    expect(r.status).toBe(200);
    await r.json();
    expect(await eventually(async () => (await b.chatAs(k.key)).status === 429)).toBe(true);
  });

  test("usage sums are exact across replicas", async () => {
    const k = await a.createKey({ name: "sums" });
    let input = 0;
    let output = 0;
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).chatAs(k.key, {
          messages: [{ role: "user", content: `n ${"x".repeat(i)}` }],
        }),
      ),
    );
    for (const r of replies) {
      expect(r.status).toBe(200);
      const u = (
        (await r.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }
      ).usage;
      input += u.prompt_tokens;
      output += u.completion_tokens;
    }
    expect(
      await eventually(async () => {
        const q = (await (
          await a.admin("GET", `/admin/usage?key_id=${k.id}&group_by=key,model`)
        ).json()) as {
          data: Array<Record<string, unknown>>;
        };
        return q.data[0]?.requests === 20;
      }),
    ).toBe(true);
    const q = (await (
      await b.admin("GET", `/admin/usage?key_id=${k.id}&group_by=key,model`)
    ).json()) as {
      data: Array<Record<string, unknown>>;
    };
    expect(q.data).toEqual([
      {
        key_id: k.id,
        model: MODEL,
        requests: 20,
        errors: 0,
        input_tokens: input,
        output_tokens: output,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
      },
    ]);
  });

  test("a budget spent on A is refused on B without B serving one more", async () => {
    const k = await a.createKey({ name: "fleet-budget", budget: { tokens: 10, period: "day" } });
    expect((await a.chatAs(k.key)).status).toBe(200);
    // B learns the committed total from the store on its own flush tick, traffic or not.
    expect(
      await eventually(async () => {
        const shown = (await (await b.admin("GET", `/admin/keys/${k.id}`)).json()) as {
          budget_used: number;
        };
        return shown.budget_used >= 10;
      }),
    ).toBe(true);
    const r = await b.chatAs(k.key);
    expect(r.status).toBe(429);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("insufficient_quota");
  });
});

describe("Redis down", () => {
  test("fail open keeps serving with per-replica limits; fail closed answers 503; both recover", async () => {
    const closed = await startTeamsStack({
      DATABASE_URL: dbUrl,
      REDIS_URL: redis.url,
      RATE_LIMIT_FAIL_MODE: "closed",
      LOG_LEVEL: "error",
    });
    try {
      const k = await a.createKey({ name: "redis-down", rpm: 1000 });
      const free = await a.createKey({ name: "no-limits" });
      expect((await a.chatAs(k.key)).status).toBe(200);
      expect((await closed.chatAs(k.key)).status).toBe(200);
      await redis.stop();
      // Open: served, limits in-process.
      const open = await a.chatAs(k.key);
      expect(open.status).toBe(200);
      expect(open.headers.get("x-ratelimit-limit-requests")).toBe("1000");
      // Closed: a key with limits is refused (retryable), a key without limits still served.
      const refused = await closed.chatAs(k.key);
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
        "rate_limiter_unavailable",
      );
      expect((await closed.chatAs(free.key)).status).toBe(200);
      // Admin still works (the store is PostgreSQL).
      expect((await b.admin("GET", "/admin/keys")).status).toBe(200);
      // Redis back on the same port: shared limits again.
      redis = await startRedis(redis.port);
      expect(await eventually(async () => (await closed.chatAs(k.key)).status === 200, 500)).toBe(
        true,
      );
    } finally {
      await closed.stop();
    }
  });
});

describe("Redis unreachable at startup", () => {
  test("the replica starts and serves (fail open: limits in-process)", async () => {
    const dead = `redis://127.0.0.1:${freePort()}`;
    const r = await startTeamsStack({ DATABASE_URL: dbUrl, REDIS_URL: dead, LOG_LEVEL: "error" });
    try {
      const k = await r.createKey({ name: "no-redis", rpm: 2 });
      expect((await r.chatAs(k.key)).status).toBe(200);
      expect((await r.chatAs(k.key)).status).toBe(200);
      expect((await r.chatAs(k.key)).status).toBe(429);
    } finally {
      await r.stop();
    }
  });
});

describe("PostgreSQL down while serving", () => {
  test("cached keys keep working, admin answers 503, usage waits in the buffer and lands when it is back", async () => {
    const k = await a.createKey({ name: "db-outage" });
    expect((await a.chatAs(k.key)).status).toBe(200);
    await pg.pause?.();
    try {
      for (let i = 0; i < 3; i++) expect((await a.chatAs(k.key)).status).toBe(200);
      const admin = await a.admin("GET", "/admin/keys");
      expect(admin.status).toBe(503);
      expect(((await admin.json()) as { error: { code: string } }).error.code).toBe(
        "store_unavailable",
      );
      // A key this replica never saw cannot be checked: refused, not a crash.
      expect((await a.chatAs("sk-never-seen")).status).toBe(401);
    } finally {
      await pg.resume?.();
    }
    expect(
      await eventually(async () => {
        const r = await a.admin("GET", `/admin/usage?key_id=${k.id}`);
        if (r.status !== 200) return false;
        return ((await r.json()) as { data: Array<{ requests: number }> }).data[0]?.requests === 4;
      }, 15_000),
    ).toBe(true);
  });
});
