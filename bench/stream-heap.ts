/**
 * What one open stream keeps alive in the gateway's JS heap: the gateway
 * runs in this process (the real raw transport, against the emulator in its
 * own process), a load-generator process (bench/scale-client.ts) holds N slow
 * streams open, and `bun:jsc` heapStats after a full GC, minus the same
 * before the streams, divided by N, gives objects per open stream by type
 * and heap bytes per stream. Next to it, VmRSS growth per stream, and the
 * heap bytes by class from a heap snapshot with JSC's "extra memory" (array
 * buffers and other memory outside the cells) per stream.
 *
 *   bun run bench/stream-heap.ts [--streams=1000] [--top=25]
 */

import { heapStats } from "bun:jsc";
import { join } from "node:path";
import { loadConfig } from "../src/config";
import { silentLogger } from "../src/log";
import { startGateway } from "../src/server";
import { spawnEmulator, statusMiB } from "./procs";
import { BENCH_MODEL } from "./targets";

function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}
const N = Number(flag("streams") ?? 1000);
const TOP = Number(flag("top") ?? 25);

if (Number(process.env.BUN_CONFIG_MAX_HTTP_REQUESTS ?? 256) < N) {
  console.error(`run with BUN_CONFIG_MAX_HTTP_REQUESTS=${Math.min(65535, Math.max(N, 256))}`);
  process.exit(2);
}
const emu = await spawnEmulator();
const config = loadConfig({
  PORT: "0",
  HOST: "127.0.0.1",
  LOG_LEVEL: "error",
  MAX_CONCURRENT_REQUESTS: "100000",
  AWS_REGION: "us-east-1",
});
const gw = await startGateway(config, {
  endpoint: emu.url,
  credentials: { accessKeyId: "AKIDBENCH", secretAccessKey: "bench" },
  logger: silentLogger,
});

/** Bytes per class from a JSC heap snapshot (nodes are [id, size, class, flags]). */
function bytesByClass(): Record<string, number> {
  const snap = Bun.generateHeapSnapshot() as unknown as {
    nodes: number[];
    nodeClassNames: string[];
  };
  const out: Record<string, number> = {};
  for (let i = 0; i < snap.nodes.length; i += 4) {
    const name = snap.nodeClassNames[snap.nodes[i + 2] ?? 0] ?? "?";
    out[name] = (out[name] ?? 0) + (snap.nodes[i + 1] ?? 0);
  }
  return out;
}

async function snapshot() {
  Bun.gc(true);
  await Bun.sleep(50);
  Bun.gc(true);
  const s = heapStats();
  // VmRSS before the heap snapshot, which allocates in proportion to the heap.
  const rss = await statusMiB(process.pid, "VmRSS");
  return {
    rss,
    extra: s.extraMemorySize,
    counts: s.objectTypeCounts,
    heap: s.heapSize,
    bytes: bytesByClass(),
  };
}

try {
  // Warm up code paths (JIT, pools) with a few streams first.
  const spec = {
    url: `${gw.url}/v1/chat/completions`,
    headers: { "content-type": "application/json" },
    endMarker: "data: [DONE]",
  };
  const run = (n: number, directives: string) =>
    Bun.spawn(["bun", join(import.meta.dir, "scale-client.ts")], {
      env: {
        ...process.env,
        SCALE_STREAMS: String(n),
        SCALE_RAMP_MS: "500",
        SCALE_SPEC: JSON.stringify({
          ...spec,
          body: JSON.stringify({
            model: BENCH_MODEL,
            stream: true,
            messages: [{ role: "user", content: `[emu ${directives}] hi` }],
          }),
        }),
      },
      stdout: "ignore",
      stderr: "ignore",
    });
  await run(50, "chunks=5").exited;
  const before = await snapshot();
  const client = run(N, "chunks=30 delay=1000");
  await Bun.sleep(4000);
  const open = await snapshot();
  client.kill();
  const diff: [string, number][] = [];
  for (const [type, count] of Object.entries(open.counts)) {
    const d = (count - (before.counts[type] ?? 0)) / N;
    if (Math.abs(d) >= 0.5) diff.push([type, d]);
  }
  diff.sort((a, b) => b[1] - a[1]);
  const total = diff.reduce((a, [, d]) => a + d, 0);
  console.log(
    `${N} open streams: JS heap +${((open.heap - before.heap) / N / 1024).toFixed(1)} KiB/stream, VmRSS +${(((open.rss - before.rss) * 1024) / N).toFixed(1)} KiB/stream, ~${total.toFixed(0)} objects/stream`,
  );
  for (const [type, d] of diff.slice(0, TOP)) console.log(`  ${d.toFixed(1).padStart(6)}  ${type}`);
  // Where the heap bytes are: the snapshot's cell sizes (with what each cell reports it owns).
  const bytes: [string, number][] = Object.entries(open.bytes)
    .map(([type, b]): [string, number] => [type, (b - (before.bytes[type] ?? 0)) / N])
    .filter(([, b]) => Math.abs(b) >= 64)
    .sort((a, b) => b[1] - a[1]);
  const snapTotal = bytes.reduce((a, [, b]) => a + b, 0);
  console.log(
    `heap snapshot: +${(snapTotal / 1024).toFixed(1)} KiB/stream in cells; extra memory (buffers outside cells) +${((open.extra - before.extra) / N / 1024).toFixed(1)} KiB/stream`,
  );
  for (const [type, b] of bytes.slice(0, TOP))
    console.log(`  ${(b / 1024).toFixed(2).padStart(7)} KiB  ${type}`);
} finally {
  await gw.stop();
  await emu.stop();
}
