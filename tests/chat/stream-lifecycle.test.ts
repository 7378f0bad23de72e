/**
 * Streams over time: client disconnects, quiet upstreams, Bun's idle timer.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { readSse } from "../support/sse";
import { type Stack, startStack } from "../support/stack";

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ STREAM_KEEPALIVE_MS: "300", STREAM_IDLE_TIMEOUT_MS: "2500" });
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

describe("stream lifecycle", () => {
  test("a client that disconnects aborts the Bedrock request", async () => {
    stack.emu.enqueue({
      reply: { content: [{ text: "x".repeat(400) }] },
      stream: { chunkSize: 4, eventDelayMs: 30 },
    });
    const ac = new AbortController();
    const res = await fetch(`${stack.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: MODEL,
        stream: true,
        messages: [{ role: "user", content: "long" }],
      }),
      signal: ac.signal,
    });
    const reader = res.body?.getReader();
    await reader?.read();
    ac.abort();
    await waitFor(
      () => stack.emu.stats.streamsCancelled === 1,
      "the emulator to see the cancellation",
    );
    expect(stack.emu.stats.streamsCompleted).toBe(0);
  });

  test("a quiet upstream gets keep-alive comments, and the stream still completes", async () => {
    stack.emu.enqueue({
      reply: { content: [{ text: "slow answer" }] },
      stream: { chunkSize: 6, eventDelayMs: 500 },
    });
    const res = await stack.post("/v1/chat/completions", {
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: "x" }],
    });
    const { data, comments } = await readSse(res);
    expect(comments).toContain("keep-alive");
    expect(data.at(-1)).toBe("[DONE]");
  });

  test("an upstream silent past STREAM_IDLE_TIMEOUT_MS ends with an error frame and is aborted", async () => {
    stack.emu.enqueue({
      reply: { content: [{ text: "abcdef" }] },
      stream: { chunkSize: 2, eventDelayMs: 5000 },
    });
    const res = await stack.post("/v1/chat/completions", {
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: "x" }],
    });
    const { data } = await readSse(res);
    expect(data).not.toContain("[DONE]");
    expect((data.at(-1) as { error: { code: string } }).error.code).toBe("stream_idle_timeout");
    await waitFor(() => stack.emu.stats.streamsCancelled === 1, "the upstream abort");
  });
});

describe("Bun's 10 s idle timer does not cut slow models", () => {
  test(
    "a non-stream answer and a stream whose first event take 11 s both arrive",
    async () => {
      const slow = await startStack({
        STREAM_KEEPALIVE_MS: "60000",
        STREAM_IDLE_TIMEOUT_MS: "60000",
      });
      try {
        slow.emu.enqueue(
          {
            match: { operation: "Converse" },
            delayMs: 11_000,
            reply: { content: [{ text: "late" }] },
          },
          {
            match: { operation: "ConverseStream" },
            reply: { content: [{ text: "late" }] },
            stream: { firstEventDelayMs: 11_000 },
          },
        );
        const [plain, streamed] = await Promise.all([
          slow.post("/v1/chat/completions", {
            model: MODEL,
            messages: [{ role: "user", content: "x" }],
          }),
          slow.post("/v1/chat/completions", {
            model: MODEL,
            stream: true,
            messages: [{ role: "user", content: "x" }],
          }),
        ]);
        expect(plain.status).toBe(200);
        expect(
          ((await plain.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]
            ?.message.content,
        ).toBe("late");
        const { data } = await readSse(streamed);
        expect(data.at(-1)).toBe("[DONE]");
      } finally {
        await slow.stop();
      }
    },
    { timeout: 30_000 },
  );
});
