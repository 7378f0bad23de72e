/**
 * What virtual keys cost: one gateway process, the same requests with the
 * static API_KEY and with a virtual key that has an allow-list, rpm, tpm and a
 * budget (all far above the load, so every request is admitted and
 * accounted: cache lookup, buckets, budget check, x-ratelimit headers, usage
 * buffered and written every second to SQLite). Rounds alternate between the
 * two keys so machine noise hits both alike; the median CPU ms per request of
 * each is compared (target: virtual at most 5 % above static).
 *
 * Run by `bun run bench` (after the main scenarios) or alone:
 * `bun run bench/keys.ts [--rounds=N] [--duration=MS]`.
 *
 * @module
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { errorRendererFor } from "../src/app";
import { Lifecycle } from "../src/lifecycle";
import { createLogger } from "../src/log";
import { gatewayAuth } from "../src/middleware/auth";
import { requestId } from "../src/middleware/request-id";
import { accessLog } from "../src/observability/access-log";
import { GatewayMetrics } from "../src/observability/metrics";
import { Access } from "../src/state/access";
import { hashSecret } from "../src/state/keys";
import { SqliteStore } from "../src/state/sqlite";
import { type LoadSpec, runLoad } from "./load";
import { cpuMs, freePort, type Proc, spawnEmulator, spawnService } from "./procs";
import { gatewaySpec, type Mode } from "./targets";

const ROOT = join(import.meta.dir, "..");
const STATIC_KEY = "bench-static-key-0123456789";
const ADMIN_KEY = "bench-admin-key-0123456789";

export interface KeysBenchResult {
  mode: Mode;
  concurrency: number;
  staticCpuMs: number;
  virtualCpuMs: number;
  staticRps: number;
  virtualRps: number;
  /** (virtual − static) / static, in percent. */
  overheadPct: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function cell(
  gw: Proc,
  spec: LoadSpec,
  concurrency: number,
  durationMs: number,
): Promise<{ cpu: number; rps: number }> {
  await runLoad(spec, concurrency, 300);
  const c0 = await cpuMs(gw.pid);
  const load = await runLoad(spec, concurrency, durationMs);
  const c1 = await cpuMs(gw.pid);
  if (load.errors > 0 || load.requests === 0) {
    throw new Error(`keys bench: ${load.errors} errors, first: ${load.firstError}`);
  }
  return { cpu: (c1 - c0) / load.requests, rps: load.rps };
}

export async function runKeysBench(opts: {
  modes?: Mode[];
  concurrency?: number;
  rounds?: number;
  durationMs?: number;
}): Promise<KeysBenchResult[]> {
  const modes = opts.modes ?? ["nonstream", "stream20"];
  const concurrency = opts.concurrency ?? 32;
  const rounds = opts.rounds ?? 5;
  const durationMs = opts.durationMs ?? 2000;
  const dataDir = mkdtempSync(join(tmpdir(), "gw-bench-keys-"));
  const emu = await spawnEmulator();
  const port = freePort();
  let gw: Proc | undefined;
  try {
    gw = await spawnService({
      name: "gateway(keys)",
      cmd: ["bun", join(ROOT, "src/index.ts")],
      env: {
        PORT: String(port),
        HOST: "127.0.0.1",
        LOG_LEVEL: "info",
        AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emu.url,
        AWS_ENDPOINT_URL_BEDROCK: emu.url,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "AKIDBENCH",
        AWS_SECRET_ACCESS_KEY: "bench-secret",
        API_KEY: STATIC_KEY,
        ADMIN_API_KEY: ADMIN_KEY,
        DATA_DIR: dataDir,
      },
      url: `http://127.0.0.1:${port}`,
      readyPath: "/health",
    });
    const created = await fetch(`${gw.url}/admin/keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({
        name: "bench",
        models: ["anthropic.*", "amazon.nova-*"],
        rpm: 1_000_000_000,
        tpm: 1_000_000_000_000,
        budget: { tokens: 1_000_000_000_000, period: "month" },
      }),
    });
    const virtualKey = ((await created.json()) as { key: string }).key;
    const out: KeysBenchResult[] = [];
    for (const mode of modes) {
      const base = gatewaySpec(gw.url, mode);
      const staticSpec = {
        ...base,
        headers: { ...base.headers, authorization: `Bearer ${STATIC_KEY}` },
      };
      const virtualSpec = {
        ...base,
        headers: { ...base.headers, authorization: `Bearer ${virtualKey}` },
      };
      const s: Array<{ cpu: number; rps: number }> = [];
      const v: Array<{ cpu: number; rps: number }> = [];
      for (let i = 0; i < rounds; i++) {
        // Alternate which goes first, so drift favours neither.
        if (i % 2 === 0) {
          s.push(await cell(gw, staticSpec, concurrency, durationMs));
          v.push(await cell(gw, virtualSpec, concurrency, durationMs));
        } else {
          v.push(await cell(gw, virtualSpec, concurrency, durationMs));
          s.push(await cell(gw, staticSpec, concurrency, durationMs));
        }
      }
      const staticCpuMs = median(s.map((x) => x.cpu));
      const virtualCpuMs = median(v.map((x) => x.cpu));
      out.push({
        mode,
        concurrency,
        staticCpuMs,
        virtualCpuMs,
        staticRps: median(s.map((x) => x.rps)),
        virtualRps: median(v.map((x) => x.rps)),
        overheadPct: ((virtualCpuMs - staticCpuMs) / staticCpuMs) * 100,
      });
    }
    return out;
  } finally {
    await gw?.stop();
    await emu.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export interface KeysMicroResult {
  staticUs: number;
  virtualUs: number;
  /** virtualUs − staticUs: what a virtual key adds per request, in µs of CPU. */
  addedUs: number;
}

/**
 * The same comparison without the network and Bedrock: the gateway's own
 * per-request middleware (request id, access log + metrics, auth) and a
 * handler that does what a route does with a principal (model check, token
 * usage), driven in-process through app.fetch. Precise where the end-to-end
 * numbers are noisy: the difference is exactly what a virtual key adds.
 */
export async function runKeysMicro(iterations = 20_000): Promise<KeysMicroResult> {
  const dir = mkdtempSync(join(tmpdir(), "gw-bench-micro-"));
  const store = new SqliteStore(dir);
  const secret = "sk-bench-virtual-key-0123456789";
  await store.insertKey({
    id: "key_bench",
    hash: hashSecret(secret),
    hint: secret.slice(-4),
    name: "bench",
    models: ["anthropic.*", "amazon.nova-*"],
    rpm: 1_000_000_000,
    tpm: 1_000_000_000_000,
    budget: { tokens: 1_000_000_000_000, period: "month" },
    expiresAt: null,
    metadata: null,
    createdAt: 0,
    revokedAt: null,
  });
  // As deployed: the access line is produced (written nowhere).
  const logger = createLogger("info", () => {});
  const metrics = new GatewayMetrics();
  const access = await Access.open({
    config: {
      rateLimitFailMode: "open",
      usageFlushMs: 1000,
      keyRefreshMs: 1000,
      modelAliases: {},
    },
    store,
    logger,
    metrics,
  });
  const app = new Hono();
  app.use(requestId());
  app.use(
    accessLog({
      logger,
      metrics,
      lifecycle: new Lifecycle(),
      onFinished: (obs, error) => access.finish(obs, error),
    }),
  );
  app.use(gatewayAuth({ apiKeys: [STATIC_KEY], access, renderFor: errorRendererFor }));
  app.post("/v1/chat/completions", (c) => {
    const obs = (
      c as unknown as { var: { obs: import("../src/observability/request-obs").RequestObs } }
    ).var.obs;
    obs.useModel(
      "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    );
    obs.recordUsage({ inputTokens: 12, outputTokens: 40, totalTokens: 52 });
    return c.json({ ok: true });
  });
  const run = async (key: string): Promise<number> => {
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const t0 = process.cpuUsage();
    for (let i = 0; i < iterations; i++) {
      const r = await app.fetch(
        new Request("http://gw/v1/chat/completions", { method: "POST", headers, body: "{}" }),
      );
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`micro bench: status ${r.status}`);
    }
    // Writing the buffered usage to SQLite is part of a request's cost.
    await access.usage.flush();
    const d = process.cpuUsage(t0);
    return (d.user + d.system) / iterations;
  };
  try {
    await run(STATIC_KEY);
    await run(secret);
    const st: number[] = [];
    const vt: number[] = [];
    for (let i = 0; i < 5; i++) {
      st.push(await run(STATIC_KEY));
      vt.push(await run(secret));
    }
    const staticUs = median(st);
    const virtualUs = median(vt);
    return { staticUs, virtualUs, addedUs: virtualUs - staticUs };
  } finally {
    await access.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function renderKeysMicro(m: KeysMicroResult, results: KeysBenchResult[]): string {
  let md = `In-process (middleware + accounting incl. the SQLite usage write, median of 5 rounds): static key ${m.staticUs.toFixed(1)} µs, virtual key ${m.virtualUs.toFixed(1)} µs CPU per request → a virtual key adds ${m.addedUs.toFixed(1)} µs.\n`;
  for (const r of results) {
    md += `- ${r.mode} c=${r.concurrency}: ${m.addedUs.toFixed(1)} µs on ${(r.staticCpuMs * 1000).toFixed(0)} µs per request with the static key = ${((m.addedUs / (r.staticCpuMs * 1000)) * 100).toFixed(1)} %\n`;
  }
  return md;
}

export function renderKeysBench(results: KeysBenchResult[]): string {
  let md =
    "| scenario | conc | static key CPU ms/req | virtual key CPU ms/req | overhead | static req/s | virtual req/s |\n|---|---|---|---|---|---|---|\n";
  for (const r of results) {
    md += `| ${r.mode} | ${r.concurrency} | ${r.staticCpuMs.toFixed(3)} | ${r.virtualCpuMs.toFixed(3)} | ${r.overheadPct >= 0 ? "+" : ""}${r.overheadPct.toFixed(1)} % | ${r.staticRps.toFixed(0)} | ${r.virtualRps.toFixed(0)} |\n`;
  }
  return md;
}

if (import.meta.main) {
  const arg = (n: string) =>
    process.argv.find((a) => a.startsWith(`--${n}=`))?.slice(n.length + 3) ?? undefined;
  const results = await runKeysBench({
    ...(arg("rounds") ? { rounds: Number(arg("rounds")) } : {}),
    ...(arg("duration") ? { durationMs: Number(arg("duration")) } : {}),
  });
  process.stdout.write(renderKeysBench(results));
  process.stdout.write(renderKeysMicro(await runKeysMicro(), results));
}
