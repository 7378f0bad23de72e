/** Runs the gateway as a real process (`bun run src/index.ts`), as operators do. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

export function freePort(): number {
  const s = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = s.port ?? 0;
  s.stop(true);
  return port;
}

export interface GatewayProcess {
  url: string;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/** Starts the gateway with exactly `env` (plus PATH/HOME) and waits for /health. */
export async function spawnGateway(env: Record<string, string>): Promise<GatewayProcess> {
  const port = freePort();
  const proc = Bun.spawn([process.execPath, "run", "src/index.ts"], {
    cwd: `${import.meta.dir}/../..`,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: mkdtempSync(join(tmpdir(), "gw-data-")),
      ...env,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const url = `http://127.0.0.1:${port}`;
  const chunks: string[] = [];
  const drain = async (s: ReadableStream<Uint8Array>) => {
    for await (const c of s) chunks.push(new TextDecoder().decode(c));
  };
  const drained = Promise.all([drain(proc.stdout), drain(proc.stderr)]);
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) break;
    if (
      await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      )
    ) {
      return {
        url,
        proc,
        output: async () => chunks.join(""),
        stop: async (signal = "SIGTERM") => {
          proc.kill(signal);
          const code = await proc.exited;
          await drained;
          return code;
        },
      };
    }
    await Bun.sleep(50);
  }
  proc.kill();
  await drained;
  throw new Error(`gateway did not start:\n${chunks.join("")}`);
}

export interface StartedProcess {
  url: string;
  /** The `bun run start` process: the leader of its own process group. */
  wrapperPid: number;
  /** The gateway itself (the wrapper's child). */
  appPid: number;
  exited: Promise<number | null>;
  output(): string;
}

/**
 * `bun run start` as operators run it, in a process group of its own (as under
 * systemd or a terminal), so a test can signal the group, the wrapper or the app.
 */
export async function spawnStart(env: Record<string, string>): Promise<StartedProcess> {
  const { spawn } = await import("node:child_process");
  const port = freePort();
  const child = spawn(process.execPath, ["run", "start"], {
    cwd: `${import.meta.dir}/../..`,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      PORT: String(port),
      HOST: "127.0.0.1",
      ...env,
    },
  });
  const chunks: string[] = [];
  child.stdout?.on("data", (d: Buffer) => chunks.push(d.toString()));
  child.stderr?.on("data", (d: Buffer) => chunks.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const wrapperPid = child.pid ?? 0;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) break;
    const up = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) {
      const children = await Bun.file(`/proc/${wrapperPid}/task/${wrapperPid}/children`).text();
      const appPid = Number(children.trim().split(/\s+/)[0]);
      return { url, wrapperPid, appPid, exited, output: () => chunks.join("") };
    }
    await Bun.sleep(50);
  }
  try {
    process.kill(-wrapperPid, "SIGKILL");
  } catch {}
  throw new Error(`gateway did not start:\n${chunks.join("")}`);
}
