/**
 * Non-Claude models on the Anthropic Messages API: through the Converse core,
 * answered in Anthropic's shape, with the official `@anthropic-ai/sdk`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { type Stack, startStack } from "../support/stack";

const KEY = "sk-gw-anthropic-converse";
const NOVA = "amazon.nova-pro-v1:0";
let stack: Stack;
let client: Anthropic;

beforeAll(async () => {
  stack = await startStack({ API_KEY: KEY });
  client = new Anthropic({ baseURL: stack.url, apiKey: KEY, maxRetries: 0 });
});
afterAll(() => stack.stop());
beforeEach(() => stack.emu.reset());

type Json = Record<string, unknown>;

function lastConverse(): Json {
  const req = stack.emu.requests.filter((r) => r.operation.startsWith("Converse")).at(-1);
  if (!req) throw new Error("no Converse request reached the emulator");
  return req.body as Json;
}

const WEATHER = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: {
    type: "object" as const,
    properties: { city: { type: "string" } },
    required: ["city"],
  },
};

describe("Converse path (Nova)", () => {
  test("a text answer in Anthropic's shape; system and metadata handled", async () => {
    const msg = await client.messages.create({
      model: NOVA,
      max_tokens: 128,
      system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
      metadata: { user_id: '{"device":"d","session":"s"}' },
      messages: [{ role: "user", content: "hello nova" }],
    });
    expect(msg.type).toBe("message");
    expect(msg.model).toBe(NOVA);
    expect(msg.content).toEqual([
      { type: "text", text: "Hello from the Bedrock emulator. You said: hello nova" },
    ] as never);
    expect(msg.stop_reason).toBe("end_turn");
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
    const input = lastConverse();
    expect(input.system).toEqual([{ text: "Be brief." }, { cachePoint: { type: "default" } }]);
    // metadata.user_id never becomes Converse requestMetadata (Bedrock rejects such values).
    expect(input.requestMetadata).toBeUndefined();
    expect((input.inferenceConfig as Json).maxTokens).toBe(128);
  });

  test("Claude Code's shape on a non-Claude model: system messages, adaptive thinking, output_config", async () => {
    const res = await stack.post(
      "/v1/messages?beta=true",
      {
        model: NOVA,
        max_tokens: 4096,
        thinking: { type: "adaptive", display: "omitted" },
        output_config: { effort: "low" },
        context_management: { edits: [] },
        messages: [
          {
            role: "user",
            content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }],
          },
          { role: "system", content: [{ type: "text", text: "Mind the rules." }] },
        ],
      },
      { "x-api-key": KEY, "anthropic-beta": "claude-code-20250219" },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gateway-warnings")).toContain("system message");
    const input = lastConverse();
    expect(input.system).toEqual([{ text: "Mind the rules." }]);
    expect(input.messages).toHaveLength(1);
  });

  test("tool round trip and tool_choice", async () => {
    const first = await client.messages.create({
      model: NOVA,
      max_tokens: 128,
      tools: [WEATHER],
      tool_choice: { type: "any" },
      messages: [{ role: "user", content: "weather in Paris?" }],
    });
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((b) => b.type === "tool_use");
    if (use?.type !== "tool_use") throw new Error("no tool_use");
    expect(use.input).toEqual({ city: "example_city" });
    expect((lastConverse().toolConfig as Json).toolChoice).toEqual({ any: {} });
    const second = await client.messages.create({
      model: NOVA,
      max_tokens: 128,
      tools: [WEATHER],
      messages: [
        { role: "user", content: "weather in Paris?" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "sunny" }] },
      ],
    });
    expect(second.content).toEqual([{ type: "text", text: "The tool returned: sunny" }] as never);
  });

  test("tool_choice none offers no tools", async () => {
    const msg = await client.messages.create({
      model: NOVA,
      max_tokens: 64,
      tools: [WEATHER],
      tool_choice: { type: "none" },
      messages: [{ role: "user", content: "get_weather please" }],
    });
    expect(msg.stop_reason).toBe("end_turn");
    expect(lastConverse().toolConfig).toBeUndefined();
  });

  test("stream: Anthropic events with dense block indexes and usage at the end", async () => {
    const stream = client.messages.stream({
      model: NOVA,
      max_tokens: 128,
      tools: [WEATHER],
      messages: [{ role: "user", content: "[emu tool=get_weather] go" }],
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalMessage();
    expect(types[0]).toBe("message_start");
    expect(types.at(-1)).toBe("message_stop");
    expect(types).toContain("content_block_start");
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content).toEqual([
      {
        type: "tool_use",
        id: expect.any(String),
        name: "get_weather",
        input: { city: "example_city" },
      },
    ] as never);
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  test("stream text, and a mid-stream Bedrock exception as event: error", async () => {
    const text = await client.messages
      .stream({
        model: NOVA,
        max_tokens: 64,
        messages: [{ role: "user", content: "[emu chunks=3] x" }],
      })
      .finalText();
    expect(text).toBe("alpha bravo charlie");
    const res = await stack.post(
      "/v1/messages",
      {
        model: NOVA,
        max_tokens: 64,
        stream: true,
        messages: [{ role: "user", content: "[emu midstream=throttlingException] hi" }],
      },
      { "x-api-key": KEY },
    );
    const body = await res.text();
    expect(body).toContain("event: error");
    expect(body).toContain('"rate_limit_error"');
    expect(body).not.toContain("event: message_stop");
  });

  test("Bedrock errors keep Anthropic statuses on the Converse path too", async () => {
    stack.emu.enqueue({ error: { type: "ServiceUnavailableException", message: "busy" } });
    const err = await client.messages
      .create({ model: NOVA, max_tokens: 8, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
  });

  test("count_tokens counts the Converse input with the foundation model id", async () => {
    const out = await client.messages.countTokens({
      model: NOVA,
      messages: [{ role: "user", content: "count me" }],
    });
    expect(out.input_tokens).toBeGreaterThan(0);
    const req = stack.emu.requests.at(-1);
    expect(req?.operation).toBe("CountTokens");
    expect((req?.body as { input?: Json } | undefined)?.input?.converse).toBeDefined();
  });

  test("server tools are Claude-only: a clear 400", async () => {
    const err = await client.messages
      .create({
        model: NOVA,
        max_tokens: 8,
        tools: [{ type: "bash_20250124", name: "bash" }],
        messages: [{ role: "user", content: "x" }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
  });
});
