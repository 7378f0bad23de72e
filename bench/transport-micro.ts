/**
 * CPU of the Bedrock transports alone, per call: this process's CPU time
 * (process.cpuUsage: the JS thread and Bun's HTTP client threads) while it
 * runs Converse / ConverseStream calls against the emulator in its own
 * process, so the emulator's CPU is not counted. The SDK and raw transports
 * alternate round by round (a same-run comparison on a noisy machine).
 * `raw` sends on the gateway's own HTTP/1.1 client (src/bedrock/raw/http1.ts),
 * `raw-fetch` is the same transport over Bun's fetch (UPSTREAM_HTTP=fetch).
 * `paced` is a 40-event stream with events 20 ms apart (each its own read):
 * use a higher --concurrency and fewer --calls for it.
 *
 *   bun run bench/transport-micro.ts [--calls=N] [--rounds=N] [--concurrency=N]
 *     [--ops=converse,stream20,paced] [--transports=sdk,raw,raw-fetch]
 */
import { UpstreamSender } from "../src/bedrock/raw/http1";
import { RawBedrockRuntime } from "../src/bedrock/raw-runtime";
import {
  type BedrockRuntime,
  createRuntimeClient,
  SdkBedrockRuntime,
} from "../src/bedrock/runtime";
import { spawnEmulator } from "./procs";

function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}
const CALLS = Number(flag("calls") ?? 1000);
const ROUNDS = Number(flag("rounds") ?? 5);
const CONCURRENCY = Number(flag("concurrency") ?? 8);
const OPS = (flag("ops") ?? "converse,stream20").split(",");
const TRANSPORTS = (flag("transports") ?? "sdk,raw").split(",");
const MODEL = "anthropic.claude-3-haiku-20240307-v1:0";

const emu = await spawnEmulator();
const client = createRuntimeClient({
  region: "us-east-1",
  maxAttempts: 2,
  endpoint: emu.url,
  credentials: { accessKeyId: "AKIDBENCH", secretAccessKey: "bench" },
});
const all: Record<string, BedrockRuntime> = {
  sdk: new SdkBedrockRuntime(client),
  raw: new RawBedrockRuntime(client, { endpoint: emu.url, env: {} }),
  "raw-fetch": new RawBedrockRuntime(client, {
    endpoint: emu.url,
    env: {},
    http: new UpstreamSender("fetch"),
  }),
};
const runtimes = Object.fromEntries(TRANSPORTS.map((t) => [t, all[t] as BedrockRuntime]));
const PROMPT: Record<string, string> = {
  converse: "[emu chunks=20] Say hi",
  stream20: "[emu chunks=20] Say hi",
  paced: "[emu chunks=40 delay=20] Say hi",
};

async function call(rt: BedrockRuntime, op: string): Promise<void> {
  if (op === "converse") {
    const out = await rt.converse({
      modelId: MODEL,
      messages: [{ role: "user", content: [{ text: PROMPT[op] as string }] }],
    });
    if (!out.output) throw new Error("no output");
    return;
  }
  const { stream } = await rt.converseStream({
    modelId: MODEL,
    messages: [{ role: "user", content: [{ text: PROMPT[op] as string }] }],
  });
  for await (const _ of stream) {
    // drain
  }
}

async function round(rt: BedrockRuntime, op: string, calls: number): Promise<number> {
  let next = 0;
  const start = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < calls) await call(rt, op);
    }),
  );
  const used = process.cpuUsage(start);
  return (used.user + used.system) / calls;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
try {
  for (const op of OPS) {
    const results: Record<string, number[]> = Object.fromEntries(TRANSPORTS.map((t) => [t, []]));
    for (const name of TRANSPORTS)
      await round(runtimes[name] as BedrockRuntime, op, Math.min(200, CALLS));
    for (let r = 0; r < ROUNDS; r++) {
      const order = r % 2 === 0 ? TRANSPORTS : [...TRANSPORTS].reverse();
      for (const name of order) {
        results[name]?.push(await round(runtimes[name] as BedrockRuntime, op, CALLS));
      }
    }
    for (const [name, xs] of Object.entries(results)) {
      console.log(
        `${op} ${name}: median ${median(xs).toFixed(1)} µs CPU/call (rounds: ${xs.map((x) => x.toFixed(0)).join(", ")})`,
      );
    }
  }
} finally {
  await emu.stop();
}
