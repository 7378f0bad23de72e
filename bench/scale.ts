/**
 * The scale run of `bun run bench --scale=100,1000,4000`: N streams opened at
 * once (over --scale-ramp=MS, default 1000) against a slow upstream (one event
 * per second, BENCH_SLOW_EVENTS text deltas, default 5), per target: the
 * emulator alone (the floor), our gateway, optionally Portkey.
 *
 * Several load-generator processes (bench/scale-client.ts, at most
 * --scale-per-client streams each) so the generator is not the bottleneck;
 * every process gets BUN_CONFIG_MAX_HTTP_REQUESTS raised, or Bun's fetch
 * would run 256 at a time. Loopback only; bounded by the file limit (each
 * stream holds a socket in the generator and two in the gateway).
 *
 * Per cell: streams completed, errors, time to first byte p50/p99 against
 * the floor's, the target's CPU per stream, its RSS before and at peak and
 * the growth per open stream, and the event-loop lag seen from outside (a
 * GET /health probe every 100 ms while the streams are open: its latency
 * above an idle probe's is time the loop was busy).
 *
 * @module
 */
import { join } from "node:path";
import type { LoadSpec } from "./load";
import { cpuMs, type Proc, sampleRss, statusMiB } from "./procs";

export interface ScaleCell {
  target: string;
  streams: number;
  completed: number;
  errors: number;
  firstError?: string;
  ttftP50Ms: number;
  ttftP99Ms: number;
  wallMs: number;
  cpuMsPerStream: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  /** (peak − before) / streams, KiB. */
  rssKiBPerStream: number;
  /** /health probe latency while the streams are open, ms. */
  probeP50Ms: number;
  probeMaxMs: number;
}

const percentile = (xs: number[], p: number): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
};

/** GET url every 100 ms until stopped; the latencies. */
function probe(url: string | undefined): { stop(): Promise<number[]> } {
  const lat: number[] = [];
  let running = url !== undefined;
  const loop = (async () => {
    while (running && url) {
      const t0 = performance.now();
      try {
        await (await fetch(url)).arrayBuffer();
        lat.push(performance.now() - t0);
      } catch {
        // the probe is best effort
      }
      await Bun.sleep(100);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return lat;
    },
  };
}

export async function runScaleCell(opts: {
  target: string;
  /** The process whose CPU and RSS are measured (the emulator for the floor). */
  proc: Proc;
  spec: LoadSpec;
  endMarker: string;
  streams: number;
  perClient: number;
  rampMs: number;
  healthUrl?: string;
}): Promise<ScaleCell> {
  const clients = Math.max(1, Math.ceil(opts.streams / opts.perClient));
  Bun.gc(true);
  await Bun.sleep(200);
  const rssBefore = await statusMiB(opts.proc.pid, "VmRSS");
  const rss = sampleRss(opts.proc.pid, 100);
  const probes = probe(opts.healthUrl);
  const cpu0 = await cpuMs(opts.proc.pid);
  const t0 = performance.now();
  const results = await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      const n = Math.floor(opts.streams / clients) + (i < opts.streams % clients ? 1 : 0);
      const child = Bun.spawn(["bun", join(import.meta.dir, "scale-client.ts")], {
        env: {
          ...process.env,
          BUN_CONFIG_MAX_HTTP_REQUESTS: String(Math.min(65_535, Math.max(n, 256))),
          SCALE_STREAMS: String(n),
          SCALE_RAMP_MS: String(opts.rampMs),
          SCALE_SPEC: JSON.stringify({ ...opts.spec, endMarker: opts.endMarker }),
        },
        stdout: "pipe",
        stderr: "pipe",
      });
      const out = await new Response(child.stdout as ReadableStream).text();
      await child.exited;
      try {
        return JSON.parse(out.trim().split("\n").at(-1) ?? "") as {
          completed: number;
          errors: number;
          firstError?: string;
          ttfts: number[];
        };
      } catch {
        const err = await new Response(child.stderr as ReadableStream).text();
        return { completed: 0, errors: n, firstError: err.slice(0, 300), ttfts: [] };
      }
    }),
  );
  const wallMs = performance.now() - t0;
  const cpu1 = await cpuMs(opts.proc.pid);
  const probeLat = await probes.stop();
  const peak = await rss.stop();
  const ttfts = results.flatMap((r) => r.ttfts);
  const completed = results.reduce((a, r) => a + r.completed, 0);
  const firstError = results.find((r) => r.firstError)?.firstError;
  return {
    target: opts.target,
    streams: opts.streams,
    completed,
    errors: results.reduce((a, r) => a + r.errors, 0),
    ...(firstError ? { firstError } : {}),
    ttftP50Ms: percentile(ttfts, 50),
    ttftP99Ms: percentile(ttfts, 99),
    wallMs,
    cpuMsPerStream: (cpu1 - cpu0) / Math.max(1, completed),
    rssBeforeMiB: rssBefore,
    rssPeakMiB: peak,
    rssKiBPerStream: ((peak - rssBefore) * 1024) / opts.streams,
    probeP50Ms: percentile(probeLat, 50),
    probeMaxMs: probeLat.length ? Math.max(...probeLat) : Number.NaN,
  };
}

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "–");

export function scaleTable(cells: ScaleCell[]): string {
  let out =
    "| streams | target | completed | errors | wall s | TTFB p50 ms | TTFB p99 ms | CPU ms/stream | RSS before MiB | RSS peak MiB | KiB/stream | /health p50 ms | /health max ms |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const c of cells) {
    out += `| ${c.streams} | ${c.target} | ${c.completed} | ${c.errors} | ${f(c.wallMs / 1000)} | ${f(c.ttftP50Ms, 2)} | ${f(c.ttftP99Ms, 2)} | ${f(c.cpuMsPerStream, 3)} | ${f(c.rssBeforeMiB, 0)} | ${f(c.rssPeakMiB, 0)} | ${f(c.rssKiBPerStream, 1)} | ${f(c.probeP50Ms, 2)} | ${f(c.probeMaxMs, 1)} |\n`;
  }
  return out;
}

/** The scale section of the results: the table and issue 17's scale targets per cell. */
export function scaleSummary(cells: ScaleCell[]): string {
  const lines: string[] = [
    "## Scale run (issue 17)",
    "",
    `Slow streams (one event per second) opened at once; per target the same N. "floor" is the emulator alone (its CPU and RSS). KiB/stream = (peak − before) / N. /health is a probe every 100 ms while the streams are open (event-loop lag seen from outside). Method: [README.md](README.md).`,
    "",
    scaleTable(cells),
    "### Scale targets",
    "",
  ];
  for (const n of [...new Set(cells.map((c) => c.streams))]) {
    const floor = cells.find((c) => c.streams === n && c.target === "floor");
    const portkey = cells.find((c) => c.streams === n && c.target === "portkey");
    for (const c of cells.filter((x) => x.streams === n && x.target.startsWith("gateway"))) {
      const mark = (ok: boolean) => (ok ? "met" : "NOT met");
      const all = c.completed === n && c.errors === 0;
      lines.push(`- ${c.target}, ${n} streams: ${mark(all)}: all complete (${c.completed}/${n})`);
      if (floor) {
        const over = (c.ttftP50Ms - floor.ttftP50Ms) / floor.ttftP50Ms;
        lines.push(
          `- ${c.target}, ${n} streams: ${mark(over <= 0.1)}: TTFB p50 within 10 % of the emulator's: ${f(c.ttftP50Ms, 2)} vs ${f(floor.ttftP50Ms, 2)} ms (${over >= 0 ? "+" : ""}${f(over * 100, 0)} %)`,
        );
      }
      lines.push(
        `- ${c.target}, ${n} streams: ${mark(c.rssKiBPerStream <= 32)}: ≤ 32 KB RSS per open stream: ${f(c.rssKiBPerStream, 1)} KiB`,
      );
      if (portkey) {
        const r = c.cpuMsPerStream / portkey.cpuMsPerStream;
        lines.push(
          `- ${c.target}, ${n} streams: ${mark(r <= 0.5)}: CPU per stream ≤ 0.5× Portkey's: ${f(c.cpuMsPerStream, 3)} vs ${f(portkey.cpuMsPerStream, 3)} ms = ${f(r, 2)}×`,
        );
      }
    }
  }
  return `${lines.join("\n")}\n`;
}
