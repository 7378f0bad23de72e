/** A gateway on the emulator whose log lines the test can read. */
import { loadConfig } from "../../src/config";
import { type Emulator, startEmulator } from "../../src/emulator";
import { createLogger } from "../../src/log";
import { type Gateway, startGateway } from "../../src/server";
import { EMU_CREDENTIALS, tempDataDir } from "../support/stack";

export const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
export const API_KEY = "sk-ops-test-key-7f3a9c";

export interface OpsStack {
  emu: Emulator;
  gw: Gateway;
  /** Every line the gateway logged, raw. */
  lines: string[];
  /** The parsed access lines (`msg: "request"`), in order. */
  accessLines(): Record<string, unknown>[];
  chat(
    body: Record<string, unknown>,
    headers?: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Response>;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  stop(): Promise<void>;
}

export async function startOpsStack(env: Record<string, string> = {}): Promise<OpsStack> {
  const emu = await startEmulator();
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    AWS_MAX_ATTEMPTS: "1",
    API_KEY,
    LOG_LEVEL: "info",
    DATA_DIR: tempDataDir(),
    ...env,
  });
  const lines: string[] = [];
  const logger = createLogger(config.logLevel, (line) => lines.push(line));
  const gw = await startGateway(config, {
    endpoint: emu.url,
    credentials: EMU_CREDENTIALS,
    logger,
  });
  const auth = { authorization: `Bearer ${API_KEY}` };
  return {
    emu,
    gw,
    lines,
    accessLines: () =>
      lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "request"),
    chat: (body, headers = {}, signal) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        ...(signal ? { signal } : {}),
        headers: { "content-type": "application/json", ...auth, ...headers },
        body: JSON.stringify({ model: MODEL, ...body }),
      }),
    get: (path, headers = auth) => fetch(`${gw.url}${path}`, { headers }),
    stop: async () => {
      await gw.stop();
      await emu.stop();
    },
  };
}

/** Access lines are written when the request is over, a tick after the client saw the end. */
export async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await Bun.sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Reads an SSE body until its first data frame; `rest()` reads the remainder. */
export async function openStream(res: Response) {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("data: ")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  return {
    /** Drops the connection, as a client that goes away. */
    cancel: () => reader.cancel(),
    rest: async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return text;
        text += decoder.decode(value, { stream: true });
      }
    },
  };
}
