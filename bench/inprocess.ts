/**
 * In-process CPU cost of the gateway's own code per request: createApp(deps)
 * on a fake BedrockRuntime (no sockets, no emulator, no load generator), so
 * the figure is the app alone: middleware, validation, decoding, the
 * Converse passes, the event loop, encoding and SSE framing, reading the body.
 * Less sensitive to a busy machine than `bun run bench` (CPU time of this
 * thread, not wall time), but it leaves out Bun's HTTP server and the
 * transport.
 *
 *   bun run bench/inprocess.ts [--against=DIR] [--requests=N] [--rounds=N]
 *     [--modes=stream20,nonstream,responses-stream20,responses-nonstream]
 *
 * The `responses-*` modes ask /v1/responses for the same work as chat (store:
 * false, as Codex sends): the Responses surface's cost against chat's.
 *
 * `--against=DIR` also runs another checkout of the gateway (e.g.
 * `git archive <commit> | tar -x -C DIR`, with node_modules linked) in the
 * same process, rounds interleaved, for a same-run comparison.
 */
import { resolve } from "node:path";

function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}

const REQUESTS = Number(flag("requests") ?? 2000);
const ROUNDS = Number(flag("rounds") ?? 5);
const MODEL = "anthropic.claude-3-7-sonnet-20250219-v1:0";

type Json = Record<string, unknown>;

/** 20 text deltas between the usual first and last events, handed over one batch per event. */
function streamEvents(): Json[] {
  const events: Json[] = [{ messageStart: { role: "assistant" } }];
  for (let i = 0; i < 20; i++)
    events.push({ contentBlockDelta: { contentBlockIndex: 0, delta: { text: `word${i} ` } } });
  events.push(
    { contentBlockStop: { contentBlockIndex: 0 } },
    { messageStop: { stopReason: "end_turn" } },
    {
      metadata: {
        usage: { inputTokens: 10, outputTokens: 20, totalTokens: 30 },
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

const fakeRuntime = {
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
  const store = state ? new state.SqliteStore(":memory:") : undefined;
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
    runtime: fakeRuntime,
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
for (const [mode, body] of Object.entries(BODIES).filter(([m]) => modes.includes(m))) {
  for (const t of targets) await measure(t, body, 200); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
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
