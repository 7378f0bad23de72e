/**
 * Turns benchmark cells into a console table, the markdown results file, and
 * the target check (issue 8): every figure that matters is also given as a
 * ratio against the floor (or Portkey) measured in the same run.
 *
 * @module
 */
import { cpus, release, totalmem } from "node:os";
import type { LoadResult } from "./load";
import { anthropicEvents, chatFrames, chunksOf, type Mode, responsesEvents } from "./targets";

export interface Cell {
  /** "floor", "gateway:raw", "gateway:sdk", "portkey". */
  target: string;
  mode: Mode;
  concurrency: number;
  load: LoadResult;
  /** CPU of the process under test per request (NaN for the floor). */
  cpuMsPerReq: number;
  /** The emulator's CPU per request in the same cell. */
  emuCpuMsPerReq: number;
  /** Peak VmRSS of the process under test during the cell (MiB). */
  peakRssMiB: number;
}

const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "–");

function header(): string {
  return "| scenario | conc | target | req/s | p50 ms | p99 ms | TTFB p50 | TTFB p99 | CPU ms/req | emu CPU ms/req | peak RSS MiB | errors |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";
}

function line(c: Cell): string {
  const stream = c.mode !== "nonstream";
  return `| ${c.mode} | ${c.concurrency} | ${c.target} | ${f(c.load.rps, 0)} | ${f(c.load.p50Ms)} | ${f(c.load.p99Ms)} | ${stream ? f(c.load.ttfbP50Ms, 2) : "–"} | ${stream ? f(c.load.ttfbP99Ms, 2) : "–"} | ${f(c.cpuMsPerReq, 3)} | ${f(c.emuCpuMsPerReq, 3)} | ${f(c.peakRssMiB, 0)} | ${c.load.errors} |\n`;
}

function ratioLines(row: Cell[]): string[] {
  const floor = row.find((c) => c.target === "floor");
  const portkey = row.find((c) => c.target === "portkey");
  const passthrough = row.find((c) => c.target === "passthrough");
  const out: string[] = [];
  for (const c of row) {
    if (c.target === "floor" || !floor) continue;
    const parts = [
      `${c.mode} c=${c.concurrency} ${c.target}: ${f(c.load.rps / floor.load.rps, 2)}× floor req/s`,
      `CPU ${f(c.cpuMsPerReq, 3)} ms/req (${f(c.cpuMsPerReq / floor.emuCpuMsPerReq, 2)}× the emulator's own)`,
    ];
    if (c.mode !== "nonstream") {
      parts.push(`TTFB p50 +${f(c.load.ttfbP50Ms - floor.load.ttfbP50Ms, 2)} ms over floor`);
    }
    if (passthrough && c !== passthrough) {
      parts.push(
        `CPU +${f(c.cpuMsPerReq - passthrough.cpuMsPerReq, 3)} ms/req over the do-nothing passthrough`,
      );
    }
    if (portkey && c !== portkey) {
      parts.push(`${f(c.load.rps / portkey.load.rps, 2)}× Portkey req/s`);
      parts.push(`${f(c.cpuMsPerReq / portkey.cpuMsPerReq, 2)}× Portkey CPU/req`);
    }
    // The Responses and Messages surfaces against the chat surface of the same gateway
    // process (`gateway:anthropic` runs on the first transport's gateway).
    const surface = c.target.startsWith("responses:")
      ? "responses"
      : c.target === "gateway:anthropic" || c.target.startsWith("anthropic:")
        ? "anthropic"
        : undefined;
    const chatTarget =
      c.target === "gateway:anthropic"
        ? row.find((x) => x.target.startsWith("gateway:") && x !== c)?.target
        : surface
          ? `gateway:${c.target.slice(c.target.indexOf(":") + 1)}`
          : undefined;
    const chat = chatTarget ? row.find((x) => x.target === chatTarget) : undefined;
    if (chat) {
      parts.push(`${f(c.cpuMsPerReq / chat.cpuMsPerReq, 2)}× chat CPU/req`);
      if (c.mode !== "nonstream") {
        const n = chunksOf(c.mode);
        const events = surface === "anthropic" ? anthropicEvents(n) : responsesEvents(n);
        const perEvent = c.cpuMsPerReq / events;
        const chatPerEvent = chat.cpuMsPerReq / chatFrames(n);
        parts.push(
          `CPU/event ${f(perEvent * 1000, 1)} µs vs chat ${f(chatPerEvent * 1000, 1)} µs (${f(perEvent / chatPerEvent, 2)}×; ${events} events vs ${chatFrames(n)} frames)`,
        );
      }
    }
    out.push(parts.join(", "));
  }
  return out;
}

/** The rows of one scenario, as printed while the run goes. */
export function renderConsole(row: Cell[]): string {
  return `${header()}${row.map(line).join("")}${ratioLines(row)
    .map((l) => `  → ${l}\n`)
    .join("")}\n`;
}

export async function machineDescription(loadavg: string): Promise<string> {
  const cpu = cpus();
  const commit = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"]).stdout.toString().trim();
  return [
    `- CPU: ${cpu.length} × ${cpu[0]?.model ?? "unknown"}`,
    `- Memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB; kernel ${release()}`,
    `- Bun ${Bun.version}; gateway commit ${commit || "unknown"} (plus uncommitted work in the tree)`,
    `- Load average when the run started: ${loadavg} (other work on the box competes for the same 2 cores)`,
    "- Everything on loopback: the load generator (this process), the emulator and each gateway are separate Bun processes sharing the cores, so absolute req/s is capped by the machine; read the ratios.",
  ].join("\n");
}

function find(cells: Cell[], target: string, mode: Mode, c: number): Cell | undefined {
  return cells.find((x) => x.target === target && x.mode === mode && x.concurrency === c);
}

interface TargetCheck {
  name: string;
  value: string;
  met: boolean | undefined;
}

/** Issue 17's targets, from the cells of one run (ratios against Portkey and the floors in it). */
function targetChecks(cells: Cell[], gw: string, portkeyRan: boolean): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const mode of ["nonstream", "stream20", "stream200", "paced"] as Mode[]) {
    for (const c of [1, 32, 256]) {
      const g = find(cells, gw, mode, c);
      if (!g) continue;
      const pk = find(cells, "portkey", mode, c);
      const what = mode === "paced" ? "CPU per event (paced stream)" : "CPU per request";
      if (pk) {
        const r = g.cpuMsPerReq / pk.cpuMsPerReq;
        checks.push({
          name: `${what} ≤ 0.5× Portkey's (${mode}, ${c} client${c > 1 ? "s" : ""})`,
          value: `${f(g.cpuMsPerReq, 3)} vs ${f(pk.cpuMsPerReq, 3)} ms/req = ${f(r, 2)}×`,
          met: r <= 0.5,
        });
      } else if (!portkeyRan && c === 32) {
        checks.push({
          name: `${what} ≤ 0.5× Portkey's (${mode}, 32 clients)`,
          value: "Portkey not run",
          met: undefined,
        });
      }
      const pt = find(cells, "passthrough", mode, c);
      if (pt && mode !== "nonstream") {
        const r = g.cpuMsPerReq / pt.cpuMsPerReq;
        checks.push({
          name: `stream CPU ≤ 2.5× the do-nothing passthrough's (${mode}, ${c} client${c > 1 ? "s" : ""})`,
          value: `${f(g.cpuMsPerReq, 3)} vs ${f(pt.cpuMsPerReq, 3)} ms/req = ${f(r, 2)}×`,
          met: r <= 2.5,
        });
      }
    }
  }
  for (const [c, limit] of [
    [1, 1],
    [32, 3],
  ] as const) {
    const g = find(cells, gw, "stream20", c);
    const fl = find(cells, "floor", "stream20", c);
    if (g && fl) {
      const d = g.load.ttfbP50Ms - fl.load.ttfbP50Ms;
      checks.push({
        name: `time to first chunk ≤ +${limit} ms over the emulator's first byte, p50 (20 chunks, ${c} client${c > 1 ? "s" : ""})`,
        value: `${f(g.load.ttfbP50Ms, 2)} vs ${f(fl.load.ttfbP50Ms, 2)} ms = +${f(d, 2)} ms`,
        met: d <= limit,
      });
    }
  }
  const big = cells.filter(
    (x) => x.target === gw && x.concurrency === 256 && x.mode !== "nonstream",
  );
  if (big.length > 0) {
    const peak = Math.max(...big.map((x) => x.peakRssMiB));
    checks.push({
      name: "RSS < 150 MB with 256 concurrent streams",
      value: `peak ${f(peak, 0)} MiB (${f((peak * 2 ** 20) / 1e6, 0)} MB)`,
      met: (peak * 2 ** 20) / 1e6 < 150,
    });
  }
  return checks;
}

export function renderMarkdown(run: {
  cells: Cell[];
  machine: string;
  started: Date;
  durationMs: number;
  warmupMs: number;
  hwm: Record<string, number>;
  portkeyRan: boolean;
}): { full: string; summary: string } {
  const gateways = [...new Set(run.cells.map((c) => c.target))].filter((t) =>
    t.startsWith("gateway:"),
  );
  const summaryParts: string[] = [];
  for (const gw of gateways) {
    summaryParts.push(`### Targets for ${gw}\n`);
    for (const t of targetChecks(run.cells, gw, run.portkeyRan)) {
      const mark = t.met === undefined ? "?" : t.met ? "met" : "NOT met";
      summaryParts.push(`- ${mark}: ${t.name}: ${t.value}`);
    }
    summaryParts.push("");
  }
  const summary = summaryParts.join("\n");
  const byScenario = new Map<string, Cell[]>();
  for (const c of run.cells) {
    const k = `${c.mode}@${c.concurrency}`;
    byScenario.set(k, [...(byScenario.get(k) ?? []), c]);
  }
  const ratios = [...byScenario.values()].flatMap(ratioLines).map((l) => `- ${l}`);
  const full = `# Benchmark results

Generated by \`bun run bench\` on ${run.started.toISOString()} (${run.durationMs} ms measured per cell after ${run.warmupMs} ms warm-up). Method and decisions: [README.md](README.md).

## Machine

${run.machine}

## Targets (issue 17)

${summary}
## Measurements

"passthrough" is bench/passthrough.ts, a do-nothing Bun proxy (Bun.serve + fetch, body piped through untouched): the cost of Bun's server and client alone. "floor" is the emulator called directly with the same request (no gateway): its TTFB is the emulator's own first byte. CPU ms/req is the process under test (utime+stime of all its threads from /proc/<pid>/stat, 10 ms ticks); emu CPU ms/req is the emulator's in the same cell. TTFB is time to the first body bytes (streams: the first SSE chunk, or the first event frame for the floor). Peak RSS is VmRSS sampled every 25 ms during the cell.

${header()}${run.cells.map(line).join("")}
Lifetime peak RSS (VmHWM): ${Object.entries(run.hwm)
    .map(([k, v]) => `${k} ${f(v, 0)} MiB`)
    .join(", ")}.

## Ratios (same run)

${ratios.join("\n")}
`;
  return { full, summary };
}
