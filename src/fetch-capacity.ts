/**
 * Bun's `fetch` runs at most `BUN_CONFIG_MAX_HTTP_REQUESTS` requests at once
 * per process (default 256); the rest wait silently inside fetch. Every
 * Bedrock call goes through fetch, so without a higher limit request 257 would
 * be admitted by MAX_CONCURRENT_REQUESTS and then stall without a signal.
 *
 * Bun reads the variable once, when the process starts: setting
 * `process.env.BUN_CONFIG_MAX_HTTP_REQUESTS` later changes nothing (measured
 * on Bun 1.4.5: 400 slow fetches ran in two waves of 256 either way). So the
 * entry point calls {@link liftFetchCap} before anything fetches: when the
 * process was started without a high enough limit, it replaces itself
 * (`execve`, same PID, same argv, same stdio) with the limit in its
 * environment. The PID staying the same matters: systemd, ECS and
 * `bun run start` keep signalling the process they started. The same re-exec
 * carries JSC's heap setting (src/jsc-heap.ts), which Bun also reads only at
 * start: one re-exec at most, whichever is missing.
 *
 * @module
 */

/** Bun's built-in limit when the variable is unset. */
export const BUN_DEFAULT_FETCH_CAP = 256;
/** The highest value Bun accepts. */
export const BUN_MAX_FETCH_CAP = 65_535;
const VAR = "BUN_CONFIG_MAX_HTTP_REQUESTS";
/** Set by the gateway on its re-exec, so a failed lift never loops. */
const MARK = "GATEWAY_FETCH_CAP_LIFTED";
/** Control-plane calls, image fetches and retries beside the per-request calls. */
const HEADROOM = 64;

/**
 * Upstream fetches the gateway can have in flight at once: every admitted
 * request may run EMBEDDING_CONCURRENCY Bedrock calls (chat streams run one).
 */
export function neededFetchCap(cfg: {
  maxConcurrentRequests: number;
  embeddingConcurrency: number;
}): number {
  return Math.min(
    BUN_MAX_FETCH_CAP,
    cfg.maxConcurrentRequests * Math.max(1, cfg.embeddingConcurrency) + HEADROOM,
  );
}

/** The limit this process runs with (what Bun read at startup). */
export function currentFetchCap(env: Record<string, string | undefined> = process.env): number {
  const raw = env[VAR];
  const n = raw === undefined ? Number.NaN : Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= BUN_MAX_FETCH_CAP ? n : BUN_DEFAULT_FETCH_CAP;
}

export type LiftOutcome =
  | { kind: "ok"; cap: number }
  /** The operator set a lower limit explicitly: kept, with a warning. */
  | { kind: "operator"; cap: number; needed: number }
  /** Re-exec failed or is not possible here (watch mode, no libc): the cap stays. */
  | { kind: "failed"; cap: number; needed: number; reason: string };

/**
 * Makes sure this process runs with a fetch limit of at least `needed`, and
 * with the other start-up-only variables in `alsoSet` (JSC's heap settings,
 * src/jsc-heap.ts; the caller leaves out what the operator set). Returns only
 * when no re-exec was needed or it could not happen; on success the process
 * image is replaced and this function never returns.
 */
export function liftFetchCap(
  needed: number,
  env: Record<string, string | undefined> = process.env,
  alsoSet: Record<string, string> = {},
): LiftOutcome {
  const cap = currentFetchCap(env);
  // MARK is "1" when the gateway set the fetch limit on its re-exec, "0" when it set only `alsoSet`.
  const reexeced = env[MARK] !== undefined;
  const operatorCap = env[VAR] !== undefined && env[MARK] !== "1";
  const liftCap = cap < needed && !operatorCap;
  const missing = Object.entries(alsoSet).filter(([k]) => env[k] === undefined);
  let reason = "still capped after re-exec";
  if (!reexeced && (liftCap || missing.length > 0)) {
    reason = process.execArgv.some((a) => a.startsWith("--watch") || a.startsWith("--hot"))
      ? "watch mode cannot re-exec"
      : reexec({
          ...env,
          ...Object.fromEntries(missing),
          ...(liftCap ? { [VAR]: String(needed) } : {}),
          [MARK]: liftCap ? "1" : "0",
        });
  }
  if (cap >= needed) return { kind: "ok", cap };
  if (operatorCap) return { kind: "operator", cap, needed };
  return { kind: "failed", cap, needed, reason };
}

/** execve(2) of this same command line with `env`; returns only on failure (the reason). */
function reexec(env: Record<string, string | undefined>): string {
  try {
    // Loaded lazily: only the first start of a process that needs the lift pays for it.
    const { dlopen, FFIType, ptr } = require("bun:ffi") as typeof import("bun:ffi");
    const libc = dlopen(process.platform === "darwin" ? "libc.dylib" : "libc.so.6", {
      execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
    });
    const cstr = (s: string) => Buffer.from(`${s}\0`);
    const argv = [process.execPath, ...process.execArgv, ...process.argv.slice(1)].map(cstr);
    const envp = Object.entries(env)
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => cstr(`${k}=${v}`));
    const table = (bufs: Buffer[]) => {
      const t = new BigUint64Array(bufs.length + 1); // NULL-terminated
      bufs.forEach((b, i) => {
        t[i] = BigInt(ptr(b));
      });
      return t;
    };
    const argvTable = table(argv);
    const envTable = table(envp);
    const path = argv[0] as Buffer;
    libc.symbols.execve(ptr(path), ptr(argvTable), ptr(envTable));
    return "execve failed";
  } catch (err) {
    return `re-exec unavailable: ${String(err)}`;
  }
}
