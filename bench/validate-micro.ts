/**
 * Chat request validation alone: zod's schema (as the route used it before:
 * safeParseAsync, and safeParse) vs the fast path for the common shape
 * (src/surfaces/openai-chat/fast-schema.ts). CPU µs per call, or, under
 * valgrind, a fixed amount of work for deterministic instruction counts:
 *
 *   bun run bench/validate-micro.ts [--mode=async|sync|fast|none] [--calls=N]
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null bun bench/validate-micro.ts --mode=fast --calls=2000
 *   (subtract --mode=none for the start-up and body-building cost)
 */
import { isCommonChatRequest } from "../src/surfaces/openai-chat/fast-schema";
import { chatRequestSchema } from "../src/surfaces/openai-chat/schema";

function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}
const CALLS = Number(flag("calls") ?? 100_000);
const only = flag("mode");

/** A typical streaming request of a chat client: system, a few turns, the usual fields. */
const body = () => ({
  model: "anthropic.claude-3-7-sonnet-20250219-v1:0",
  stream: true,
  stream_options: { include_usage: true },
  max_tokens: 256,
  temperature: 0.7,
  messages: [
    { role: "system", content: "You are helpful." },
    { role: "user", content: "Hello there, how are you?" },
    { role: "assistant", content: "Fine." },
    { role: "user", content: [{ type: "text", text: "more" }] },
  ],
});

const MODES: Record<string, (b: unknown) => unknown> = {
  async: (b) => chatRequestSchema.safeParseAsync(b),
  sync: (b) => chatRequestSchema.safeParse(b),
  fast: (b) => isCommonChatRequest(b) || chatRequestSchema.safeParse(b),
  none: (b) => b,
};

let sink = 0;
for (const [name, fn] of Object.entries(MODES)) {
  if (only && name !== only) continue;
  if (only) {
    // Fixed work, no warm-up loop: for instruction counts.
    for (let i = 0; i < CALLS; i++) if (fn(body())) sink++;
    await Promise.resolve();
    continue;
  }
  for (let i = 0; i < 20_000; i++) fn(body());
  const t = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) if (fn(body())) sink++;
  await Promise.resolve();
  const u = process.cpuUsage(t);
  console.log(`${name}: ${((u.user + u.system) / CALLS).toFixed(2)} µs CPU per call`);
}
if (sink < 0) console.log(sink);
