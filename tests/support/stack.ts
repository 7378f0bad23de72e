/**
 * Starts the Bedrock emulator and a gateway pointed at it, both on ephemeral
 * loopback ports, for integration tests that go over real HTTP through the
 * real AWS SDK.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Config, loadConfig } from "../../src/config";
import { type Emulator, startEmulator } from "../../src/emulator";
import { silentLogger } from "../../src/log";
import { type Gateway, startGateway } from "../../src/server";

export interface Stack {
  emu: Emulator;
  gw: Gateway;
  /** Gateway base URL, e.g. http://127.0.0.1:PORT */
  url: string;
  config: Config;
  /** POST JSON to the gateway. */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

/** A fresh DATA_DIR, so tests never share or litter the working directory's ./data. */
export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), "gw-data-"));
}

export const EMU_CREDENTIALS = { accessKeyId: "AKIDEMULATOR", secretAccessKey: "emulator-secret" };

/**
 * @param env gateway environment on top of test defaults (PORT=0, AWS_MAX_ATTEMPTS=1)
 */
export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const emu = await startEmulator();
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    AWS_MAX_ATTEMPTS: "1",
    LOG_LEVEL: "error",
    DATA_DIR: tempDataDir(),
    ...env,
  });
  const gw = await startGateway(config, {
    endpoint: emu.url,
    credentials: EMU_CREDENTIALS,
    logger: silentLogger,
  });
  return {
    emu,
    gw,
    url: gw.url,
    config,
    post: (path, body, headers = {}) =>
      fetch(`${gw.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    stop: async () => {
      await gw.stop();
      await emu.stop();
    },
  };
}
