/**
 * Child processes for the benchmark, and what Linux says about them: CPU time
 * and resident memory from /proc, so the gateway's cost is measured on the
 * gateway process alone, not on the load generator or the emulator.
 *
 * @module
 */
import { join } from "node:path";
import type { Subprocess } from "bun";

/** Linux's USER_HZ; /proc/<pid>/stat counts CPU time in these ticks. */
const CLOCK_TICKS_PER_S = 100;

export interface Proc {
  name: string;
  pid: number;
  url: string;
  child: Subprocess;
  stop(): Promise<void>;
}

/** Asks the kernel for a free loopback port (bound, then released). */
export function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port ?? 0;
  s.stop(true);
  return port;
}

/**
 * Spawns `bun <script>` with `env`, and waits until `readyPath` answers 2xx.
 * stdout is discarded (the gateway's access log still gets written, as in
 * production, but nobody reads it); stderr is kept for failures.
 */
export async function spawnService(opts: {
  name: string;
  cmd: string[];
  env: Record<string, string>;
  url: string;
  readyPath: string;
  cwd?: string;
  timeoutMs?: number;
}): Promise<Proc> {
  const env: Record<string, string | undefined> = { ...process.env, ...opts.env };
  // Settings of the shell that would change what is measured (an empty
  // AWS_BEARER_TOKEN_BEDROCK still switches the SDK to bearer auth).
  for (const k of ["AWS_BEARER_TOKEN_BEDROCK", "AWS_PROFILE", "AWS_ENDPOINT_URL"]) {
    if (!(k in opts.env)) delete env[k];
  }
  const child = Bun.spawn(opts.cmd, {
    env,
    stdout: "ignore",
    stderr: "pipe",
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  for (;;) {
    if (child.exitCode !== null) {
      const err = await new Response(child.stderr as ReadableStream).text();
      throw new Error(`${opts.name} exited with ${child.exitCode}: ${err.slice(0, 2000)}`);
    }
    try {
      const r = await fetch(`${opts.url}${opts.readyPath}`);
      await r.arrayBuffer();
      if (r.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`${opts.name} did not become ready at ${opts.url}${opts.readyPath}`);
    }
    await Bun.sleep(50);
  }
  return {
    name: opts.name,
    pid: child.pid,
    url: opts.url,
    child,
    stop: async () => {
      child.kill("SIGTERM");
      const exited = await Promise.race([child.exited, Bun.sleep(3000).then(() => null)]);
      if (exited === null) child.kill("SIGKILL");
    },
  };
}

/** utime + stime of every thread of the process, in milliseconds. */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await Bun.file(`/proc/${pid}/stat`).text();
  // The command name (field 2) may contain spaces; fields are counted after its ')'.
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_S;
}

/** A field of /proc/<pid>/status in MiB (VmRSS, VmHWM…). */
export async function statusMiB(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await Bun.file(`/proc/${pid}/status`).text();
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return m?.[1] ? Number(m[1]) / 1024 : Number.NaN;
}

/**
 * Samples VmRSS every `everyMs` until stopped; the peak during a scenario is
 * what matters (VmHWM is the peak over the whole life of the process).
 */
export function sampleRss(pid: number, everyMs = 25): { stop(): Promise<number> } {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const rss = await statusMiB(pid, "VmRSS").catch(() => 0);
      if (rss > peak) peak = rss;
      await Bun.sleep(everyMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      const rss = await statusMiB(pid, "VmRSS").catch(() => 0);
      return Math.max(peak, rss);
    },
  };
}

/** The Bedrock emulator as its own process (`src/emulator/main.ts`) on a free port. */
export function spawnEmulator(): Promise<Proc> {
  const port = freePort();
  return spawnService({
    name: "emulator",
    cmd: ["bun", join(import.meta.dir, "..", "src/emulator/main.ts")],
    env: { EMULATOR_PORT: String(port), EMULATOR_HOST: "127.0.0.1" },
    url: `http://127.0.0.1:${port}`,
    readyPath: "/__emulator/health",
  });
}
