/**
 * In-process CPU cost of the gateway's own code per request: createApp(deps)
 * on a fake BedrockRuntime (no sockets, no emulator, no load generator), so
 * the figure is the app alone: middleware, validation, decoding, the
 * Converse passes, the event loop, encoding and SSE framing, reading the body.
 * Less sensitive to a busy machine than `bun run bench` (CPU time of this
 * thread, not wall time), but it leaves out Bun's HTTP server and the
 * transport.
 *
 *   bun run bench/inprocess.ts [--against=DIR] [--requests=N] [--rounds=N] [--framed] [--deltas=N] [--warmup=N]
 *     [--modes=stream20,nonstream,responses-stream20,responses-nonstream,
 *      responses-stream20-store,anthropic-stream20,anthropic-nonstream]
 *
 * The `responses-*` modes ask /v1/responses for the same work as chat (store:
 * false, as Codex sends; `-store`: store true, the API's default, SQLite in a
 * temporary file); the `anthropic-*` modes ask /v1/messages (Claude: the
 * native path, a fake NativeInvoker answering with InvokeModelWithResponseStream
 * frames, one per read, so they include its frame decoding; read through a plain
 * reader, the socket client's shape, where the checkout reads `reader()`). `--framed` makes
 * the chat/Responses fake runtime decode ConverseStream frames too (the raw
 * transport's decoder, one frame per read) instead of handing over parsed
 * events, so all three surfaces pay for decoding.
 *
 * `--against=DIR` also runs another checkout of the gateway (e.g.
 * `git archive <commit> | tar -x -C DIR`, with node_modules linked) in the
 * same process, rounds interleaved, for a same-run comparison.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}

const REQUESTS = Number(flag("requests") ?? 2000);
const ROUNDS = Number(flag("rounds") ?? 5);
/** Requests per target and mode before the measured rounds (JIT tiers, caches). */
const WARMUP = Number(flag("warmup") ?? 500);
const MODEL = "anthropic.claude-3-7-sonnet-20250219-v1:0";

type Json = Record<string, unknown>;

/** Text deltas per stream (`--deltas=N`; the `*stream20` modes' name keeps the default). */
const DELTAS = Number(flag("deltas") ?? 20);

/** DELTAS text deltas between the usual first and last events, handed over one batch per event. */
function streamEvents(): Json[] {
  const events: Json[] = [{ messageStart: { role: "assistant" } }];
  for (let i = 0; i < DELTAS; i++)
    events.push({ contentBlockDelta: { contentBlockIndex: 0, delta: { text: `word${i} ` } } });
  events.push(
    { contentBlockStop: { contentBlockIndex: 0 } },
    { messageStop: { stopReason: "end_turn" } },
    {
      metadata: {
        usage: { inputTokens: 10, outputTokens: DELTAS, totalTokens: 10 + DELTAS },
        metrics: { latencyMs: 1 },
      },
    },
  );
  return events;
}

function fakeStream(events: Json[]) {
  const batches = () => {
    let i = 0;
    return {
      next: async () =>
        i < events.length
          ? { done: false, value: [events[i++]] }
          : { done: true, value: undefined },
      return: async () => ({ done: true, value: undefined }),
    };
  };
  return {
    [Symbol.asyncIterator]: async function* () {
      yield* events;
    },
    batches,
  };
}

const FRAMED = process.argv.includes("--framed");

/** One frame per network read. */
function readsOf(frames: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (i >= frames.length) return c.close();
      c.enqueue(frames[i++] as Uint8Array);
    },
  });
}

/** One frame per read, as the socket client's plain reader hands them over (no ReadableStream). */
function plainReadsOf(frames: Uint8Array[]) {
  let i = 0;
  return {
    read: () =>
      Promise.resolve(
        i < frames.length
          ? { done: false as const, value: frames[i++] as Uint8Array }
          : { done: true as const, value: undefined },
      ),
    cancel: () => Promise.resolve(),
  };
}

/** Claude's native stream of DELTAS text deltas, as InvokeModelWithResponseStream `chunk` frames. */
function nativeChunks(): Json[] {
  const out: Json[] = [
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
        usage: { input_tokens: 10, output_tokens: 1 },
      },
    },
    { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
  ];
  for (let i = 0; i < DELTAS; i++)
    out.push({
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: `word${i} ` },
    });
  out.push(
    { type: "content_block_stop", index: 0 },
    {
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { output_tokens: DELTAS },
    },
    {
      type: "message_stop",
      "amazon-bedrock-invocationMetrics": { inputTokenCount: 10, outputTokenCount: DELTAS },
    },
  );
  return out;
}

const NATIVE_MESSAGE = {
  id: "msg_1",
  type: "message",
  role: "assistant",
  model: "m",
  content: [{ type: "text", text: "Hello there, this is an answer." }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 10, output_tokens: 8 },
};

const fakeRuntimeBase = {
  converse: async () => ({
    output: {
      message: { role: "assistant", content: [{ text: "Hello there, this is an answer." }] },
    },
    stopReason: "end_turn",
    usage: { inputTokens: 10, outputTokens: 8, totalTokens: 18 },
    metrics: { latencyMs: 1 },
    $metadata: { requestId: "r" },
  }),
  converseStream: async () => ({ stream: fakeStream(streamEvents()), requestId: "r" }),
  invokeModel: async () => {
    throw new Error("not used");
  },
};

interface Target {
  name: string;
  request: (path: string, body: unknown) => Promise<Response>;
}

async function load(root: string, name: string): Promise<Target> {
  const { createApp } = await import(resolve(root, "src/app.ts"));
  const { loadConfig } = await import(resolve(root, "src/config.ts"));
  const { silentLogger } = await import(resolve(root, "src/log.ts"));
  const { ModelCatalog } = await import(resolve(root, "src/models/catalog.ts"));
  const { StaticModelResolver } = await import(resolve(root, "src/models/resolver.ts"));
  // The state store, where the checkout has one (stored responses, keys): SQLite in memory.
  const state = await import(resolve(root, "src/state/sqlite.ts")).catch(() => undefined);
  const dbDir = mkdtempSync(join(tmpdir(), "inprocess-"));
  const store = state ? new state.SqliteStore(dbDir) : undefined;
  const { eventFrame } = await import(resolve(root, "src/emulator/eventstream.ts"));
  const { decodeBatches, withFirst } = await import(
    resolve(root, "src/bedrock/raw/event-stream.ts")
  );
  const converseFrames = streamEvents().map((e, i) => {
    const [type, payload] = Object.entries(e)[0] as [string, Json];
    return eventFrame(type, payload, i) as Uint8Array;
  });
  const chunkFrames = nativeChunks().map(
    (c, i) =>
      eventFrame(
        "chunk",
        { bytes: Buffer.from(JSON.stringify(c)).toString("base64") },
        i,
      ) as Uint8Array,
  );
  const runtime = {
    ...fakeRuntimeBase,
    ...(FRAMED
      ? {
          converseStream: async () => {
            const rest = decodeBatches(readsOf(converseFrames).getReader());
            return { stream: withFirst(await rest.next(), rest), requestId: "r" };
          },
        }
      : {}),
  };
  const native = {
    invoke: async (_id: string, _body: string, opts: { stream: boolean }) =>
      opts.stream
        ? // Both port shapes: fetch's Response (`body`, checkouts before the native path moved
          // onto the upstream sender) and the sender's (`reader()`: plain, as the socket client's).
          Object.assign(
            new Response(readsOf(chunkFrames), {
              headers: { "content-type": "application/vnd.amazon.eventstream" },
            }),
            { reader: () => plainReadsOf(chunkFrames) },
          )
        : Response.json(NATIVE_MESSAGE),
    countTokens: async () => 0,
  };
  const config = loadConfig({ LOG_LEVEL: "error", DEFAULT_MODEL: MODEL });
  const catalog = new ModelCatalog({
    control: { listFoundationModels: async () => [], listInferenceProfiles: async () => [] },
    region: config.region,
    ttlMs: 60_000,
    logger: silentLogger,
  });
  const app = createApp({
    config,
    logger: silentLogger,
    runtime,
    native,
    catalog,
    models: new StaticModelResolver({
      defaultModel: MODEL,
      defaultEmbeddingModel: config.defaultEmbeddingModel,
      aliases: {},
    }),
    ...(store ? { store } : {}),
  });
  return {
    name,
    request: (path, body) =>
      app.request(path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }),
  };
}

const BODIES: Record<string, { path: string; body: unknown }> = {
  stream20: {
    path: "/v1/chat/completions",
    body: {
      model: MODEL,
      stream: true,
      messages: [
        { role: "system", content: "You are brief." },
        { role: "user", content: "Say twenty words." },
      ],
    },
  },
  nonstream: {
    path: "/v1/chat/completions",
    body: {
      model: MODEL,
      messages: [
        { role: "system", content: "You are brief." },
        { role: "user", content: "Say hello." },
      ],
    },
  },
  "responses-stream20": {
    path: "/v1/responses",
    body: {
      model: MODEL,
      stream: true,
      store: false,
      instructions: "You are brief.",
      input: "Say twenty words.",
    },
  },
  "responses-nonstream": {
    path: "/v1/responses",
    body: { model: MODEL, store: false, instructions: "You are brief.", input: "Say hello." },
  },
  "responses-stream20-store": {
    path: "/v1/responses",
    body: {
      model: MODEL,
      stream: true,
      instructions: "You are brief.",
      input: "Say twenty words.",
    },
  },
  "anthropic-stream20": {
    path: "/v1/messages",
    body: {
      model: MODEL,
      stream: true,
      max_tokens: 1024,
      system: "You are brief.",
      messages: [{ role: "user", content: "Say twenty words." }],
    },
  },
  "anthropic-nonstream": {
    path: "/v1/messages",
    body: {
      model: MODEL,
      max_tokens: 1024,
      system: "You are brief.",
      messages: [{ role: "user", content: "Say hello." }],
    },
  },
};

/** CPU µs per request of `n` sequential requests. */
async function measure(
  t: Target,
  { path, body }: { path: string; body: unknown },
  n: number,
): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const res = await t.request(path, body);
    await res.text();
  }
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

const targets = [await load(resolve(import.meta.dir, ".."), "this")];
const against = flag("against");
if (against) targets.push(await load(resolve(against), `against ${against}`));

const results = new Map<string, number[]>();
const modes = (flag("modes") ?? "stream20,nonstream").split(",");
/** What a complete answer of each kind contains (checked once per target, before measuring). */
const END: Record<string, string> = {
  stream20: "data: [DONE]",
  nonstream: '"finish_reason":"stop"',
  "responses-stream20": "event: response.completed",
  "responses-stream20-store": "event: response.completed",
  "responses-nonstream": '"status":"completed"',
  "anthropic-stream20": "event: message_stop",
  "anthropic-nonstream": '"stop_reason":"end_turn"',
};
const chosen = Object.entries(BODIES).filter(([m]) => modes.includes(m));
for (const [mode, body] of chosen) {
  for (const t of targets) {
    const res = await t.request(body.path, body.body);
    const text = await res.text();
    if (res.status !== 200 || !text.includes(END[mode] ?? "")) {
      throw new Error(`${mode} on ${t.name}: ${res.status} ${text.slice(0, 300)}`);
    }
    await measure(t, body, WARMUP);
  }
}
// Rounds interleave the modes as well as the targets, so the surfaces compare within one run.
for (let round = 0; round < ROUNDS; round++) {
  for (const [mode, body] of round % 2 === 0 ? chosen : [...chosen].reverse()) {
    // Alternate the order so drift on a shared machine hits both alike.
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const t of order) {
      const key = `${mode} | ${t.name}`;
      const list = results.get(key) ?? [];
      list.push(await measure(t, body, REQUESTS));
      results.set(key, list);
    }
  }
}

console.log("| scenario | target | CPU µs/request, per round | median |");
console.log("|---|---|---|---|");
for (const [key, list] of results) {
  const sorted = [...list].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  console.log(`| ${key} | ${list.map((v) => v.toFixed(1)).join(", ")} | ${median.toFixed(1)} |`);
}
