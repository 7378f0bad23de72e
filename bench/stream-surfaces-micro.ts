/**
 * In-process micro-benchmark: the gateway's CPU per streamed event on each
 * surface, without sockets or other processes (so it holds on a busy machine):
 * - chat: ConverseStream frames → raw-transport frame decoder → Converse core
 *   (ConverseEventMapper) → ChatChunkEncoder → `data:` SSE text;
 * - anthropic: InvokeModelWithResponseStream `chunk` frames → native-invoke's
 *   decoder → Anthropic named SSE text (Claude's events passed through).
 * Each pipeline runs on N = 20 and N = 200 text deltas; cost per event is the
 * difference divided by 180. `bun run bench/stream-surfaces-micro.ts [RUNS] [--per-frame]`; its numbers
 * complement the process-level `bun run bench` (gateway:raw vs gateway:anthropic rows).
 */

import type { NativeInvoker } from "../src/bedrock/native-invoke";
import { decodeBatches } from "../src/bedrock/raw/event-stream";
import { encodeBatches } from "../src/converse/events";
import { eventFrame } from "../src/emulator/eventstream";
import { invokeStream } from "../src/surfaces/anthropic/native";
import { ANTHROPIC_FRAMING } from "../src/surfaces/anthropic/sse";
import { ChatChunkEncoder } from "../src/surfaces/openai-chat/encode-stream";
import { CHAT_FRAMING } from "../src/surfaces/openai-chat/route";

function concat(frames: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

function converseBody(n: number): Uint8Array {
  const frames = [eventFrame("messageStart", { role: "assistant" }, 0)];
  for (let i = 0; i < n; i++)
    frames.push(
      eventFrame(
        "contentBlockDelta",
        { contentBlockIndex: 0, delta: { text: `word${i} ` } },
        i + 1,
      ),
    );
  frames.push(eventFrame("contentBlockStop", { contentBlockIndex: 0 }, n + 1));
  frames.push(eventFrame("messageStop", { stopReason: "end_turn" }, n + 2));
  frames.push(
    eventFrame(
      "metadata",
      { usage: { inputTokens: 1, outputTokens: n, totalTokens: n + 1 }, metrics: { latencyMs: 1 } },
      n + 3,
    ),
  );
  return concat(frames);
}

function anthropicBody(n: number): Uint8Array {
  const chunk = (obj: unknown, i: number) =>
    eventFrame("chunk", { bytes: Buffer.from(JSON.stringify(obj)).toString("base64") }, i);
  const frames = [
    chunk(
      {
        type: "message_start",
        message: {
          id: "msg_1",
          type: "message",
          role: "assistant",
          model: "m",
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 1, output_tokens: 1 },
        },
      },
      0,
    ),
    chunk({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }, 1),
  ];
  for (let i = 0; i < n; i++)
    frames.push(
      chunk(
        { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: `word${i} ` } },
        i + 2,
      ),
    );
  frames.push(chunk({ type: "content_block_stop", index: 0 }, n + 2));
  frames.push(
    chunk(
      {
        type: "message_delta",
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: n },
      },
      n + 3,
    ),
  );
  frames.push(
    chunk(
      { type: "message_stop", "amazon-bedrock-invocationMetrics": { inputTokenCount: 1 } },
      n + 4,
    ),
  );
  return concat(frames);
}

/**
 * Network reads: 16 KiB by default (a fast producer, many frames per read);
 * `--per-frame` hands over one frame per read, as a model's pace does.
 */
const READ_BYTES = 16384;
const PER_FRAME = process.argv.includes("--per-frame");

/** The body as a network would hand it over, READ_BYTES at a time. */
function readerOf(body: Uint8Array): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= body.length) return c.close();
      const size = PER_FRAME
        ? new DataView(body.buffer, body.byteOffset + at).getUint32(0)
        : READ_BYTES;
      c.enqueue(body.subarray(at, at + size));
      at += size;
    },
  });
}

let sink = 0;

async function chat(body: Uint8Array): Promise<void> {
  const reader = readerOf(body).getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const batches = decodeBatches(reader);
  const events = {
    batches: () => batches,
    [Symbol.asyncIterator]: () => {
      throw new Error("unused");
    },
  };
  const encoder = new ChatChunkEncoder({ id: "c", created: 0, model: "m" }, false);
  for await (const batch of encodeBatches(events, encoder)) {
    let text = "";
    for (const item of batch) text += CHAT_FRAMING.frame(item);
    sink += text.length;
  }
}

/** The route's native stream path: a NativeInvoker answering with the body, invokeStream, framing. */
async function anthropic(body: Uint8Array): Promise<void> {
  const invoker: NativeInvoker = {
    invoke: async () => new Response(readerOf(body)),
    countTokens: async () => 0,
  };
  const call = { modelId: "m", body: {}, clientModel: "claude" };
  const tap = { onEvent: () => {} };
  const { events } = await invokeStream(invoker, call, new AbortController().signal, tap);
  for (;;) {
    const r = await events.next();
    if (r.done) break;
    let text = "";
    for (const e of r.value) text += ANTHROPIC_FRAMING.frame(e);
    sink += text.length;
  }
}

async function cpuPerRun(
  fn: (b: Uint8Array) => Promise<void>,
  body: Uint8Array,
  runs: number,
): Promise<number> {
  for (let i = 0; i < 200; i++) await fn(body);
  const t0 = process.cpuUsage();
  for (let i = 0; i < runs; i++) await fn(body);
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000 / runs;
}

const RUNS = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 2000);
for (const [name, fn, make] of [
  ["chat", chat, converseBody],
  ["anthropic", anthropic, anthropicBody],
] as const) {
  const small = await cpuPerRun(fn, make(20), RUNS);
  const large = await cpuPerRun(fn, make(200), RUNS / 4);
  const perEvent = (large - small) / 180;
  console.log(
    `${name.padEnd(9)} 20 deltas ${small.toFixed(4)} ms/stream, 200 deltas ${large.toFixed(4)} ms/stream, ${(perEvent * 1000).toFixed(2)} µs/event`,
  );
}
if (sink < 0) console.log(sink);
