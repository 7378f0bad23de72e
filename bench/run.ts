/**
 * `bun run bench`: what the gateway costs, measured against a floor in the
 * same run.
 *
 * Starts the Bedrock emulator and the gateway (once per Bedrock transport) as
 * separate processes, drives a bounded closed-loop load on loopback for each
 * scenario (non-streaming, streaming 20 and 200 chunks; concurrency 1, 32,
 * 256), and reads each process's CPU time and RSS from /proc. The floor is the
 * emulator called directly with the same work, so the gateway's overhead comes
 * out as ratios that survive a noisy 2-core machine.
 *
 * Flags:
 *   --smoke                  short run for CI (~1 s of load, ~4 s with process start): stream20 at 32 clients, no file
 *   --duration=MS            measured time per cell (default 3000), after --warmup=MS (default 500)
 *   --modes=nonstream,stream20,stream200,paced   --concurrency=1,32,256
 *                            (paced: 40 deltas 20 ms apart, each in its own read; see targets.ts)
 *   --scale=100,1000,4000    the scale run (bench/scale.ts): that many slow streams open at once,
 *                            per target; alone (no --modes) it runs only that and writes
 *                            bench/scale-results.md. --scale-per-client=N (default 2000) streams per
 *                            load-generator process, --scale-ramp=MS (default 1000) to open them all
 *   --transports=raw,sdk     gateway Bedrock transports to run (BEDROCK_TRANSPORT); `raw@DIR`
 *                            runs another checkout (git archive + node_modules link) for a
 *                            same-run before/after; `raw#K=V,K=V` (after either) adds env vars to
 *                            that gateway only (e.g. memory settings, same run as the plain one)
 *   --surfaces=chat,anthropic,responses  gateway APIs to drive: /v1/chat/completions (Converse),
 *                            /v1/messages (Claude natively, InvokeModel; first transport only, as
 *                            InvokeModel has one transport) and /v1/responses (Converse, the same
 *                            work as chat with store: false; compared with chat per request and per event)
 *   --portkey=DIR            also run Portkey's gateway from DIR (npm install --prefix DIR @portkey-ai/gateway@1.15.2)
 *   --no-passthrough         skip the do-nothing Bun proxy (bench/passthrough.ts), a second floor
 *   --out=FILE               results file (default bench/results.md; --out= to skip)
 *   --no-keys                skip the virtual-key scenario (bench/keys.ts: static vs virtual key, same gateway)
 *
 * Benchmarks are not tests: nothing here asserts a timing. The smoke run only
 * fails if a target errors.
 *
 * @module
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jscHeapEnv } from "../src/jsc-heap";
import { renderKeysBench, renderKeysMicro, runKeysBench, runKeysMicro } from "./keys";
import { runLoad } from "./load";
import {
  cpuMs,
  freePort,
  type Proc,
  sampleRss,
  spawnEmulator,
  spawnService,
  statusMiB,
} from "./procs";
import { type Cell, machineDescription, renderConsole, renderMarkdown } from "./report";
import { runScaleCell, type ScaleCell, scaleSummary, scaleTable } from "./scale";
import {
  anthropicSpec,
  floorSpec,
  gatewaySpec,
  MODES,
  type Mode,
  portkeySpec,
  responsesSpec,
} from "./targets";

const ROOT = join(import.meta.dir, "..");

function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (hit === undefined) return undefined;
  return hit.includes("=") ? hit.slice(hit.indexOf("=") + 1) : "";
}

const smoke = flag("smoke") !== undefined;
const scale = (flag("scale") ?? "").split(",").filter(Boolean).map(Number);
const scalePerClient = Number(flag("scale-per-client") ?? 2000);
const scaleRampMs = Number(flag("scale-ramp") ?? 1000);
const scaleOnly = scale.length > 0 && flag("modes") === undefined;
const durationMs = Number(flag("duration") ?? (smoke ? 300 : 3000));
const warmupMs = Number(flag("warmup") ?? (smoke ? 100 : 500));
const modes = (
  scaleOnly ? [] : (flag("modes")?.split(",") ?? (smoke ? ["stream20"] : MODES))
) as Mode[];
const concurrencies = (flag("concurrency") ?? (smoke ? "32" : "1,32,256")).split(",").map(Number);
const transports = (flag("transports") ?? (smoke ? "raw" : "raw,sdk")).split(",");
const surfaces = (flag("surfaces") ?? "chat,anthropic,responses").split(",");
const portkeyDir = flag("portkey");
const withPassthrough = flag("no-passthrough") === undefined && !smoke;
const out = flag("out") ?? (smoke ? "" : scaleOnly ? "bench/scale-results.md" : "bench/results.md");
const withKeys = flag("no-keys") === undefined && !smoke && !scaleOnly;
/** Raised fetch and admission limits for the scale run (else Bun's fetch runs 256 at a time; 65535 is the most Bun accepts, a larger value is ignored with an error). */
const SCALE_ENV: Record<string, string> =
  scale.length > 0
    ? { BUN_CONFIG_MAX_HTTP_REQUESTS: "65535", MAX_CONCURRENT_REQUESTS: "100000" }
    : {};

/**
 * A profiled gateway gets what it would re-exec itself for (src/fetch-capacity.ts) from the
 * start: Bun's sampling profiler can kill a process that calls execve (SIGPWR, seen on 1.4.5).
 */
const profiling = (process.env.BENCH_GATEWAY_BUN_FLAGS ?? "").includes("--cpu-prof");
const NO_REEXEC_ENV: Record<string, string> = {
  BUN_CONFIG_MAX_HTTP_REQUESTS: "65535",
  ...jscHeapEnv({}),
};

/**
 * `raw` or `sdk`; `raw@DIR` runs another checkout of the gateway (e.g. `git archive
 * <commit>` unpacked, node_modules linked) next to this one: a same-run before/after.
 */
async function startGateway(emulatorUrl: string, target: string): Promise<Proc> {
  const [spec = "raw", extra = ""] = target.split("#");
  const [transport = "raw", root = ROOT] = spec.split("@");
  const extraEnv = Object.fromEntries(
    extra
      .split(",")
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
  );
  const port = freePort();
  return spawnService({
    name: `gateway(${target})`,
    // BENCH_GATEWAY_BUN_FLAGS="--cpu-prof-md --cpu-prof-dir=/tmp/prof" profiles the gateway.
    cmd: [
      "bun",
      ...(process.env.BENCH_GATEWAY_BUN_FLAGS ?? "").split(" ").filter(Boolean),
      join(root, "src/index.ts"),
    ],
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      // As deployed: the access log stays on (written to /dev/null here).
      LOG_LEVEL: "info",
      BEDROCK_TRANSPORT: transport,
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emulatorUrl,
      // The model catalog comes from the control plane, also the emulator.
      AWS_ENDPOINT_URL_BEDROCK: emulatorUrl,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDBENCH",
      AWS_SECRET_ACCESS_KEY: "bench-secret",
      API_KEY: "",
      DATA_DIR: mkdtempSync(join(tmpdir(), "gw-bench-")),
      ...SCALE_ENV,
      ...(profiling ? NO_REEXEC_ENV : {}),
      ...extraEnv,
    },
    url: `http://127.0.0.1:${port}`,
    readyPath: "/health",
  });
}

/** Bun.serve + fetch piping the emulator's bytes through untouched (bench/passthrough.ts). */
async function startPassthrough(emulatorUrl: string): Promise<Proc> {
  const port = freePort();
  return spawnService({
    name: "passthrough",
    cmd: ["bun", join(ROOT, "bench/passthrough.ts")],
    env: { PORT: String(port), UPSTREAM: emulatorUrl, ...SCALE_ENV },
    url: `http://127.0.0.1:${port}`,
    readyPath: "/health",
  });
}

async function startPortkey(dir: string): Promise<Proc> {
  const port = freePort();
  return spawnService({
    name: "portkey",
    cmd: [
      "bun",
      join(dir, "node_modules/@portkey-ai/gateway/build/start-server.js"),
      `--port=${port}`,
      "--headless",
    ],
    env: { NODE_ENV: "production", ...SCALE_ENV },
    cwd: dir,
    url: `http://127.0.0.1:${port}`,
    readyPath: "/",
  });
}

/** Waits until a real request succeeds (the gateway loads its model catalog at start). */
async function untilServing(spec: Parameters<typeof runLoad>[0], name: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await runLoad(spec, 1, 1);
    if (r.requests > 0) return;
    if (Date.now() > deadline) throw new Error(`${name} never served a request: ${r.firstError}`);
    await Bun.sleep(100);
  }
}

/** One measured cell: warm up, then load while watching the process under test and the emulator. */
async function measure(
  target: string,
  proc: Proc | undefined,
  emu: Proc,
  spec: Parameters<typeof runLoad>[0],
  mode: Mode,
  concurrency: number,
): Promise<Cell> {
  await fetch(`${emu.url}/__emulator/reset`, { method: "POST" }).then((r) => r.arrayBuffer());
  await runLoad(spec, concurrency, warmupMs);
  const watched = proc ?? emu;
  const rss = sampleRss(watched.pid);
  const cpu0 = await cpuMs(watched.pid);
  const emuCpu0 = await cpuMs(emu.pid);
  const load = await runLoad(spec, concurrency, durationMs);
  const cpu1 = await cpuMs(watched.pid);
  const emuCpu1 = await cpuMs(emu.pid);
  const peakRssMiB = await rss.stop();
  const n = Math.max(1, load.requests);
  return {
    target,
    mode,
    concurrency,
    load,
    cpuMsPerReq: proc ? (cpu1 - cpu0) / n : Number.NaN,
    emuCpuMsPerReq: (emuCpu1 - emuCpu0) / n,
    peakRssMiB: proc ? peakRssMiB : Number.NaN,
  };
}

async function main(): Promise<void> {
  const started = new Date();
  const loadavg = (await Bun.file("/proc/loadavg").text()).split(" ").slice(0, 3).join(" ");
  const emu = await spawnEmulator();
  const gateways = new Map<string, Proc>();
  let portkey: Proc | undefined;
  let passthrough: Proc | undefined;
  const cells: Cell[] = [];
  const scaleCells: ScaleCell[] = [];
  try {
    for (const t of transports) {
      const gw = await startGateway(emu.url, t);
      gateways.set(t, gw);
      await untilServing(gatewaySpec(gw.url, "nonstream"), gw.name);
    }
    if (portkeyDir) portkey = await startPortkey(portkeyDir);
    if (withPassthrough) passthrough = await startPassthrough(emu.url);
    for (const mode of modes) {
      for (const c of concurrencies) {
        const row: Cell[] = [];
        row.push(await measure("floor", undefined, emu, floorSpec(emu.url, mode), mode, c));
        if (passthrough) {
          // Same request as the floor, through a do-nothing Bun proxy.
          const spec = { ...floorSpec(emu.url, mode) };
          spec.url = spec.url.replace(emu.url, passthrough.url);
          row.push(await measure("passthrough", passthrough, emu, spec, mode, c));
        }
        const first = gateways.values().next().value;
        for (const [t, gw] of gateways) {
          if (surfaces.includes("chat"))
            row.push(await measure(`gateway:${t}`, gw, emu, gatewaySpec(gw.url, mode), mode, c));
          if (surfaces.includes("responses")) {
            row.push(
              await measure(`responses:${t}`, gw, emu, responsesSpec(gw.url, mode), mode, c),
            );
          }
          // Messages on every gateway (`gateway:anthropic` on the first: the row the targets read).
          if (surfaces.includes("anthropic")) {
            const label = gw === first ? "gateway:anthropic" : `anthropic:${t}`;
            row.push(await measure(label, gw, emu, anthropicSpec(gw.url, mode), mode, c));
          }
        }
        if (portkey) {
          row.push(
            await measure(
              "portkey",
              portkey,
              emu,
              portkeySpec(portkey.url, emu.url, mode),
              mode,
              c,
            ),
          );
        }
        cells.push(...row);
        process.stdout.write(renderConsole(row));
      }
    }
    for (const n of scale) {
      const common = { streams: n, perClient: scalePerClient, rampMs: scaleRampMs };
      const row: ScaleCell[] = [];
      row.push(
        await runScaleCell({
          ...common,
          target: "floor",
          proc: emu,
          spec: floorSpec(emu.url, "slow"),
          endMarker: "metadata",
        }),
      );
      if (passthrough) {
        // What Bun's own server and client hold per open stream: the floor for RSS and CPU.
        const spec = { ...floorSpec(emu.url, "slow") };
        spec.url = spec.url.replace(emu.url, passthrough.url);
        row.push(
          await runScaleCell({
            ...common,
            target: "passthrough",
            proc: passthrough,
            spec,
            endMarker: "metadata",
            healthUrl: `${passthrough.url}/health`,
          }),
        );
      }
      for (const [t, gw] of gateways) {
        row.push(
          await runScaleCell({
            ...common,
            target: `gateway:${t}`,
            proc: gw,
            spec: gatewaySpec(gw.url, "slow"),
            endMarker: "data: [DONE]",
            healthUrl: `${gw.url}/health`,
          }),
        );
      }
      if (portkey) {
        row.push(
          await runScaleCell({
            ...common,
            target: "portkey",
            proc: portkey,
            spec: portkeySpec(portkey.url, emu.url, "slow"),
            endMarker: "data: [DONE]",
            healthUrl: `${portkey.url}/`,
          }),
        );
      }
      scaleCells.push(...row);
      process.stdout.write(scaleTable(row));
    }
    const hwm: Record<string, number> = {};
    for (const [t, gw] of gateways) hwm[`gateway:${t}`] = await statusMiB(gw.pid, "VmHWM");
    if (portkey) hwm.portkey = await statusMiB(portkey.pid, "VmHWM");
    const md = renderMarkdown({
      cells,
      machine: await machineDescription(loadavg),
      started,
      durationMs,
      warmupMs,
      hwm,
      portkeyRan: portkey !== undefined,
    });
    const scaleMd = scaleCells.length > 0 ? scaleSummary(scaleCells) : "";
    process.stdout.write(`\n${scaleOnly ? scaleMd : md.summary}\n`);
    let keysMd = "";
    if (withKeys) {
      const keys = await runKeysBench({});
      const micro = await runKeysMicro();
      keysMd = `\n## Virtual keys: cost over a static key\n\nbench/keys.ts: one gateway, alternating rounds with the static API_KEY and a virtual key with an allow-list, rpm, tpm and a budget (median of 5 rounds each).\n\n${renderKeysBench(keys)}\n${renderKeysMicro(micro, keys)}`;
      process.stdout.write(keysMd);
    }
    const full = scaleOnly ? scaleMd : `${md.full}${keysMd}${scaleMd ? `\n${scaleMd}` : ""}`;
    if (out) {
      await Bun.write(join(ROOT, out), full);
      process.stdout.write(`\nwrote ${out}\n`);
    }
  } finally {
    await portkey?.stop();
    await passthrough?.stop();
    for (const gw of gateways.values()) await gw.stop();
    await emu.stop();
  }
  const failed = cells.filter((c) => c.load.errors > 0 || c.load.requests === 0);
  for (const c of scaleCells) {
    if (c.errors > 0) {
      process.stderr.write(
        `scale ${c.target} n=${c.streams}: ${c.errors} errors, first: ${c.firstError}\n`,
      );
    }
  }
  if (failed.length > 0) {
    for (const f of failed) {
      process.stderr.write(
        `${f.target} ${f.mode} c=${f.concurrency}: ${f.load.errors} errors, first: ${f.load.firstError}\n`,
      );
    }
    process.exit(1);
  }
}

await main();
