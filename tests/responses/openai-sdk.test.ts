/**
 * Contract tests for /v1/responses with the official `openai` package:
 * responses.create, .stream, .parse (zodTextFormat), the raw SSE event order,
 * tools (function, custom with grammar, namespace, hosted), reasoning with
 * encrypted_content, stored responses, and failures.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { zodTextFormat } from "openai/helpers/zod";
import { z } from "zod";
import { type Stack, startStack } from "../support/stack";

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
let stack: Stack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startStack({ API_KEY: "sk-test", RESPONSES_SECRET: "x".repeat(40) });
  client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "sk-test", maxRetries: 0 });
});
afterAll(() => stack.stop());
beforeEach(() => stack.emu.reset());

/** Named SSE events of a raw body, in order. */
function namedEvents(raw: string): Array<{ event: string; data: Record<string, unknown> }> {
  const out: Array<{ event: string; data: Record<string, unknown> }> = [];
  for (const block of raw.split("\n\n")) {
    const event = /^event: (.*)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    if (event && data) out.push({ event, data: JSON.parse(data) as Record<string, unknown> });
  }
  return out;
}

function lastConverseBody(): Record<string, unknown> {
  const reqs = stack.emu.requests.filter((r) => r.operation.startsWith("Converse"));
  return reqs[reqs.length - 1]?.body as Record<string, unknown>;
}

describe("responses.create", () => {
  test("a string input answers with a message and usage", async () => {
    stack.emu.enqueue({
      reply: { content: [{ text: "Bonjour" }], usage: { inputTokens: 3, outputTokens: 1 } },
    });
    const r = await client.responses.create({
      model: MODEL,
      input: "Say hello in French",
      instructions: "Be brief.",
    });
    expect(r.object).toBe("response");
    expect(r.id).toMatch(/^resp_/);
    expect(r.status).toBe("completed");
    expect(r.model).toBe(MODEL);
    expect(r.output_text).toBe("Bonjour");
    expect(r.usage).toMatchObject({ input_tokens: 3, output_tokens: 1, total_tokens: 4 });
    expect(r.instructions).toBe("Be brief.");
    const body = lastConverseBody();
    expect(body.system).toEqual([{ text: "Be brief." }]);
  });

  test("an OpenAI name mapped to DEFAULT_MODEL reports the model that ran, as chat does", async () => {
    const { data: r, response } = await client.responses
      .create({ model: "gpt-4o", input: "hi" })
      .withResponse();
    const chat = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(r.model).not.toBe("gpt-4o");
    expect(r.model).toBe(chat.model);
    expect(response.headers.get("x-gateway-warnings")).toContain("gpt-4o");
  });

  test("service_tier and metadata reach Bedrock; the tier that served comes back", async () => {
    stack.emu.enqueue({ reply: { content: [{ text: "ok" }] } });
    const r = await client.responses.create({
      model: MODEL,
      input: "x",
      service_tier: "flex",
      metadata: { team: "search" },
    });
    const body = lastConverseBody();
    expect(body.serviceTier).toEqual({ type: "flex" });
    expect(body.requestMetadata).toEqual({ team: "search" });
    expect(r.service_tier).toBe("flex");
    expect(r.metadata).toEqual({ team: "search" });
  });

  test("max_output_tokens reached → incomplete with its reason", async () => {
    stack.emu.enqueue({ reply: { content: [{ text: "cut" }], stopReason: "max_tokens" } });
    const r = await client.responses.create({ model: MODEL, input: "long", max_output_tokens: 16 });
    expect(r.status).toBe("incomplete");
    expect(r.incomplete_details?.reason).toBe("max_output_tokens");
    expect((lastConverseBody().inferenceConfig as { maxTokens: number }).maxTokens).toBe(16);
  });

  test("system and developer items become system blocks in order", async () => {
    stack.emu.enqueue({ reply: { content: [{ text: "ok" }] } });
    await client.responses.create({
      model: MODEL,
      instructions: "first",
      input: [
        { type: "message", role: "developer", content: [{ type: "input_text", text: "second" }] },
        { role: "system", content: "third" },
        { role: "user", content: "hi" },
      ],
    });
    expect(lastConverseBody().system).toEqual([
      { text: "first" },
      { text: "second" },
      { text: "third" },
    ]);
  });

  test("background: true is refused naming the param, with no Bedrock call", async () => {
    const err = await client.responses
      .create({ model: MODEL, input: "x", background: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("background");
    expect(stack.emu.requests.filter((r) => r.operation.startsWith("Converse"))).toHaveLength(0);
  });
});

describe("tools", () => {
  test("function, custom (grammar) and namespace tools are offered; hosted tools are dropped with a warning", async () => {
    stack.emu.enqueue({ reply: { content: [{ text: "no tool" }] } });
    const raw = await client.responses
      .create({
        model: MODEL,
        input: "hi",
        tools: [
          {
            type: "function",
            name: "get_weather",
            parameters: {
              type: "object",
              properties: { city: { type: "string" } },
              required: ["city"],
              additionalProperties: false,
              $schema: "http://json-schema.org/draft-07/schema#",
            },
            strict: true,
          },
          {
            type: "custom",
            name: "apply_patch",
            description: "patch files",
            format: { type: "grammar", syntax: "lark", definition: "start: /.+/" },
          },
          {
            type: "namespace",
            name: "multi_agent_v1",
            description: "agents",
            tools: [
              {
                type: "function",
                name: "spawn_agent",
                parameters: { type: "object", properties: {} },
                strict: false,
              },
            ],
          },
          { type: "web_search", external_web_access: false },
          {
            type: "tool_search",
            execution: "client",
            parameters: { type: "object", properties: {} },
          },
        ] as unknown as OpenAI.Responses.Tool[],
      })
      .asResponse();
    expect(raw.status).toBe(200);
    expect(raw.headers.get("x-gateway-warnings")).toContain(
      "hosted tools dropped (Bedrock cannot run them): web_search, tool_search",
    );
    const names = (
      lastConverseBody().toolConfig as {
        tools: Array<{ toolSpec: { name: string; description?: string } }>;
      }
    ).tools.map((t) => t.toolSpec.name);
    expect(names).toEqual(["get_weather", "apply_patch", "multi_agent_v1__spawn_agent"]);
  });

  test("a namespaced call maps back to its name and namespace, and its output round-trips", async () => {
    stack.emu.enqueue({
      reply: {
        content: [
          {
            toolUse: {
              toolUseId: "tooluse_ns1",
              name: "multi_agent_v1__spawn_agent",
              input: { task: "x" },
            },
          },
        ],
      },
    });
    const tools = [
      {
        type: "namespace",
        name: "multi_agent_v1",
        description: "agents",
        tools: [
          {
            type: "function",
            name: "spawn_agent",
            parameters: { type: "object", properties: { task: { type: "string" } } },
            strict: false,
          },
        ],
      },
    ] as unknown as OpenAI.Responses.Tool[];
    const r = await client.responses.create({ model: MODEL, input: "spawn", tools });
    const call = r.output.find((o) => o.type === "function_call");
    expect(call).toMatchObject({
      name: "spawn_agent",
      namespace: "multi_agent_v1",
      call_id: "tooluse_ns1",
      arguments: '{"task":"x"}',
    });
    stack.emu.enqueue({ reply: { content: [{ text: "done" }] } });
    await client.responses.create({
      model: MODEL,
      tools,
      store: false,
      input: [
        { role: "user", content: "spawn" },
        ...(r.output as OpenAI.Responses.ResponseInputItem[]),
        { type: "function_call_output", call_id: "tooluse_ns1", output: "spawned" },
      ],
    });
    const messages = lastConverseBody().messages as Array<{
      role: string;
      content: Array<Record<string, unknown>>;
    }>;
    expect(messages[1]?.content[0]).toMatchObject({
      toolUse: { name: "multi_agent_v1__spawn_agent", toolUseId: "tooluse_ns1" },
    });
    expect(messages[2]?.content[0]).toMatchObject({ toolResult: { toolUseId: "tooluse_ns1" } });
  });

  test("a custom tool call comes back as custom_tool_call with raw input, streamed with its events", async () => {
    const patch = "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch";
    stack.emu.enqueue({
      reply: {
        content: [
          { toolUse: { toolUseId: "tooluse_c1", name: "apply_patch", input: { input: patch } } },
        ],
      },
      stream: { chunkSize: 8 },
    });
    const res = await stack.post(
      "/v1/responses",
      {
        model: MODEL,
        input: "patch it",
        stream: true,
        tools: [
          {
            type: "custom",
            name: "apply_patch",
            format: { type: "grammar", syntax: "lark", definition: "start: /.+/" },
          },
        ],
      },
      { authorization: "Bearer sk-test" },
    );
    const events = namedEvents(await res.text());
    const added = events.find((e) => e.event === "response.output_item.added");
    expect(added?.data.item).toMatchObject({
      type: "custom_tool_call",
      call_id: "tooluse_c1",
      name: "apply_patch",
    });
    expect(events.find((e) => e.event === "response.custom_tool_call_input.done")?.data.input).toBe(
      patch,
    );
    const deltas = events.filter((e) => e.event === "response.custom_tool_call_input.delta");
    // Streamed as it comes (8-character argument fragments), not in one piece at the end.
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.map((e) => e.data.delta).join("")).toBe(patch);
    const done = events[events.length - 1];
    expect(done?.event).toBe("response.completed");
    expect((done?.data.response as { output: unknown[] } | undefined)?.output[0]).toMatchObject({
      type: "custom_tool_call",
      input: patch,
    });
  });
});

describe("streaming", () => {
  test("raw SSE: the documented event order, strictly increasing sequence_number, one terminal event", async () => {
    stack.emu.enqueue({
      reply: { content: [{ text: "Hello there, streaming world" }] },
      stream: { chunkSize: 5 },
    });
    const res = await stack.post(
      "/v1/responses",
      { model: MODEL, input: "hi", stream: true },
      { authorization: "Bearer sk-test" },
    );
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = namedEvents(await res.text());
    const types = events.map((e) => e.event);
    expect(types.slice(0, 4)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
    ]);
    expect(types.slice(-4)).toEqual([
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    expect(types.filter((t) => t === "response.output_text.delta").length).toBeGreaterThan(1);
    events.forEach((e, i) => {
      expect(e.data.sequence_number).toBe(i);
      expect(e.data.type).toBe(e.event);
    });
    expect(
      types.filter((t) => /^response\.(completed|incomplete|failed)$|^error$/.test(t)),
    ).toEqual(["response.completed"]);
  });

  test("responses.stream assembles the final response", async () => {
    stack.emu.enqueue({
      reply: { content: [{ text: "assembled by the SDK" }] },
      stream: { chunkSize: 4 },
    });
    const stream = client.responses.stream({ model: MODEL, input: "x" });
    let deltas = "";
    stream.on("response.output_text.delta", (e) => {
      deltas += e.delta;
    });
    const final = await stream.finalResponse();
    expect(deltas).toBe("assembled by the SDK");
    expect(final.output_text).toBe("assembled by the SDK");
    expect(final.status).toBe("completed");
  });

  test("a function call streams its arguments", async () => {
    stack.emu.enqueue({
      reply: {
        content: [
          { text: "Let me check." },
          { toolUse: { toolUseId: "tooluse_w1", name: "get_weather", input: { city: "Paris" } } },
        ],
      },
      stream: { chunkSize: 4 },
    });
    const stream = client.responses.stream({
      model: MODEL,
      input: "weather in Paris?",
      tools: [
        {
          type: "function",
          name: "get_weather",
          parameters: { type: "object", properties: { city: { type: "string" } } },
          strict: false,
        },
      ],
    });
    const final = await stream.finalResponse();
    expect(final.output.map((o) => o.type)).toEqual(["message", "function_call"]);
    expect(final.output[1]).toMatchObject({
      call_id: "tooluse_w1",
      name: "get_weather",
      arguments: '{"city":"Paris"}',
    });
  });

  test("a mid-stream Bedrock exception ends with an error event, never response.completed", async () => {
    stack.emu.enqueue({
      reply: { content: [{ text: "partial answer that fails" }] },
      stream: {
        chunkSize: 3,
        exceptionAfter: { events: 3, type: "modelStreamErrorException", message: "boom" },
      },
    });
    const res = await stack.post(
      "/v1/responses",
      { model: MODEL, input: "x", stream: true },
      { authorization: "Bearer sk-test" },
    );
    const events = namedEvents(await res.text());
    const last = events[events.length - 1];
    expect(last?.event).toBe("error");
    expect(last?.data.message).toBe("The model failed while streaming the response.");
    expect(events.some((e) => e.event === "response.completed")).toBe(false);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));

    stack.emu.enqueue({
      reply: { content: [{ text: "partial answer that fails" }] },
      stream: {
        chunkSize: 3,
        exceptionAfter: { events: 3, type: "modelStreamErrorException", message: "boom" },
      },
    });
    const err = await client.responses
      .stream({ model: MODEL, input: "x" })
      .finalResponse()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
  });
});

describe("structured output", () => {
  test("responses.parse with zodTextFormat", async () => {
    const Person = z.object({ name: z.string(), age: z.number() });
    stack.emu.enqueue({ reply: { content: [{ text: '{"name":"Ada","age":36}' }] } });
    const r = await client.responses.parse({
      model: MODEL,
      input: "Who?",
      text: { format: zodTextFormat(Person, "person") },
    });
    expect(r.output_parsed).toEqual({ name: "Ada", age: 36 });
  });
});

describe("reasoning", () => {
  const THINKING = {
    reasoningContent: { reasoningText: { text: "Let me think about it.", signature: "sig-abc" } },
  };

  test("encrypted_content restores signed thinking on the next turn, store: false", async () => {
    stack.emu.enqueue({
      reply: {
        content: [
          THINKING,
          { toolUse: { toolUseId: "tooluse_r1", name: "lookup", input: { q: "x" } } },
        ],
      },
    });
    const tools: OpenAI.Responses.Tool[] = [
      {
        type: "function",
        name: "lookup",
        parameters: { type: "object", properties: { q: { type: "string" } } },
        strict: false,
      },
    ];
    const r = await client.responses.create({
      model: MODEL,
      input: "think",
      tools,
      store: false,
      reasoning: { effort: "low" },
      include: ["reasoning.encrypted_content"],
    });
    const reasoning = r.output[0] as OpenAI.Responses.ResponseReasoningItem;
    expect(reasoning.type).toBe("reasoning");
    expect(reasoning.summary[0]?.text).toBe("Let me think about it.");
    expect(reasoning.encrypted_content).toMatch(/^gw1\./);
    expect(reasoning.encrypted_content).not.toContain("sig-abc");

    stack.emu.enqueue({ reply: { content: [{ text: "answer" }] } });
    await client.responses.create({
      model: MODEL,
      tools,
      store: false,
      reasoning: { effort: "low" },
      input: [
        { role: "user", content: "think" },
        ...(r.output as OpenAI.Responses.ResponseInputItem[]),
        { type: "function_call_output", call_id: "tooluse_r1", output: "42" },
      ],
    });
    const messages = lastConverseBody().messages as Array<{
      role: string;
      content: Array<Record<string, unknown>>;
    }>;
    expect(messages[1]?.content[0]).toEqual({
      reasoningContent: { reasoningText: { text: "Let me think about it.", signature: "sig-abc" } },
    });
  });

  test("a forged encrypted_content is refused naming the item", async () => {
    const err = await client.responses
      .create({
        model: MODEL,
        input: [
          { role: "user", content: "x" },
          {
            type: "reasoning",
            id: "rs_1",
            summary: [],
            encrypted_content:
              "gw1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
          },
          { role: "assistant", content: "y" },
          { role: "user", content: "z" },
        ] as OpenAI.Responses.ResponseInputItem[],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(
      "input[1].encrypted_content",
    );
  });
});

describe("stored responses", () => {
  test("previous_response_id replays the conversation; retrieve, input_items, delete", async () => {
    stack.emu.enqueue({ reply: { content: [{ text: "My name is Emu." }] } });
    const first = await client.responses.create({
      model: MODEL,
      input: "What is your name?",
      instructions: "only once",
    });
    stack.emu.enqueue({ reply: { content: [{ text: "You asked my name." }] } });
    const second = await client.responses.create({
      model: MODEL,
      input: "What did I ask?",
      previous_response_id: first.id,
    });
    expect(second.previous_response_id).toBe(first.id);
    const body = lastConverseBody();
    expect(body.system).toBeUndefined();
    expect(
      (body.messages as Array<{ role: string; content: Array<{ text?: string }> }>).map((m) => [
        m.role,
        m.content[0]?.text,
      ]),
    ).toEqual([
      ["user", "What is your name?"],
      ["assistant", "My name is Emu."],
      ["user", "What did I ask?"],
    ]);

    const got = await client.responses.retrieve(second.id);
    expect(got.output_text).toBe("You asked my name.");
    const items = await client.responses.inputItems.list(second.id);
    expect(items.data).toHaveLength(1);
    expect(items.data[0]).toMatchObject({ type: "message", role: "user" });

    const deleted = await client.responses.delete(first.id);
    expect(deleted).toMatchObject({ id: first.id, deleted: true });
    expect(await client.responses.retrieve(first.id).catch((e: unknown) => e)).toBeInstanceOf(
      OpenAI.NotFoundError,
    );
    const calls = stack.emu.requests.length;
    const err = await client.responses
      .create({ model: MODEL, input: "x", previous_response_id: first.id })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).param).toBe("previous_response_id");
    expect(stack.emu.requests.length).toBe(calls);
  });

  test("store: false responses are not kept", async () => {
    stack.emu.enqueue({ reply: { content: [{ text: "forget me" }] } });
    const r = await client.responses.create({ model: MODEL, input: "x", store: false });
    expect((r as unknown as { store: boolean }).store).toBe(false);
    expect(await client.responses.retrieve(r.id).catch((e: unknown) => e)).toBeInstanceOf(
      OpenAI.NotFoundError,
    );
  });

  test("a streamed response is stored once complete", async () => {
    stack.emu.enqueue({
      reply: { content: [{ text: "streamed and kept" }] },
      stream: { chunkSize: 4 },
    });
    const final = await client.responses.stream({ model: MODEL, input: "x" }).finalResponse();
    const got = await client.responses.retrieve(final.id);
    expect(got.output_text).toBe("streamed and kept");
  });
});
