/**
 * Graceful shutdown of the real process (`bun run src/index.ts`), the way ECS
 * stops a task: SIGTERM while a stream is live.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { type Emulator, startEmulator } from "../../src/emulator";
import { spawnGateway } from "../support/process";
import { parseSse } from "../support/sse";
import { openStream } from "./helpers";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());
beforeEach(() => emu.reset());

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

function env(extra: Record<string, string>): Record<string, string> {
  return {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDSHUTDOWN",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emu.url,
    AWS_ENDPOINT_URL_BEDROCK: emu.url,
    LOG_LEVEL: "info",
    ...extra,
  };
}

function chat(url: string, content: string, stream: boolean) {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, stream, messages: [{ role: "user", content }] }),
  });
}

describe("SIGTERM", () => {
  test("drains: /health 503, new requests 503, the live stream completes with [DONE], exit 0", async () => {
    const gw = await spawnGateway(env({ SHUTDOWN_DRAIN_MS: "20000" }));
    // ~2 s of stream: 20 deltas, 100 ms apart.
    const res = await chat(gw.url, "[emu chunks=20 delay=100] tell me a story", true);
    expect(res.status).toBe(200);
    const live = await openStream(res);

    gw.proc.kill("SIGTERM");
    // The signal is asynchronous: wait until the process reports draining.
    let health = await fetch(`${gw.url}/health`);
    for (let i = 0; i < 50 && health.status === 200; i++) {
      await Bun.sleep(20);
      health = await fetch(`${gw.url}/health`);
    }
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: "draining" });

    const refused = await chat(gw.url, "hello", false);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    const body = (await refused.json()) as { error: { code: string; type: string } };
    expect(body.error.code).toBe("server_shutting_down");
    expect(body.error.type).toBe("server_error");

    const events = parseSse(await live.rest());
    expect(events.data.at(-1)).toBe("[DONE]");
    expect(events.data.some((d) => typeof d === "object" && d !== null && "error" in d)).toBe(
      false,
    );
    expect(await gw.proc.exited).toBe(0);
    // Only the live stream reached Bedrock; the refused request never did.
    expect(emu.requests.filter((r) => r.operation === "ConverseStream")).toHaveLength(1);
    expect(emu.requests.filter((r) => r.operation === "Converse")).toHaveLength(0);

    const out = await gw.output();
    expect(out).toContain('"msg":"draining"');
    expect(out).toContain('"forced":false');
  }, 20_000);

  test("a stream longer than SHUTDOWN_DRAIN_MS ends with an error frame, Bedrock is cancelled, exit 0", async () => {
    const gw = await spawnGateway(env({ SHUTDOWN_DRAIN_MS: "300" }));
    // ~6 s of stream, far past the 300 ms deadline.
    const res = await chat(gw.url, "[emu chunks=60 delay=100] a long one", true);
    expect(res.status).toBe(200);
    const live = await openStream(res);

    gw.proc.kill("SIGTERM");
    const events = parseSse(await live.rest());
    expect(events.data).not.toContain("[DONE]");
    expect(events.data.at(-1)).toEqual({
      error: {
        message: "The gateway is shutting down; retry the request.",
        type: "server_error",
        param: null,
        code: "server_shutting_down",
      },
    });
    expect(await gw.proc.exited).toBe(0);
    // The upstream call was aborted, not left running.
    for (let i = 0; i < 50 && emu.stats.streamsCancelled === 0; i++) await Bun.sleep(20);
    expect(emu.stats.streamsCancelled).toBe(1);

    const out = await gw.output();
    expect(out).toContain('"forced":true');
    // The interrupted stream still got its access line, with the error code.
    const line = out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === "request" && l.route === "/v1/chat/completions");
    expect(line?.errorCode).toBe("server_shutting_down");
    expect(line?.status).toBe(200);
    expect(line?.stream).toBe(true);
  }, 20_000);
});
