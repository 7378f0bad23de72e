import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { readSse } from "../support/sse";
import { type Stack, startStack } from "../support/stack";

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
let stack: Stack;

beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());
beforeEach(() => stack.emu.reset());

function lastRequest() {
  const r = stack.emu.requests.at(-1);
  if (!r) throw new Error("the emulator received nothing");
  return r;
}

describe("non-streaming chat through the real SDK to the emulator", () => {
  test("a full ChatCompletion, and the Converse request Bedrock received", async () => {
    stack.emu.enqueue({
      reply: {
        content: [{ text: "Hello " }, { text: "world" }],
        stopReason: "end_turn",
        usage: {
          inputTokens: 11,
          outputTokens: 2,
          cacheReadInputTokens: 5,
          cacheWriteInputTokens: 1,
        },
      },
    });
    const res = await stack.post("/v1/chat/completions", {
      model: MODEL,
      messages: [
        { role: "system", content: "Be terse." },
        { role: "user", content: "Say hello" },
      ],
      max_tokens: 50,
      temperature: 0.3,
      stop: ["\n\n"],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      object: "chat.completion",
      model: MODEL,
      choices: [
        { index: 0, message: { role: "assistant", content: "Hello world" }, finish_reason: "stop" },
      ],
      usage: {
        prompt_tokens: 17,
        completion_tokens: 2,
        total_tokens: 19,
        prompt_tokens_details: { cached_tokens: 5, cache_write_tokens: 1 },
      },
    });
    expect(String(body.id)).toMatch(/^chatcmpl-[A-Za-z0-9]{20,}$/);
    expect(typeof body.created).toBe("number");

    const sent = lastRequest();
    expect(sent.operation).toBe("Converse");
    expect(sent.modelId).toBe(MODEL);
    expect(sent.body).toEqual({
      messages: [{ role: "user", content: [{ text: "Say hello" }] }],
      system: [{ text: "Be terse." }],
      inferenceConfig: { maxTokens: 50, temperature: 0.3, stopSequences: ["\n\n"] },
    });
    // Signed like any SDK call.
    expect(sent.headers.authorization).toStartWith("AWS4-HMAC-SHA256 ");
  });

  test("an application-profile ARN travels URL-encoded, as the SDK encodes path labels", async () => {
    const arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6";
    const res = await stack.post("/api/v1/chat/completions", {
      model: arn,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(res.status).toBe(200);
    const sent = lastRequest();
    expect(sent.modelId).toBe(arn);
    expect(sent.path).toContain(
      "arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aapplication-inference-profile%2Fa1b2c3d4e5f6",
    );
  });

  test("the same app answers under /api/v1", async () => {
    const res = await stack.post("/api/v1/chat/completions", {
      model: MODEL,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { object: string }).object).toBe("chat.completion");
  });

  test("finish_reason length when Bedrock stops at max_tokens", async () => {
    stack.emu.enqueue({ reply: { content: [{ text: "cut" }], stopReason: "max_tokens" } });
    const res = await stack.post("/v1/chat/completions", {
      model: MODEL,
      messages: [{ role: "user", content: "go" }],
      max_tokens: 1,
    });
    const body = (await res.json()) as { choices: Array<{ finish_reason: string }> };
    expect(body.choices[0]?.finish_reason).toBe("length");
  });

  test("ignored fields are reported in a warning header, not silently", async () => {
    const res = await stack.post("/v1/chat/completions", {
      model: MODEL,
      messages: [{ role: "user", content: "hi" }],
      presence_penalty: 0.5,
      seed: 7,
    });
    expect(res.status).toBe(200);
    const warning = res.headers.get("x-gateway-warnings") ?? "";
    expect(warning).toContain("presence_penalty");
    expect(warning).toContain("seed");
  });
});

describe("streaming chat", () => {
  test("chunks with role once, content deltas, one finish chunk, usage only when asked, then [DONE]", async () => {
    stack.emu.enqueue({
      reply: {
        content: [{ text: "The quick brown fox" }],
        usage: { inputTokens: 4, outputTokens: 5 },
      },
      stream: { chunkSize: 4 },
    });
    const res = await stack.post("/v1/chat/completions", {
      model: MODEL,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "fox?" }],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/event-stream");
    const { data } = await readSse(res);
    expect(data.at(-1)).toBe("[DONE]");
    const chunks = data.slice(0, -1) as Array<{
      id: string;
      object: string;
      choices: Array<{ delta: { role?: string; content?: string }; finish_reason: string | null }>;
      usage?: unknown;
    }>;
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks.filter((c) => c.choices[0]?.delta.role === "assistant").length).toBe(1);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("The quick brown fox");
    expect(
      chunks
        .filter((c) => c.choices[0]?.finish_reason !== null && c.choices.length > 0)
        .map((c) => c.choices[0]?.finish_reason),
    ).toEqual(["stop"]);
    const usageChunk = chunks.at(-1);
    expect(usageChunk?.choices).toEqual([]);
    expect(usageChunk?.usage).toMatchObject({
      prompt_tokens: 4,
      completion_tokens: 5,
      total_tokens: 9,
    });
    expect(lastRequest().operation).toBe("ConverseStream");
  });

  test("no usage chunk without stream_options.include_usage", async () => {
    const res = await stack.post("/v1/chat/completions", {
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: "hi" }],
    });
    const { data } = await readSse(res);
    const chunks = data.slice(0, -1) as Array<{ choices: unknown[]; usage?: unknown }>;
    expect(chunks.every((c) => c.choices.length === 1 && !("usage" in c))).toBe(true);
  });

  test("tool calls stream with dense indexes after reasoning and text", async () => {
    stack.emu.enqueue({
      reply: {
        content: [
          { reasoningContent: { reasoningText: { text: "need weather", signature: "sig" } } },
          { text: "Checking." },
          { toolUse: { toolUseId: "tooluse_a", name: "get_weather", input: { city: "Paris" } } },
          { toolUse: { toolUseId: "tooluse_b", name: "get_time", input: { tz: "CET" } } },
        ],
      },
      stream: { chunkSize: 5 },
    });
    const res = await stack.post("/v1/chat/completions", {
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: "weather and time in Paris" }],
      tools: [
        { type: "function", function: { name: "get_weather", parameters: { type: "object" } } },
        { type: "function", function: { name: "get_time", parameters: { type: "object" } } },
      ],
    });
    const { data } = await readSse(res);
    type Delta = { index: number; id?: string; function: { name?: string; arguments: string } };
    const deltas = (
      data.slice(0, -1) as Array<{ choices: Array<{ delta: { tool_calls?: Delta[] } }> }>
    ).flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect([...new Set(deltas.map((d) => d.index))]).toEqual([0, 1]);
    const calls = [0, 1].map((i) => {
      const parts = deltas.filter((d) => d.index === i);
      return {
        id: parts[0]?.id,
        name: parts[0]?.function.name,
        args: JSON.parse(parts.map((p) => p.function.arguments).join("")),
      };
    });
    expect(calls).toEqual([
      { id: "tooluse_a", name: "get_weather", args: { city: "Paris" } },
      { id: "tooluse_b", name: "get_time", args: { tz: "CET" } },
    ]);
    const finish = (
      data.slice(0, -1) as Array<{ choices: Array<{ finish_reason: string | null }> }>
    )
      .map((c) => c.choices[0]?.finish_reason)
      .filter((f) => f);
    expect(finish).toEqual(["tool_calls"]);
  });

  test("40 concurrent streams all complete", async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        stack
          .post("/v1/chat/completions", {
            model: MODEL,
            stream: true,
            messages: [{ role: "user", content: `stream ${i} [emu chunks=10 delay=20]` }],
          })
          .then(readSse),
      ),
    );
    for (const r of results) {
      expect(r.data.at(-1)).toBe("[DONE]");
      expect(r.data.length).toBeGreaterThanOrEqual(12);
    }
    expect(stack.emu.stats.streamsCompleted).toBe(40);
  });
});
