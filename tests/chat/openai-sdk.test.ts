/**
 * Contract test with the official `openai` npm package: what its users see.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { type Stack, startStack } from "../support/stack";

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
let stack: Stack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startStack({ API_KEY: "sk-test" });
  // maxRetries 0: the SDK would otherwise retry our 429/5xx answers.
  client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "sk-test", maxRetries: 0 });
});
afterAll(() => stack.stop());
beforeEach(() => stack.emu.reset());

describe("openai SDK", () => {
  test("chat.completions.create", async () => {
    stack.emu.enqueue({
      reply: { content: [{ text: "Bonjour" }], usage: { inputTokens: 3, outputTokens: 1 } },
    });
    const completion = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "Say hello in French" }],
    });
    expect(completion.choices[0]?.message.content).toBe("Bonjour");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage?.total_tokens).toBe(4);
  });

  test("streaming reaches the SDK intact", async () => {
    const text = "A streamed answer that spans many chunks, with unicode: héllo wörld ✓.";
    stack.emu.enqueue({ reply: { content: [{ text }] }, stream: { chunkSize: 3 } });
    const stream = await client.chat.completions.create({
      model: MODEL,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "stream please" }],
    });
    let got = "";
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      got += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(got).toBe(text);
    expect(finish).toBe("stop");
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  test("the chat.completions.stream helper assembles the final message", async () => {
    stack.emu.enqueue({ reply: { content: [{ text: "assembled" }] }, stream: { chunkSize: 2 } });
    const runner = client.chat.completions.stream({
      model: MODEL,
      messages: [{ role: "user", content: "x" }],
    });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe("assembled");
  });

  test.each([
    ["ValidationException", OpenAI.BadRequestError, 400],
    ["AccessDeniedException", OpenAI.PermissionDeniedError, 403],
    ["ResourceNotFoundException", OpenAI.NotFoundError, 404],
    ["ThrottlingException", OpenAI.RateLimitError, 429],
    ["InternalServerException", OpenAI.InternalServerError, 502],
  ] as const)("%s is raised as %p", async (type, cls, status) => {
    stack.emu.enqueue({ error: { type, message: "nope" } });
    const err = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: "user", content: "x" }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(cls);
    expect((err as InstanceType<typeof cls>).status).toBe(status);
    expect((err as InstanceType<typeof cls>).type).toBeString();
  });

  test("a wrong key is an AuthenticationError", async () => {
    const bad = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "wrong", maxRetries: 0 });
    const err = await bad.chat.completions
      .create({ model: MODEL, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  test("a mid-stream Bedrock error is raised as APIError while iterating", async () => {
    stack.emu.enqueue({
      reply: { content: [{ text: "some text before the failure" }] },
      stream: {
        chunkSize: 4,
        exceptionAfter: { events: 3, type: "throttlingException", message: "slow down" },
      },
    });
    const stream = await client.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: "x" }],
    });
    let got = "";
    const err = await (async () => {
      for await (const chunk of stream) got += chunk.choices[0]?.delta.content ?? "";
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain("slow down");
    expect(got.length).toBeGreaterThan(0);
  });
});
