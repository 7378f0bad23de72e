/**
 * Building one upstream request: `RuntimeRequests.build()` (the restJson1 body
 * and SigV4 with the client's credential chain), as the raw transport does per
 * Converse / ConverseStream call. CPU µs per request; `--against=DIR,…` loads
 * other checkouts (e.g. `git archive <commit> | tar -x -C DIR`, node_modules
 * linked) into this process, rounds interleaved, medians printed.
 *
 *   bun run bench/request-micro.ts [--against=DIR] [--calls=N] [--rounds=N] [--bearer]
 */
import { resolve } from "node:path";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";

function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}
const CALLS = Number(flag("calls") ?? 20_000);
const ROUNDS = Number(flag("rounds") ?? 7);
const env = process.argv.includes("--bearer") ? { AWS_BEARER_TOKEN_BEDROCK: "key" } : {};

/** A typical chat request's Converse input (system, two turns, inference config). */
const input = () => ({
  modelId: "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
  system: [{ text: "You are brief." }],
  messages: [
    { role: "user" as const, content: [{ text: "Hello there, how are you?" }] },
    { role: "assistant" as const, content: [{ text: "Fine." }] },
    { role: "user" as const, content: [{ text: "Say twenty words." }] },
  ],
  inferenceConfig: { maxTokens: 256, temperature: 0.7 },
});

interface Target {
  name: string;
  build: () => Promise<unknown>;
}

async function load(root: string, name: string): Promise<Target> {
  const { RuntimeRequests } = await import(resolve(root, "src/bedrock/raw/request.ts"));
  const client = new BedrockRuntimeClient({
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDBENCH", secretAccessKey: "bench-secret" },
  });
  const requests = new RuntimeRequests(client, { endpoint: "http://127.0.0.1:9100", env });
  return { name, build: () => requests.build(input(), "converse-stream") };
}

async function measure(t: Target, n: number): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await t.build();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

const targets = [await load(resolve(import.meta.dir, ".."), "this")];
for (const dir of (flag("against") ?? "").split(",").filter(Boolean)) {
  targets.push(await load(resolve(dir), `against ${dir}`));
}
for (const t of targets) await measure(t, 5_000); // warm-up
const results = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? targets : [...targets].reverse();
  for (const t of order) {
    const list = results.get(t.name) ?? [];
    list.push(await measure(t, CALLS));
    results.set(t.name, list);
  }
}
console.log("| target | CPU µs per request, per round | median |");
console.log("|---|---|---|");
for (const [name, list] of results) {
  const median = [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;
  console.log(`| ${name} | ${list.map((v) => v.toFixed(2)).join(", ")} | ${median.toFixed(2)} |`);
}
