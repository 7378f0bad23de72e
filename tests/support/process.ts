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
