/**
 * Watching the server's shutdown signal, which every open stream and every
 * non-streamed call watches at once: `addEventListener` + `removeEventListener`
 * (before) against `watchAbort` + its unwatch (src/abort.ts), with N other
 * watchers on the same signal; and a non-streamed call's signal,
 * `AbortSignal.any([client, AbortSignal.timeout(ms), shutdown])` against
 * `callSignal` + release. CPU ns per operation, medians of interleaved rounds.
 *
 *   bun run bench/abort-micro.ts [--open=0,1000,4000] [--ops=N] [--rounds=N]
 */
import { callSignal, watchAbort } from "../src/abort";

function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}
const OPEN = (flag("open") ?? "0,1000,4000").split(",").map(Number);
const OPS = Number(flag("ops") ?? 20_000);
const ROUNDS = Number(flag("rounds") ?? 5);

type Variant = (shutdown: AbortSignal) => void | Promise<void>;
const VARIANTS: Record<string, Variant> = {
  addEventListener: (shutdown) => {
    const f = () => {};
    shutdown.addEventListener("abort", f, { once: true });
    shutdown.removeEventListener("abort", f);
  },
  watchAbort: (shutdown) => {
    watchAbort(shutdown, () => {})();
  },
  "AbortSignal.any+timeout": async (shutdown) => {
    const client = new AbortController().signal;
    await Promise.resolve(AbortSignal.any([client, AbortSignal.timeout(600_000), shutdown]));
  },
  callSignal: async (shutdown) => {
    const client = new AbortController().signal;
    const bound = callSignal(client, shutdown, 600_000);
    await Promise.resolve(bound.signal);
    bound.release();
  },
};

console.log("| open watchers | variant | ns per op, per round | median |");
console.log("|---|---|---|---|");
for (const open of OPEN) {
  const shutdown = new AbortController().signal;
  // The other streams: half as EventTarget listeners, half as watchers, so
  // both variants see N others the way they would in their own version.
  const listeners = Array.from({ length: open }, () => () => {});
  for (const f of listeners) shutdown.addEventListener("abort", f, { once: true });
  for (let i = 0; i < open; i++) watchAbort(shutdown, () => {});
  const results = new Map<string, number[]>();
  const names = Object.keys(VARIANTS);
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const fn = VARIANTS[name] as Variant;
      const t = process.cpuUsage();
      for (let i = 0; i < OPS; i++) await fn(shutdown);
      Bun.gc(true);
      const u = process.cpuUsage(t);
      const list = results.get(name) ?? [];
      list.push(((u.user + u.system) * 1000) / OPS);
      results.set(name, list);
    }
  }
  for (const [name, list] of results) {
    const median = [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0;
    console.log(
      `| ${open} | ${name} | ${list.map((v) => v.toFixed(0)).join(", ")} | ${median.toFixed(0)} |`,
    );
  }
}
