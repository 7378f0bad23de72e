/**
 * The access log's cost per line: `createLogger(...)` with its default sink
 * (stdout) logging the access line's fields, as src/observability/access-log.ts
 * does once per request. CPU µs per line, including the writes (and the
 * buffer's flush). Run it with stdout on a pipe, as under a container's log
 * driver:
 *
 *   bun run bench/log-micro.ts [--against=DIR,…] [--lines=N] [--rounds=N] [--burst=N] | cat >/dev/null
 *
 * `--burst=N`: lines logged per event-loop turn (requests finishing together);
 * 1 = one per turn, as at one client. Results go to stderr.
 */
import { resolve } from "node:path";

function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}
const LINES = Number(flag("lines") ?? 20_000);
const ROUNDS = Number(flag("rounds") ?? 7);
const BURST = Number(flag("burst") ?? 1);

interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
}
interface Target {
  name: string;
  logger: Logger;
}

async function load(root: string, name: string): Promise<Target> {
  const { createLogger } = await import(resolve(root, "src/log.ts"));
  return { name, logger: createLogger("info") };
}

const fields = (i: number) => ({
  requestId: `req_${i.toString(36).padStart(12, "0")}`,
  method: "POST",
  path: "/v1/chat/completions",
  route: "/v1/chat/completions",
  status: 200,
  keyId: undefined,
  latencyMs: 12.3,
  model: "anthropic.claude-3-7-sonnet-20250219-v1:0",
  stream: true,
  ttftMs: 3.2,
  tokensIn: 10,
  tokensOut: 20,
  bedrockRequestId: "0f6f1c9e-1111-2222-3333-444455556666",
  sessionId: undefined,
  errorType: undefined,
  errorCode: undefined,
  bedrockException: undefined,
  cancelled: undefined,
  cause: undefined,
});

const turn = () => new Promise<void>((r) => setImmediate(r));

async function measure(t: Target, n: number): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    t.logger.info("request", fields(i));
    if ((i + 1) % BURST === 0) await turn();
  }
  // Let a buffered writer's timer flush (sleeping costs no CPU).
  await Bun.sleep(40);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

const targets = [await load(resolve(import.meta.dir, ".."), "this")];
for (const dir of (flag("against") ?? "").split(",").filter(Boolean)) {
  targets.push(await load(resolve(dir), `against ${dir}`));
}
for (const t of targets) await measure(t, 2_000);
const results = new Map<string, number[]>();
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? targets : [...targets].reverse();
  for (const t of order) {
    const list = results.get(t.name) ?? [];
    list.push(await measure(t, LINES));
    results.set(t.name, list);
  }
}
const out: string[] = [
  `burst ${BURST}`,
  "| target | CPU µs per line, per round | median |",
  "|---|---|---|",
];
for (const [name, list] of results) {
  const median = [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;
  out.push(`| ${name} | ${list.map((v) => v.toFixed(2)).join(", ")} | ${median.toFixed(2)} |`);
}
process.stderr.write(`${out.join("\n")}\n`);
