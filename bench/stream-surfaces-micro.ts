/**
 * In-process micro-benchmark: the gateway's CPU per streamed request and per
 * event on each surface, without sockets or other processes (so it holds on a
 * busy machine):
 * - chat: ConverseStream frames → raw-transport frame decoder → Converse core
 *   (ConverseEventMapper) → ChatChunkEncoder → `data:` SSE text;
 * - responses: the same frames and core → ResponseEncoder (response.created …
 *   response.completed, `--codex`: with ~20 KB of echoed tools, as Codex sends)
 *   → named SSE text, as the route frames it;
 * - anthropic: InvokeModelWithResponseStream `chunk` frames → native-invoke's
 *   decoder → invokeStream → Anthropic named SSE text (Claude's events passed through);
 *   read through fetch's body stream where the checkout reads `Response.body`, through a
 *   plain reader (the socket client's shape) where it reads `reader()`.
 * Each pipeline runs on N = 20 and N = 200 text deltas; cost per event is the
 * difference divided by 180, the fixed cost per stream the 20-delta figure
 * minus 20 × that.
 *
 *   bun run bench/stream-surfaces-micro.ts [--against=DIR,…] [--runs=N] [--rounds=N]
 *     [--per-frame] [--codex] [--surfaces=chat,responses,anthropic]
 *
 * `--against=DIR` loads other checkouts' modules (a `git archive` of a commit,
 * node_modules linked) in the same process, rounds interleaved over checkouts and
 * surfaces (medians): a same-run A/B. `--per-frame` hands over one frame per
 * read, as a model's pace does (default: 16 KiB reads). Its numbers complement
 * the process-level `bun run bench` (gateway:raw, responses:raw and
 * gateway:anthropic rows) and bench/inprocess.ts (the whole app).
 */
import { resolve } from "node:path";
import { converseTextFrames } from "./converse-frames";

function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}
const RUNS = Number(flag("runs") ?? 1000);
const ROUNDS = Number(flag("rounds") ?? 7);
const PER_FRAME = process.argv.includes("--per-frame");
const CODEX = process.argv.includes("--codex");
const SURFACES = (flag("surfaces") ?? "chat,responses,anthropic").split(",");
/** Network reads: 16 KiB (a fast producer, many frames per read) unless `--per-frame`. */
const READ_BYTES = 16384;

function concat(frames: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

/** The body as a network would hand it over. */
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

/** The body as the socket client's reader hands it over (same read sizes, no ReadableStream). */
function plainReaderOf(body: Uint8Array) {
  let at = 0;
  return {
    read: () => {
      if (at >= body.length) return Promise.resolve({ done: true as const, value: undefined });
      const size = PER_FRAME
        ? new DataView(body.buffer, body.byteOffset + at).getUint32(0)
        : READ_BYTES;
      const value = body.subarray(at, at + size);
      at += size;
      return Promise.resolve({ done: false as const, value });
    },
    cancel: () => Promise.resolve(),
  };
}

/** Codex's tool list, roughly: ~20 function tools with JSON Schemas (~20 KB echoed). */
function codexTools(): unknown[] {
  const props = Object.fromEntries(
    Array.from({ length: 8 }, (_, i) => [
      `p${i}`,
      { type: "string", description: "a parameter ".repeat(5) },
    ]),
  );
  return Array.from({ length: 18 }, (_, i) => ({
    type: "function",
    name: `tool${i}`,
    description: "Does things. ".repeat(40),
    parameters: { type: "object", properties: props, required: ["p0"] },
    strict: false,
  }));
}

type Json = Record<string, unknown>;

async function load(root: string) {
  const mod = (p: string) => import(resolve(root, p));
  const { eventFrame } = await mod("src/emulator/eventstream.ts");
  const { decodeBatches } = await mod("src/bedrock/raw/event-stream.ts");
  const { encodeBatches } = await mod("src/converse/events.ts");
  const { invokeStream } = await mod("src/surfaces/anthropic/native.ts");
  const { ANTHROPIC_FRAMING } = await mod("src/surfaces/anthropic/sse.ts");
  const { ChatChunkEncoder } = await mod("src/surfaces/openai-chat/encode-stream.ts");
  const { CHAT_FRAMING } = await mod("src/surfaces/openai-chat/route.ts");
  const { ResponseEncoder } = await mod("src/surfaces/openai-responses/encode.ts");
  const { decodeResponsesRequest } = await mod("src/surfaces/openai-responses/decode.ts");
  const { ReasoningSealer } = await mod("src/surfaces/openai-responses/seal.ts");
  const { namedFrame } = await mod("src/http/sse.ts");

  const converseBody = (n: number): Uint8Array => concat(converseTextFrames(n));

  const anthropicBody = (n: number): Uint8Array => {
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
      chunk(
        { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
        1,
      ),
    ];
    for (let i = 0; i < n; i++)
      frames.push(
        chunk(
          {
            type: "content_block_delta",
            index: 0,
            delta: { type: "text_delta", text: `word${i} ` },
          },
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
  };

  let sink = 0;
  const converseEvents = (body: Uint8Array) => {
    const batches = decodeBatches(readerOf(body).getReader());
    return {
      batches: () => batches,
      [Symbol.asyncIterator]: () => {
        throw new Error("unused");
      },
    };
  };

  const chat = async (body: Uint8Array) => {
    const encoder = new ChatChunkEncoder({ id: "c", created: 0, model: "m" }, false);
    for await (const batch of encodeBatches(converseEvents(body), encoder)) {
      let text = "";
      for (const item of batch) text += CHAT_FRAMING.frame(item);
      sink += text.length;
    }
  };

  const sealer = new ReasoningSealer("bench");
  const tools = CODEX ? codexTools() : [];
  const request = { model: "m", stream: true, store: false, input: "Say words.", tools };
  /** What the route does per request from the decoded body to the last frame (no store). */
  const responses = async (body: Uint8Array) => {
    const decoded = decodeResponsesRequest(request as never, { sealer });
    const encoder = new ResponseEncoder({
      id: "resp_1",
      createdAt: 0,
      model: "m",
      // The shape of the route's settingsOf() for a request that sets only tools.
      settings: {
        instructions: null,
        max_output_tokens: null,
        max_tool_calls: null,
        metadata: {},
        parallel_tool_calls: true,
        previous_response_id: null,
        reasoning: { effort: null, summary: null },
        service_tier: "default",
        store: false,
        temperature: 1,
        text: { format: { type: "text" }, verbosity: "medium" },
        tool_choice: "auto",
        tools,
        top_p: 1,
        truncation: "disabled",
        user: null,
      },
      tools: decoded.tools,
      sealer,
      includeEncrypted: false,
    });
    const frame = (e: Json) => namedFrame(e.type as string, e);
    const first: Json[] = [];
    encoder.start(first);
    let text = "";
    for (const e of first) text += frame(e);
    sink += text.length;
    for await (const batch of encodeBatches(converseEvents(body), encoder)) {
      text = "";
      for (const item of batch) text += frame(item as Json);
      sink += text.length;
    }
  };

  /**
   * The route's native stream path: a NativeInvoker answering with the body, invokeStream,
   * framing. The answer fits both port shapes: fetch's Response (before a881c18's successor,
   * read through `body`) and the upstream sender's (read through `reader()`, a plain reader
   * as the socket client hands over).
   */
  const anthropic = async (body: Uint8Array) => {
    const invoker = {
      invoke: async () =>
        Object.assign(new Response(readerOf(body)), { reader: () => plainReaderOf(body) }),
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
  };

  const pipelines: Record<string, [(b: Uint8Array) => Promise<void>, Uint8Array, Uint8Array]> = {
    chat: [chat, converseBody(20), converseBody(200)],
    responses: [responses, converseBody(20), converseBody(200)],
    anthropic: [anthropic, anthropicBody(20), anthropicBody(200)],
  };
  return { pipelines, sink: () => sink };
}

type Target = Awaited<ReturnType<typeof load>> & { name: string };
const targets: Target[] = [{ name: "this", ...(await load(resolve(import.meta.dir, ".."))) }];
for (const dir of flag("against")?.split(",") ?? [])
  targets.push({ name: `against ${dir}`, ...(await load(resolve(dir))) });

async function cpu(fn: (b: Uint8Array) => Promise<void>, body: Uint8Array, n: number) {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn(body);
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / n; // µs per stream
}

for (const t of targets) {
  for (const s of SURFACES) {
    const [fn, small, large] = t.pipelines[s] ?? [];
    if (!fn || !small || !large) throw new Error(`unknown surface ${s}`);
    for (let i = 0; i < 300; i++) await fn(small);
    for (let i = 0; i < 50; i++) await fn(large);
  }
}
const res = new Map<string, { small: number[]; large: number[] }>();
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? targets : [...targets].reverse();
  const surfaces = round % 2 === 0 ? SURFACES : [...SURFACES].reverse();
  for (const s of surfaces) {
    for (const t of order) {
      const [fn, small, large] = t.pipelines[s] as [
        (b: Uint8Array) => Promise<void>,
        Uint8Array,
        Uint8Array,
      ];
      const key = `${s} | ${t.name}`;
      const r = res.get(key) ?? { small: [], large: [] };
      r.small.push(await cpu(fn, small, RUNS));
      r.large.push(await cpu(fn, large, Math.ceil(RUNS / 5)));
      res.set(key, r);
    }
  }
}
const med = (l: number[]) => [...l].sort((a, b) => a - b)[Math.floor(l.length / 2)] ?? 0;
console.log(
  `reads: ${PER_FRAME ? "one frame per read" : "16 KiB"}${CODEX ? ", Codex-sized tools echoed" : ""}; ${ROUNDS} rounds, medians`,
);
console.log(
  "| surface | target | µs/stream, 20 deltas | µs/stream, 200 deltas | µs/event | fixed µs/stream |",
);
console.log("|---|---|---|---|---|---|");
for (const [name, r] of res) {
  const perEvent = (med(r.large) - med(r.small)) / 180;
  console.log(
    `| ${name} | ${med(r.small).toFixed(1)} | ${med(r.large).toFixed(1)} | ${perEvent.toFixed(2)} | ${(med(r.small) - 20 * perEvent).toFixed(1)} |`,
  );
}
if (targets.some((t) => t.sink() < 0)) console.log("unreachable");
