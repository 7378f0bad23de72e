/**
 * Tools, structured output, images and documents end to end: the official
 * openai package → gateway → real AWS SDK → emulator, in both modes.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { zodResponseFormat } from "openai/helpers/zod";
import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources";
import { z } from "zod";
import { RESPONSE_TOOL } from "../../src/converse/structured-output";
import { type Stack, startStack } from "../support/stack";

const CLAUDE45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const CLAUDE3 = "anthropic.claude-3-haiku-20240307-v1:0";

const PNG_1PX = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

const weatherTool: ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
    },
  },
};

type Json = Record<string, unknown>;
let stack: Stack;
let client: OpenAI;

/** The Converse body the emulator received last. */
function lastBody(): Json {
  return stack.emu.requests.filter((r) => r.operation.startsWith("Converse")).at(-1)?.body as Json;
}

beforeAll(async () => {
  stack = await startStack();
  client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "k", maxRetries: 0 });
});
afterAll(() => stack.stop());
beforeEach(() => stack.emu.reset());

async function agentLoop(stream: boolean): Promise<string> {
  const messages: ChatCompletionMessageParam[] = [
    { role: "user", content: "Use get_weather for Paris please" },
  ];
  // Turn 1: the model calls the tool.
  let assistant: OpenAI.Chat.ChatCompletionMessage;
  if (stream) {
    const runner = client.chat.completions.stream({
      model: CLAUDE3,
      messages,
      tools: [weatherTool],
    });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
    assistant = final.choices[0]?.message as OpenAI.Chat.ChatCompletionMessage;
  } else {
    const res = await client.chat.completions.create({
      model: CLAUDE3,
      messages,
      tools: [weatherTool],
    });
    expect(res.choices[0]?.finish_reason).toBe("tool_calls");
    assistant = res.choices[0]?.message as OpenAI.Chat.ChatCompletionMessage;
  }
  const calls = assistant.tool_calls ?? [];
  expect(calls).toHaveLength(1);
  const first = calls[0];
  if (first?.type !== "function") throw new Error("expected a function call");
  expect(first.function.name).toBe("get_weather");
  expect(JSON.parse(first.function.arguments)).toEqual({ city: "example_city" });
  // Turn 2: the result goes back; the model answers.
  messages.push(assistant, { role: "tool", tool_call_id: first.id, content: "21C and sunny" });
  let answer: string;
  if (stream) {
    const runner = client.chat.completions.stream({
      model: CLAUDE3,
      messages,
      tools: [weatherTool],
    });
    answer = (await runner.finalContent()) ?? "";
  } else {
    const res = await client.chat.completions.create({
      model: CLAUDE3,
      messages,
      tools: [weatherTool],
    });
    answer = res.choices[0]?.message.content ?? "";
  }
  // The id went back to Bedrock unchanged as the toolUseId.
  const sent = lastBody().messages as Array<{ content: Json[] }>;
  const result = sent[2]?.content[0]?.toolResult as Json;
  expect(result.toolUseId).toBe(first.id);
  return answer;
}

describe("agent loop (call a tool, send the result back, get the answer)", () => {
  test("non-streaming", async () => {
    expect(await agentLoop(false)).toBe("The tool returned: 21C and sunny");
  });

  test("streaming, through chat.completions.stream", async () => {
    expect(await agentLoop(true)).toBe("The tool returned: 21C and sunny");
  });
});

describe("tool calls", () => {
  const reply = {
    content: [
      { reasoningContent: { reasoningText: { text: "think", signature: "sig" } } },
      { text: "Let me check both." },
      { toolUse: { toolUseId: "tooluse_A", name: "get_weather", input: { city: "Paris" } } },
      { toolUse: { toolUseId: "tooluse_B", name: "get_weather", input: { city: "Oslo" } } },
    ],
  };

  test("non-stream: text before the calls is kept; ids pass through; compact arguments", async () => {
    stack.emu.enqueue({ reply });
    const res = await client.chat.completions.create({
      model: CLAUDE3,
      messages: [{ role: "user", content: "weather?" }],
      tools: [weatherTool],
    });
    const msg = res.choices[0]?.message;
    expect(msg?.content).toBe("Let me check both.");
    expect(
      msg?.tool_calls?.map((c) => (c.type === "function" ? [c.id, c.function.arguments] : [])),
    ).toEqual([
      ["tooluse_A", '{"city":"Paris"}'],
      ["tooluse_B", '{"city":"Oslo"}'],
    ]);
    expect(res.choices[0]?.finish_reason).toBe("tool_calls");
  });

  test("stream: dense indexes from 0 after reasoning and text; first delta has id, type and name", async () => {
    stack.emu.enqueue({ reply, stream: { chunkSize: 4 } });
    const stream = await client.chat.completions.create({
      model: CLAUDE3,
      stream: true,
      messages: [{ role: "user", content: "weather?" }],
      tools: [weatherTool],
    });
    const firsts = new Map<number, unknown>();
    const args = new Map<number, string>();
    let content = "";
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta;
      content += delta?.content ?? "";
      for (const tc of delta?.tool_calls ?? []) {
        if (!firsts.has(tc.index))
          firsts.set(tc.index, { id: tc.id, type: tc.type, name: tc.function?.name });
        args.set(tc.index, (args.get(tc.index) ?? "") + (tc.function?.arguments ?? ""));
      }
    }
    expect(content).toBe("Let me check both.");
    expect([...firsts.entries()]).toEqual([
      [0, { id: "tooluse_A", type: "function", name: "get_weather" }],
      [1, { id: "tooluse_B", type: "function", name: "get_weather" }],
    ]);
    expect(JSON.parse(args.get(0) ?? "")).toEqual({ city: "Paris" });
    expect(JSON.parse(args.get(1) ?? "")).toEqual({ city: "Oslo" });
  });

  test("tool_choice none: Bedrock gets no toolConfig, so the model cannot call a tool", async () => {
    const res = await client.chat.completions.create({
      model: CLAUDE3,
      messages: [{ role: "user", content: "Use get_weather for Paris" }],
      tools: [weatherTool],
      tool_choice: "none",
    });
    expect(res.choices[0]?.message.tool_calls).toBeUndefined();
    expect(lastBody().toolConfig).toBeUndefined();
  });

  test("required → any, named function → tool", async () => {
    await client.chat.completions.create({
      model: CLAUDE3,
      messages: [{ role: "user", content: "hi" }],
      tools: [weatherTool],
      tool_choice: "required",
    });
    expect((lastBody().toolConfig as Json).toolChoice).toEqual({ any: {} });
    const res = await client.chat.completions.create({
      model: CLAUDE3,
      messages: [{ role: "user", content: "hi" }],
      tools: [weatherTool],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
    expect((lastBody().toolConfig as Json).toolChoice).toEqual({ tool: { name: "get_weather" } });
    expect(res.choices[0]?.message.tool_calls?.[0]?.type).toBe("function");
  });

  test("an invalid tool name is our 400, not a Bedrock error", async () => {
    const err = await client.chat.completions
      .create({
        model: CLAUDE3,
        messages: [{ role: "user", content: "hi" }],
        tools: [{ type: "function", function: { name: "bad name!" } }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(
      "tools[0].function.name",
    );
    expect(stack.emu.requests.filter((r) => r.operation.startsWith("Converse"))).toHaveLength(0);
  });

  test("orphans in the history are repaired so Bedrock (the emulator's validator) accepts it", async () => {
    const { data, response } = await client.chat.completions
      .create({
        model: CLAUDE3,
        messages: [
          { role: "user", content: "hi" },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              { id: "c1", type: "function", function: { name: "get_weather", arguments: "{}" } },
              { id: "c2", type: "function", function: { name: "get_weather", arguments: "{}" } },
            ],
          },
          { role: "tool", tool_call_id: "c1", content: "ok" },
          { role: "tool", tool_call_id: "zombie", content: "late" },
        ],
      })
      .withResponse();
    expect(data.choices[0]?.message.content).toContain("The tool returned");
    expect(response.headers.get("x-gateway-warnings")).toContain("without a matching call");
    const turn = (lastBody().messages as Array<{ content: Json[] }>)[2]?.content ?? [];
    expect(turn.map((b) => (b.toolResult as Json | undefined)?.toolUseId ?? b.text)).toEqual([
      "c1",
      "c2",
      "Result of tool call zombie: late",
    ]);
  });
});

describe("structured output through the SDK's own helpers", () => {
  const Person = z.object({ name: z.string(), age: z.number() });

  test("native (outputConfig.textFormat) with chat.completions.parse", async () => {
    const res = await client.chat.completions.parse({
      model: CLAUDE45,
      messages: [{ role: "user", content: "Invent a person" }],
      response_format: zodResponseFormat(Person, "person"),
    });
    expect(res.choices[0]?.message.parsed).toEqual({ name: "example_name", age: 1 });
    const textFormat = (lastBody().outputConfig as Json).textFormat as Json;
    expect(textFormat.type).toBe("json_schema");
    expect(lastBody().toolConfig).toBeUndefined();
  });

  test("tool fallback with chat.completions.parse: plain content, no tool call, finish stop", async () => {
    const res = await client.chat.completions.parse({
      model: CLAUDE3,
      messages: [{ role: "user", content: "Invent a person" }],
      response_format: zodResponseFormat(Person, "person"),
    });
    const choice = res.choices[0];
    expect(choice?.message.parsed).toEqual({ name: "example_name", age: 1 });
    expect(choice?.message.tool_calls ?? []).toEqual([]);
    expect(choice?.finish_reason).toBe("stop");
    expect((lastBody().toolConfig as Json).toolChoice).toEqual({ tool: { name: RESPONSE_TOOL } });
  });

  for (const [mode, model] of [
    ["native", CLAUDE45],
    ["tool fallback", CLAUDE3],
  ] as const) {
    test(`${mode} streams as content deltas (chat.completions.stream + zod)`, async () => {
      stack.emu.enqueue({
        reply:
          mode === "native"
            ? { content: [{ text: '{"name":"Ada","age":36}' }] }
            : {
                content: [
                  {
                    toolUse: {
                      toolUseId: "t1",
                      name: RESPONSE_TOOL,
                      input: { name: "Ada", age: 36 },
                    },
                  },
                ],
              },
        stream: { chunkSize: 5 },
      });
      const runner = client.chat.completions.stream({
        model,
        messages: [{ role: "user", content: "Ada" }],
        response_format: zodResponseFormat(Person, "person"),
      });
      let deltas = 0;
      runner.on("content.delta", () => {
        deltas += 1;
      });
      const final = await runner.finalChatCompletion();
      expect(final.choices[0]?.message.parsed).toEqual({ name: "Ada", age: 36 });
      expect(final.choices[0]?.message.tool_calls ?? []).toEqual([]);
      expect(final.choices[0]?.finish_reason).toBe("stop");
      expect(deltas).toBeGreaterThan(1);
    });
  }

  test("json_object returns a JSON object as content", async () => {
    stack.emu.enqueue({
      reply: {
        content: [{ toolUse: { toolUseId: "t1", name: RESPONSE_TOOL, input: { ok: true } } }],
      },
    });
    const res = await client.chat.completions.create({
      model: CLAUDE45,
      messages: [{ role: "user", content: "json please" }],
      response_format: { type: "json_object" },
    });
    expect(JSON.parse(res.choices[0]?.message.content ?? "")).toEqual({ ok: true });
  });
});

describe("images", () => {
  let images: ReturnType<typeof Bun.serve>;
  let guarded: Stack;
  let open: Stack;
  let hits = 0;

  beforeAll(async () => {
    images = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        hits += 1;
        const path = new URL(req.url).pathname;
        const self = `http://127.0.0.1:${images.port}`;
        if (path === "/cat.png")
          return new Response(PNG_1PX, {
            headers: { "content-type": "image/png; charset=binary" },
          });
        if (path === "/cat.jpg-mislabelled")
          return new Response(PNG_1PX, { headers: { "content-type": "image/jpg" } });
        if (path === "/big.png") return new Response(new Uint8Array(5000));
        if (path === "/page.html")
          return new Response("<html></html>", { headers: { "content-type": "text/html" } });
        if (path === "/to-loopback") return Response.redirect(`${self}/cat.png`, 302);
        if (path === "/to-metadata")
          return Response.redirect("http://169.254.169.254/latest/meta-data/", 302);
        if (path === "/slow")
          return new Promise((r) => setTimeout(() => r(new Response(PNG_1PX)), 2000));
        return new Response("no", { status: 404 });
      },
    });
    open = await startStack({
      IMAGE_FETCH_ALLOW_PRIVATE: "true",
      IMAGE_MAX_BYTES: "4096",
      IMAGE_FETCH_TIMEOUT_MS: "300",
    });
    // Default guard; only "localhost" is trusted, to show that redirects are checked hop by hop.
    guarded = await startStack({ IMAGE_FETCH_ALLOW_HOSTS: "localhost" });
  });
  afterAll(async () => {
    images.stop(true);
    await open.stop();
    await guarded.stop();
  });

  const imageRequest = (url: string) => ({
    model: CLAUDE3,
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "what is this?" },
          { type: "image_url", image_url: { url } },
        ],
      },
    ],
  });

  async function imageBlockSent(s: Stack): Promise<Json> {
    const body = s.emu.requests.filter((r) => r.operation.startsWith("Converse")).at(-1)?.body as {
      messages: Array<{ content: Json[] }>;
    };
    return body.messages[0]?.content[1]?.image as Json;
  }

  test("an http URL is fetched, format detected from the bytes, sent as bytes", async () => {
    for (const path of ["/cat.png", "/cat.jpg-mislabelled"]) {
      const res = await open.post(
        "/v1/chat/completions",
        imageRequest(`http://127.0.0.1:${images.port}${path}`),
      );
      expect(res.status).toBe(200);
      const image = await imageBlockSent(open);
      expect(image.format).toBe("png");
      expect((image.source as Json).bytes).toBe(PNG_1PX.toString("base64"));
    }
  });

  test("a data: URL with image/jpg and parameters works through the SDK", async () => {
    const res = await client.chat.completions.create({
      model: CLAUDE3,
      messages: [
        {
          role: "user",
          content: [
            {
              type: "image_url",
              image_url: { url: `data:image/png;name=x;base64,${PNG_1PX.toString("base64")}` },
            },
          ],
        },
      ],
    });
    expect(res.choices[0]?.message.content).toContain("emulator");
  });

  test.each([
    ["/missing.png", "image_fetch_failed"],
    ["/page.html", "invalid_image_format"],
    ["/big.png", "image_too_large"],
    ["/slow", "image_fetch_timeout"],
  ])("%s is a 400 naming the part (%s)", async (path, code) => {
    const res = await open.post(
      "/v1/chat/completions",
      imageRequest(`http://127.0.0.1:${images.port}${path}`),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: Json };
    expect(body.error.code).toBe(code);
    expect(body.error.param).toBe("messages[0].content[1]");
  });

  test.each([
    "http://127.0.0.1:PORT/cat.png",
    "http://10.0.0.1/cat.png",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:PORT/cat.png",
    "http://[::ffff:127.0.0.1]:PORT/cat.png",
    "http://2130706433:PORT/cat.png",
  ])("the guard refuses %s without connecting", async (raw) => {
    const before = hits;
    const res = await guarded.post(
      "/v1/chat/completions",
      imageRequest(raw.replace("PORT", String(images.port))),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: Json };
    expect(body.error.code).toBe("image_url_forbidden");
    expect(hits).toBe(before);
    expect(guarded.emu.requests.filter((r) => r.operation.startsWith("Converse"))).toHaveLength(0);
  });

  test("redirects to private addresses are refused hop by hop", async () => {
    for (const path of ["/to-loopback", "/to-metadata"]) {
      const res = await guarded.post(
        "/v1/chat/completions",
        imageRequest(`http://localhost:${images.port}${path}`),
      );
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: Json }).error.code).toBe("image_url_forbidden");
    }
  });

  test("non-http schemes are a 400", async () => {
    const res = await guarded.post("/v1/chat/completions", imageRequest("file:///etc/passwd"));
    expect(res.status).toBe(400);
  });
});

describe("documents", () => {
  test("a PDF file part reaches Bedrock as a document block with an accepted name", async () => {
    const pdf = Buffer.from("%PDF-1.4\n%%EOF").toString("base64");
    const res = await client.chat.completions.create({
      model: CLAUDE3,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "summarise" },
            {
              type: "file",
              file: {
                file_data: `data:application/pdf;base64,${pdf}`,
                filename: "Q3_report.v2.pdf",
              },
            },
          ],
        },
      ],
    });
    expect(res.choices[0]?.message.content).toContain("summarise");
    const body = lastBody() as { messages: Array<{ content: Json[] }> };
    expect(body.messages[0]?.content[1]?.document).toEqual({
      format: "pdf",
      name: "Q3 report v2",
      source: { bytes: pdf },
    });
  });

  test("file_id is a 400 (no files API)", async () => {
    const err = await client.chat.completions
      .create({
        model: CLAUDE3,
        messages: [{ role: "user", content: [{ type: "file", file: { file_id: "file-123" } }] }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
  });
});
