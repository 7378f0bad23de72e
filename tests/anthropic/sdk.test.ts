/**
 * The Anthropic Messages API through the official `@anthropic-ai/sdk`, against
 * the real gateway over HTTP and the Bedrock emulator (which enforces Bedrock's
 * native Claude rules, so these tests prove the gateway's filtering).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { BEDROCK_BETA_ALLOW_LIST } from "../../src/converse/anthropic-betas";
import { BEDROCK_ANTHROPIC_BETAS } from "../../src/emulator/anthropic-rules";
import { until } from "../emulator/helpers";
import { type Stack, startStack } from "../support/stack";

const KEY = "sk-gw-anthropic-test";
let stack: Stack;
let client: Anthropic;

beforeAll(async () => {
  // Short keep-alive so a paced stream shows Anthropic's ping events.
  stack = await startStack({ API_KEY: KEY, STREAM_KEEPALIVE_MS: "150" });
  client = new Anthropic({ baseURL: stack.url, apiKey: KEY, maxRetries: 0 });
});
afterAll(() => stack.stop());
beforeEach(() => stack.emu.reset());

type Json = Record<string, unknown>;

/** The native body the emulator got for the last InvokeModel call. */
function lastInvokeBody(): Json {
  const req = stack.emu.requests.filter((r) => r.operation.startsWith("InvokeModel")).at(-1);
  if (!req) throw new Error("no InvokeModel request reached the emulator");
  return req.body as Json;
}

const READ_TOOL = {
  name: "Read",
  description: "Reads a file",
  input_schema: {
    type: "object" as const,
    properties: { file_path: { type: "string" } },
    required: ["file_path"],
  },
};

describe("POST /v1/messages, non-stream", () => {
  test("text answer: Anthropic message, model echoed, usage with cache fields", async () => {
    const msg = await client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 256,
      messages: [{ role: "user", content: "hello there" }],
    });
    expect(msg.type).toBe("message");
    expect(msg.id).toMatch(/^msg_/);
    expect(msg.model).toBe("claude-sonnet-4-5");
    expect(msg.content).toEqual([
      { type: "text", text: "Hello from the Bedrock emulator. You said: hello there" },
    ] as never);
    expect(msg.stop_reason).toBe("end_turn");
    expect(msg.usage.input_tokens).toBeGreaterThan(0);
    expect(msg.usage.cache_read_input_tokens).toBe(0);
    // The newest Sonnet 4.5 in the catalog, through the region's profile.
    const req = stack.emu.requests.at(-1);
    expect(req?.modelId).toBe("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    expect(lastInvokeBody().anthropic_version).toBe("bedrock-2023-05-31");
    expect(lastInvokeBody().model).toBeUndefined();
  });

  test("dated names map to the Bedrock model with that date", async () => {
    await client.messages.create({
      model: "claude-3-haiku-20240307",
      max_tokens: 64,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(stack.emu.requests.at(-1)?.modelId).toBe("anthropic.claude-3-haiku-20240307-v1:0");
    await client.messages.create({
      model: "claude-sonnet-4-0",
      max_tokens: 64,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(stack.emu.requests.at(-1)?.modelId).toBe("us.anthropic.claude-sonnet-4-20250514-v1:0");
  });

  test("an unknown model is a 404 not_found_error without a Bedrock call", async () => {
    const err = await client.messages
      .create({
        model: "claude-nonexistent-9",
        max_tokens: 8,
        messages: [{ role: "user", content: "x" }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect((err as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
      type: "error",
      error: { type: "not_found_error" },
    });
    // Anthropic's SDKs read the request id from `request-id`.
    expect((err as InstanceType<typeof Anthropic.NotFoundError>).requestID).toBeTruthy();
    expect(stack.emu.requests.filter((r) => r.operation.startsWith("Invoke"))).toHaveLength(0);
  });

  test("tool round trip: tool_use, then the answer after tool_result", async () => {
    const first = await client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 256,
      tools: [READ_TOOL],
      messages: [{ role: "user", content: "[emu tool=Read arg.file_path=/tmp/a.txt] read it" }],
    });
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((b) => b.type === "tool_use");
    expect(use).toMatchObject({ name: "Read", input: { file_path: "/tmp/a.txt" } });
    if (use?.type !== "tool_use") throw new Error("no tool_use");
    const second = await client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 256,
      tools: [READ_TOOL],
      messages: [
        { role: "user", content: "[emu tool=Read arg.file_path=/tmp/a.txt] read it" },
        { role: "assistant", content: first.content },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: use.id, content: "42 apples" }],
        },
      ],
    });
    expect(second.content).toEqual([
      { type: "text", text: "The tool returned: 42 apples" },
    ] as never);
  });

  test("thinking + signature survive a tool call round trip unchanged", async () => {
    const params = {
      model: "claude-sonnet-4-5",
      max_tokens: 4096,
      thinking: { type: "enabled" as const, budget_tokens: 1024 },
      tools: [READ_TOOL],
    };
    const first = await client.messages.create({
      ...params,
      messages: [{ role: "user", content: "[emu tool=Read] go" }],
    });
    const thinking = first.content[0];
    expect(thinking?.type).toBe("thinking");
    if (thinking?.type !== "thinking") throw new Error("no thinking");
    expect(thinking.signature).toMatch(/^Eq/);
    const use = first.content.find((b) => b.type === "tool_use");
    if (use?.type !== "tool_use") throw new Error("no tool_use");
    const second = await client.messages.create({
      ...params,
      messages: [
        { role: "user", content: "[emu tool=Read] go" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "done" }] },
      ],
    });
    expect(second.content.map((b) => b.type)).toEqual(["thinking", "text"]);
    const sent = (lastInvokeBody().messages as Json[])[1]?.content as Json[];
    expect(sent[0]).toEqual({
      type: "thinking",
      thinking: thinking.thinking,
      signature: thinking.signature,
    });
  });

  test("images, documents, citations and cache ttl reach Bedrock exactly as sent", async () => {
    const content = [
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
      {
        type: "document",
        source: { type: "base64", media_type: "application/pdf", data: "JVBERi0xLjQ=" },
        title: "spec.pdf",
        citations: { enabled: true },
        cache_control: { type: "ephemeral", ttl: "1h" },
      },
      { type: "text", text: "summarise" },
    ];
    const msg = await client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 64,
      messages: [{ role: "user", content: content as never }],
    });
    expect(msg.type).toBe("message");
    expect((lastInvokeBody().messages as Json[])[0]?.content).toEqual(content);
  });

  test("redacted_thinking, stop reasons and cache usage come through", async () => {
    stack.emu.enqueue({
      reply: {
        content: [{ reasoningContent: { redactedContent: "c2VjcmV0" } }, { text: "ok" }],
        stopReason: "max_tokens",
      },
    });
    const msg = await client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 64,
      messages: [{ role: "user", content: "x" }],
    });
    expect(msg.content[0]).toEqual({ type: "redacted_thinking", data: "c2VjcmV0" } as never);
    expect(msg.stop_reason).toBe("max_tokens");
    const cached = {
      model: "claude-sonnet-4-5",
      max_tokens: 64,
      system: [
        {
          type: "text" as const,
          text: "Long rules. ".repeat(50),
          cache_control: { type: "ephemeral" as const },
        },
      ],
      messages: [{ role: "user" as const, content: "x" }],
    };
    const a = await client.messages.create(cached);
    const b = await client.messages.create(cached);
    expect(a.usage.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(b.usage.cache_read_input_tokens).toBe(a.usage.cache_creation_input_tokens ?? -1);
  });
});

describe("betas and fields Bedrock rejects", () => {
  test("Claude Code's request shape reaches Bedrock filtered, with a warning header", async () => {
    const raw = await client.beta.messages
      .create({
        model: "claude-sonnet-4-5",
        max_tokens: 2048,
        betas: [
          "claude-code-20250219",
          "interleaved-thinking-2025-05-14",
          "context-management-2025-06-27",
          "advanced-tool-use-2025-11-20",
        ],
        metadata: { user_id: '{"device":"d","session":"s"}' },
        context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
        tools: [{ ...READ_TOOL, defer_loading: true }],
        messages: [{ role: "user", content: "[emu tool=none] hi" }],
      } as never)
      .asResponse();
    expect(raw.status).toBe(200);
    expect(raw.headers.get("x-gateway-warnings")).toContain("claude-code-20250219");
    const body = lastInvokeBody();
    expect(body.anthropic_beta).toEqual([
      "interleaved-thinking-2025-05-14",
      "context-management-2025-06-27",
    ]);
    expect(body.context_management).toBeDefined();
    expect((body.tools as Json[])[0]?.defer_loading).toBeUndefined();
    expect(body.metadata).toEqual({ user_id: '{"device":"d","session":"s"}' });
  });

  test("platform-only keys never reach Bedrock (it would reject the request)", async () => {
    const msg = await client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 64,
      service_tier: "auto",
      messages: [{ role: "user", content: "hi" }],
    } as never);
    expect(msg.type).toBe("message");
    expect(lastInvokeBody().service_tier).toBeUndefined();
  });

  test("without the context-management beta, context_management is dropped", async () => {
    await client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 64,
      messages: [{ role: "user", content: "hi" }],
      context_management: { edits: [] },
    } as never);
    expect(lastInvokeBody().context_management).toBeUndefined();
  });

  test("the gateway's allow-list is exactly the betas the emulator's Bedrock accepts", () => {
    expect([...BEDROCK_BETA_ALLOW_LIST].sort()).toEqual([...BEDROCK_ANTHROPIC_BETAS].sort());
  });

  test("what Bedrock still rejects comes back as invalid_request_error with Bedrock's words", async () => {
    const err = await client.messages
      .create({
        model: "claude-sonnet-4-5",
        max_tokens: 1024,
        thinking: { type: "enabled", budget_tokens: 1024 },
        messages: [{ role: "user", content: "x" }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const e = err as InstanceType<typeof Anthropic.BadRequestError>;
    expect(e.error).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
    expect(e.message).toContain("`max_tokens` must be greater than `thinking.budget_tokens`");
  });
});

describe("streaming", () => {
  test("every event kind, named, in order; finalMessage matches", async () => {
    const stream = client.messages.stream({
      model: "claude-sonnet-4-5",
      max_tokens: 4096,
      thinking: { type: "enabled", budget_tokens: 1024 },
      tools: [READ_TOOL],
      messages: [{ role: "user", content: "[emu tool=Read] look" }],
    });
    const types: string[] = [];
    const deltas = new Set<string>();
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "content_block_delta") deltas.add(event.delta.type);
    }
    const final = await stream.finalMessage();
    expect(types[0]).toBe("message_start");
    expect(types.at(-1)).toBe("message_stop");
    expect([...deltas].sort()).toEqual(["input_json_delta", "signature_delta", "thinking_delta"]);
    expect(final.model).toBe("claude-sonnet-4-5");
    expect(final.stop_reason).toBe("tool_use");
    expect(final.content.map((b) => b.type)).toEqual(["thinking", "tool_use"]);
  });

  test("raw SSE: event names, ping during silence, no amazon metrics", async () => {
    const res = await stack.post(
      "/v1/messages?beta=true",
      {
        model: "claude-3-haiku-20240307",
        max_tokens: 64,
        stream: true,
        messages: [{ role: "user", content: "[emu chunks=1 delay=300] hi" }],
      },
      { "x-api-key": KEY, "anthropic-version": "2023-06-01" },
    );
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    expect(text).toContain("event: message_start\ndata: ");
    expect(text).toContain('event: ping\ndata: {"type": "ping"}');
    expect(text).toContain('event: message_stop\ndata: {"type":"message_stop"}');
    expect(text).not.toContain("amazon-bedrock-invocationMetrics");
  });

  test("a Bedrock exception mid-stream becomes event: error, no message_stop", async () => {
    const res = await stack.post(
      "/v1/messages",
      {
        model: "claude-3-haiku-20240307",
        max_tokens: 64,
        stream: true,
        messages: [{ role: "user", content: "[emu midstream=throttlingException] hi" }],
      },
      { "x-api-key": KEY },
    );
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("event: error\ndata: ");
    expect(text).toContain('"type":"rate_limit_error"');
    expect(text).not.toContain("event: message_stop");
  });

  test("a dropped upstream is an error event, never a clean stop", async () => {
    const res = await stack.post(
      "/v1/messages",
      {
        model: "claude-3-haiku-20240307",
        max_tokens: 64,
        stream: true,
        messages: [{ role: "user", content: "[emu end=3] hi" }],
      },
      { "x-api-key": KEY },
    );
    const text = await res.text();
    expect(text).toContain("event: error");
    expect(text).not.toContain("event: message_stop");
  });

  test("an exception as the first frame still gets a real HTTP status", async () => {
    stack.emu.enqueue({
      stream: { exceptionAfter: { events: 0, type: "throttlingException", message: "too fast" } },
    });
    const res = await stack.post(
      "/v1/messages",
      {
        model: "claude-3-haiku-20240307",
        max_tokens: 8,
        stream: true,
        messages: [{ role: "user", content: "x" }],
      },
      { "x-api-key": KEY },
    );
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({
      type: "error",
      error: { type: "rate_limit_error", message: "too fast" },
    });
  });

  test("a client that goes away cancels the Bedrock stream", async () => {
    const controller = new AbortController();
    const res = await fetch(`${stack.url}/v1/messages`, {
      method: "POST",
      signal: controller.signal,
      headers: { "content-type": "application/json", "x-api-key": KEY },
      body: JSON.stringify({
        model: "claude-3-haiku-20240307",
        max_tokens: 64,
        stream: true,
        messages: [{ role: "user", content: "[emu chunks=50 delay=50] hi" }],
      }),
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    await until(() => stack.emu.stats.streamsCancelled === 1, "the emulator to see the cancel");
    expect(stack.emu.stats.streamsCompleted).toBe(0);
  });

  test("a native stream counts as an upstream call in flight until it ends", async () => {
    const inFlight = async () => {
      const res = await fetch(`${stack.url}/metrics`, {
        headers: { authorization: `Bearer ${KEY}` },
      });
      const line = (await res.text())
        .split("\n")
        .find((l) => l.startsWith("gateway_upstream_requests_in_flight"));
      return Number(line?.split(" ").at(-1));
    };
    const res = await stack.post(
      "/v1/messages",
      {
        model: "claude-3-haiku-20240307",
        max_tokens: 64,
        stream: true,
        messages: [{ role: "user", content: "[emu chunks=20 delay=30] hi" }],
      },
      { "x-api-key": KEY },
    );
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    expect(await inFlight()).toBe(1);
    while (!(await reader.read()).done) {}
    let now = await inFlight();
    for (let i = 0; i < 50 && now !== 0; i++) {
      await Bun.sleep(10);
      now = await inFlight();
    }
    expect(now).toBe(0);
  });

  test("the SDK raises an APIError on a mid-stream failure", async () => {
    const stream = client.messages.stream({
      model: "claude-3-haiku-20240307",
      max_tokens: 64,
      messages: [{ role: "user", content: "[emu midstream=modelStreamErrorException] hi" }],
    });
    const err = await stream.finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
  });
});

describe("errors", () => {
  test("a wrong key is a 401 authentication_error with x-should-retry: false", async () => {
    const bad = new Anthropic({ baseURL: stack.url, apiKey: "wrong", maxRetries: 0 });
    const err = await bad.messages
      .create({
        model: "claude-sonnet-4-5",
        max_tokens: 8,
        messages: [{ role: "user", content: "x" }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    const e = err as InstanceType<typeof Anthropic.AuthenticationError>;
    expect(e.headers?.get("x-should-retry")).toBe("false");
    expect(e.error).toMatchObject({ type: "error", error: { type: "authentication_error" } });
  });

  test("GET /v1/models errors answer Anthropic clients in Anthropic's shape", async () => {
    const err = await client.models.retrieve("no-such-model").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect((err as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
      type: "error",
      error: { type: "not_found_error" },
    });
  });

  test("Bearer auth works too (ANTHROPIC_AUTH_TOKEN)", async () => {
    const bearer = new Anthropic({
      baseURL: stack.url,
      apiKey: null,
      authToken: KEY,
      maxRetries: 0,
    });
    const msg = await bearer.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 8,
      messages: [{ role: "user", content: "x" }],
    });
    expect(msg.type).toBe("message");
  });

  test("Bedrock errors: Anthropic types and statuses, Bedrock's wording", async () => {
    const cases: Array<[string, number, string]> = [
      ["ThrottlingException", 429, "rate_limit_error"],
      ["AccessDeniedException", 403, "permission_error"],
      ["ServiceUnavailableException", 529, "overloaded_error"],
      ["ModelNotReadyException", 529, "overloaded_error"],
      ["InternalServerException", 500, "api_error"],
    ];
    for (const [name, status, type] of cases) {
      stack.emu.enqueue({ error: { type: name, message: `bedrock says ${name}` } });
      const res = await stack.post(
        "/v1/messages",
        {
          model: "claude-3-haiku-20240307",
          max_tokens: 8,
          messages: [{ role: "user", content: "x" }],
        },
        { "x-api-key": KEY },
      );
      expect(res.status).toBe(status);
      const body = (await res.json()) as { error: { type: string; message: string } };
      expect(body.error).toEqual({ type, message: `bedrock says ${name}` });
      if (status === 429) expect(res.headers.get("retry-after")).not.toBeNull();
    }
  });

  test("a malformed body is a 400 invalid_request_error", async () => {
    const res = await stack.post(
      "/v1/messages",
      { model: "claude-sonnet-4-5", messages: [] },
      { "x-api-key": KEY },
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as Json).type).toBe("error");
  });
});

describe("count_tokens and models", () => {
  test("count_tokens goes to CountTokens with the foundation model id", async () => {
    const out = await client.messages.countTokens({
      model: "claude-sonnet-4-5",
      messages: [{ role: "user", content: "count these words please" }],
    });
    expect(out.input_tokens).toBeGreaterThan(0);
    const req = stack.emu.requests.at(-1);
    expect(req?.operation).toBe("CountTokens");
    expect(req?.modelId).toBe("anthropic.claude-sonnet-4-5-20250929-v1:0");
  });

  test("count_tokens under /api/v1 too", async () => {
    const res = await stack.post(
      "/api/v1/messages/count_tokens",
      { model: "claude-3-haiku-20240307", messages: [{ role: "user", content: "hi" }] },
      { "x-api-key": KEY },
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as Json).input_tokens).toBeGreaterThan(0);
  });

  test("GET /v1/models answers in Anthropic's shape to Anthropic clients", async () => {
    const page = await client.models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toContain("anthropic.claude-3-haiku-20240307-v1:0");
    expect(page.data[0]?.type).toBe("model");
    const openai = await fetch(`${stack.url}/v1/models`, {
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(((await openai.json()) as Json).object).toBe("list");
  });
});
