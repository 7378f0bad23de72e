/**
 * Virtual keys across real gateway processes on one machine (SQLite in a
 * shared DATA_DIR): shared keys and revocations, persistence across restart,
 * usage written on SIGTERM, and a database that cannot be reached at startup.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Emulator, startEmulator } from "../../src/emulator";
import { SqliteStore } from "../../src/state/sqlite";
import { eventually } from "../support/eventually";
import { freePort, type GatewayProcess, spawnGateway } from "../support/process";
import { ADMIN_KEY, MODEL } from "./helpers";

let emu: Emulator;
let dataDir: string;
beforeAll(async () => {
  emu = await startEmulator();
  dataDir = mkdtempSync(join(tmpdir(), "gw-shared-"));
});
afterAll(async () => {
  await emu.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ADMIN_API_KEY: ADMIN_KEY,
    DATA_DIR: dataDir,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDPROCESS",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emu.url,
    AWS_ENDPOINT_URL_BEDROCK: emu.url,
    AWS_MAX_ATTEMPTS: "1",
    LOG_LEVEL: "error",
    KEY_REFRESH_MS: "100",
    ...extra,
  };
}

const chat = (gw: GatewayProcess, key: string) =>
  fetch(`${gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hello" }] }),
  });

const admin = (gw: GatewayProcess, method: string, path: string, body?: unknown) =>
  fetch(`${gw.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

test("two processes on one DATA_DIR share keys, revocations and usage; all survive a restart", async () => {
  const a = await spawnGateway(env());
  let b = await spawnGateway(env());
  let key: { id: string; key: string };
  // Requests served before the revocation reached B count as usage too.
  let served = 2;
  try {
    const created = await admin(a, "POST", "/admin/keys", {
      name: "shared",
      budget: { tokens: 1_000_000, period: "total" },
    });
    expect(created.status).toBe(201);
    key = (await created.json()) as { id: string; key: string };
    // Created on A, usable on B at once (a cache miss asks the store).
    expect((await chat(b, key.key)).status).toBe(200);
    expect((await chat(a, key.key)).status).toBe(200);
    const usage = (await (await admin(b, "GET", `/admin/usage?key_id=${key.id}`)).json()) as {
      data: Array<{ requests: number }>;
    };
    // A's usage reaches the shared file within its flush interval.
    expect(
      await eventually(async () => {
        const u = (await (await admin(b, "GET", `/admin/usage?key_id=${key.id}`)).json()) as {
          data: Array<{ requests: number }>;
        };
        return u.data[0]?.requests === 2;
      }),
    ).toBe(true);
    expect(usage.data[0]?.requests).toBeGreaterThanOrEqual(1);
    // Revoked on A, refused on B.
    expect((await admin(a, "DELETE", `/admin/keys/${key.id}`)).status).toBe(200);
    expect(
      await eventually(async () => {
        const status = (await chat(b, key.key)).status;
        if (status === 200) served++;
        return status === 401;
      }),
    ).toBe(true);
  } finally {
    expect(await a.stop()).toBe(0);
    expect(await b.stop()).toBe(0);
  }
  // Restart: keys, revocation and usage are still there.
  b = await spawnGateway(env());
  try {
    expect((await chat(b, key.key)).status).toBe(401);
    const one = (await (await admin(b, "GET", `/admin/keys/${key.id}`)).json()) as {
      revoked_at: number | null;
    };
    expect(one.revoked_at).not.toBeNull();
    const u = (await (await admin(b, "GET", `/admin/usage?key_id=${key.id}`)).json()) as {
      data: Array<{ requests: number }>;
    };
    expect(u.data[0]?.requests).toBe(served);
  } finally {
    await b.stop();
  }
});

test("a spent budget stays spent across a restart", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gw-budget-"));
  let gw = await spawnGateway(env({ DATA_DIR: dir }));
  let key: { id: string; key: string };
  try {
    key = (await (
      await admin(gw, "POST", "/admin/keys", { name: "b", budget: { tokens: 5, period: "month" } })
    ).json()) as { id: string; key: string };
    expect((await chat(gw, key.key)).status).toBe(200);
    expect((await chat(gw, key.key)).status).toBe(429);
  } finally {
    await gw.stop();
  }
  gw = await spawnGateway(env({ DATA_DIR: dir }));
  try {
    const r = await chat(gw, key.key);
    expect(r.status).toBe(429);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("insufficient_quota");
  } finally {
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("SIGTERM writes buffered usage before exiting (flush timer far away)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "gw-flush-"));
  const gw = await spawnGateway(env({ DATA_DIR: dir, USAGE_FLUSH_MS: "60000" }));
  const key = (await (await admin(gw, "POST", "/admin/keys", { name: "f" })).json()) as {
    id: string;
    key: string;
  };
  for (let i = 0; i < 7; i++) expect((await chat(gw, key.key)).status).toBe(200);
  expect(await gw.stop("SIGTERM")).toBe(0);
  const store = new SqliteStore(dir);
  const rows = await store.queryUsage({ keyId: key.id, groupBy: ["key"] });
  expect(rows[0]?.requests).toBe(7);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test("PostgreSQL unreachable at startup: exit 1 with a clear message naming DATABASE_URL", async () => {
  const port = freePort();
  const proc = Bun.spawn([process.execPath, "run", "src/index.ts"], {
    cwd: `${import.meta.dir}/../..`,
    env: {
      PATH: process.env.PATH ?? "",
      ...env({
        DATABASE_URL: `postgres://gw:secret-pw@127.0.0.1:${freePort()}/gw`,
        PORT: String(port),
      }),
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  expect(await proc.exited).toBe(1);
  const err = await new Response(proc.stderr).text();
  expect(err).toContain("DATABASE_URL");
  expect(err).toContain("Cannot open the PostgreSQL store");
  expect(err).not.toContain("secret-pw");
});
