/**
 * Responses streams over time: client disconnects, quiet upstreams (keep-alive
 * comments), and an upstream that goes silent (one `error` event, never a quiet end).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { type Stack, startStack } from "../support/stack";

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ STREAM_KEEPALIVE_MS: "300", STREAM_IDLE_TIMEOUT_MS: "1500" });
});
afterAll(() => stack.stop());
beforeEach(() => stack.emu.reset());

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (cond()) return;
    await Bun.sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function eventNames(raw: string): string[] {
  return [...raw.matchAll(/^event: (.*)$/gm)].map((m) => m[1] ?? "");
}

describe("Responses stream lifecycle", () => {
  test("a client that disconnects aborts the Bedrock request", async () => {
    stack.emu.enqueue({
      reply: { content: [{ text: "x".repeat(400) }] },
      stream: { chunkSize: 4, eventDelayMs: 30 },
    });
    const ac = new AbortController();
    const res = await fetch(`${stack.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, stream: true, input: "long" }),
      signal: ac.signal,
    });
    await res.body?.getReader().read();
    ac.abort();
    await waitFor(
      () => stack.emu.stats.streamsCancelled === 1,
      "the emulator to see the cancellation",
    );
    expect(stack.emu.stats.streamsCompleted).toBe(0);
  });

  test("a quiet upstream gets keep-alive comments between events, and the stream completes", async () => {
    stack.emu.enqueue({
      reply: { content: [{ text: "slow answer" }] },
      stream: { chunkSize: 6, eventDelayMs: 500 },
    });
    const res = await stack.post("/v1/responses", { model: MODEL, stream: true, input: "x" });
    const raw = await res.text();
    expect(raw).toContain(": keep-alive");
    expect(eventNames(raw).at(-1)).toBe("response.completed");
  });

  test("an upstream that goes silent ends with one error event (stream_idle_timeout), no response.completed", async () => {
    stack.emu.enqueue({
      reply: { content: [{ text: "never finishes" }] },
      stream: { chunkSize: 5, eventDelayMs: 3000 },
    });
    const res = await stack.post("/v1/responses", { model: MODEL, stream: true, input: "x" });
    const raw = await res.text();
    const names = eventNames(raw);
    expect(names.at(-1)).toBe("error");
    expect(names.filter((n) => n === "error" || n.startsWith("response.completed"))).toEqual([
      "error",
    ]);
    const last = raw.trim().split("\n").at(-1) ?? "";
    const data = JSON.parse(last.slice("data: ".length)) as {
      code: string;
      sequence_number: number;
    };
    expect(data.code).toBe("stream_idle_timeout");
    expect(data.sequence_number).toBe(names.length - 1);
  });
});
