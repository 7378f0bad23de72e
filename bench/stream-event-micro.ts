/**
 * In-process A/B of the chat stream's whole per-event path, as a paced model
 * drives it (one event-stream frame per network read): raw transport decoder →
 * withFirst → encodeBatches (mapper, ChatChunkEncoder) → toSseStream (direct
 * stream, read through a Response). No sockets: CPU of this thread only.
 * Cost per event = (CPU for 200 deltas − CPU for 20) / 180; per-stream fixed
 * cost = the 20-delta figure minus 24 × that.
 *
 *   bun run bench/stream-event-micro.ts [--against=DIR] [--runs=N] [--large-runs=N] [--rounds=N] [--batched]
 *
 * `--against=DIR[,DIR…]` loads other checkouts' modules in the same process, rounds
 * interleaved (same-run comparison). `--batched` hands over 16 KiB reads
 * (many frames per read) instead of one frame per read.
 */
import { resolve } from "node:path";
import { converseTextFrames } from "./converse-frames";

function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}
const RUNS = Number(flag("runs") ?? 1500);
/** 200-delta streams per round (default RUNS / 5). */
const LARGE_RUNS = Number(flag("large-runs") ?? Math.ceil(RUNS / 5));
const ROUNDS = Number(flag("rounds") ?? 5);
const BATCHED = process.argv.includes("--batched");

async function load(root: string) {
  const { decodeBatches, withFirst } = await import(
    resolve(root, "src/bedrock/raw/event-stream.ts")
  );
  const { encodeBatches } = await import(resolve(root, "src/converse/events.ts"));
  const { toSseStream } = await import(resolve(root, "src/http/sse.ts"));
  const { ChatChunkEncoder } = await import(
    resolve(root, "src/surfaces/openai-chat/encode-stream.ts")
  );
  const { CHAT_FRAMING } = await import(resolve(root, "src/surfaces/openai-chat/route.ts"));

  const body = (n: number): Uint8Array[] => {
    const frames = converseTextFrames(n);
    if (!BATCHED) return frames;
    const all = new Uint8Array(frames.reduce((s, f) => s + f.length, 0));
    let at = 0;
    for (const f of frames) {
      all.set(f, at);
      at += f.length;
    }
    const reads: Uint8Array[] = [];
    for (let i = 0; i < all.length; i += 16384) reads.push(all.subarray(i, i + 16384));
    return reads;
  };
  const shutdown = new AbortController().signal;
  let sink = 0;
  const one = async (reads: Uint8Array[]) => {
    let i = 0;
    const reader = new ReadableStream<Uint8Array>({
      pull(c) {
        if (i >= reads.length) return c.close();
        c.enqueue(reads[i++] as Uint8Array);
      },
    }).getReader();
    const rest = decodeBatches(reader);
    const first = await rest.next();
    const events = withFirst(first, rest);
    const encoder = new ChatChunkEncoder({ id: "c", created: 0, model: "m" }, false);
    let last = Date.now();
    const batches = encodeBatches(events, encoder, { tap: () => (last = Date.now()) });
    const stream = toSseStream(batches, {
      framing: CHAT_FRAMING,
      keepaliveMs: 15_000,
      idleTimeoutMs: 60_000,
      lastActivity: () => last,
      abort: () => {},
      shutdown,
      onEnd: () => {},
    });
    const r = (new Response(stream).body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const x = await r.read();
      if (x.done) break;
      sink += x.value.length;
    }
  };
  return { one, small: body(20), large: body(200), sink: () => sink };
}

type Target = Awaited<ReturnType<typeof load>> & { name: string };
const targets: Target[] = [{ name: "this", ...(await load(resolve(import.meta.dir, ".."))) }];
for (const dir of flag("against")?.split(",") ?? [])
  targets.push({ name: `against ${dir}`, ...(await load(resolve(dir))) });

async function cpu(fn: () => Promise<void>, n: number): Promise<number> {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / n; // µs per stream
}
for (const t of targets) {
  for (let i = 0; i < 300; i++) await t.one(t.small);
  for (let i = 0; i < 50; i++) await t.one(t.large);
}
const res = new Map<string, { small: number[]; large: number[] }>();
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? targets : [...targets].reverse();
  for (const t of order) {
    const r = res.get(t.name) ?? { small: [], large: [] };
    r.small.push(await cpu(() => t.one(t.small), RUNS));
    r.large.push(await cpu(() => t.one(t.large), LARGE_RUNS));
    res.set(t.name, r);
  }
}
const med = (l: number[]) => [...l].sort((a, b) => a - b)[Math.floor(l.length / 2)] ?? 0;
console.log(`reads: ${BATCHED ? "16 KiB (batched)" : "one frame per read (paced)"}`);
console.log(
  "| target | µs/stream, 20 deltas (per round) | µs/stream, 200 deltas | µs/event | fixed µs/stream |",
);
console.log("|---|---|---|---|---|");
for (const [name, r] of res) {
  const perEvent = (med(r.large) - med(r.small)) / 180;
  console.log(
    `| ${name} | ${r.small.map((v) => v.toFixed(0)).join(", ")} | ${r.large.map((v) => v.toFixed(0)).join(", ")} | ${perEvent.toFixed(2)} | ${(med(r.small) - 24 * perEvent).toFixed(0)} |`,
  );
}
if (targets.some((t) => t.sink() < 0)) console.log("unreachable");
