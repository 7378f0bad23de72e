/**
 * Pure rules of tools, documents, structured output and the SSRF guard:
 * request in, Converse input out (no I/O).
 */
import { describe, expect, test } from "bun:test";
import type { ContentBlock, ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import type { StreamEvent } from "../../src/conversation";
import { documentName } from "../../src/converse/documents";
import { ConverseEventMapper } from "../../src/converse/events";
import { isBlockedAddress } from "../../src/converse/media";
import { type ConverseResult, resultOf } from "../../src/converse/result";
import {
  adaptResult,
  RESPONSE_TOOL,
  type StructuredOutputPlan,
  streamAdapterFor,
} from "../../src/converse/structured-output";
import { bedrockToolUseId, MISSING_RESULT_TEXT } from "../../src/converse/tools";
import { validateConverseRequest } from "../../src/emulator/validate";
import { InvalidRequestError } from "../../src/errors";
import { capabilitiesOf } from "../../src/models/capabilities";
import { chatRequestSchema } from "../../src/surfaces/openai-chat/schema";
import { toConverse } from "../../src/surfaces/openai-chat/translate";

/** Structured output's non-stream adapter on a Converse answer (as the runner applies it). */
const adaptConverseOutput = (out: ConverseResult, plan: StructuredOutputPlan) =>
  adaptResult(resultOf(out), plan);

const CLAUDE45 = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const CLAUDE3 = "anthropic.claude-3-haiku-20240307-v1:0";
const LLAMA = "meta.llama3-1-8b-instruct-v1:0";
const NOVA = "amazon.nova-lite-v1:0";
const TITAN = "amazon.titan-text-express-v1";

function translate(body: Record<string, unknown>, modelId = CLAUDE3) {
  const req = chatRequestSchema.parse(body);
  const t = toConverse(req, { modelId, caps: capabilitiesOf(modelId) });
  // Everything we build must pass the emulator's copy of Bedrock's validation.
  const wire = JSON.parse(
    JSON.stringify(t.input, (_k, v) =>
      v instanceof Uint8Array ? Buffer.from(v).toString("base64") : v,
    ),
  );
  expect(validateConverseRequest(wire)).toBeUndefined();
  return t;
}

function rejection(body: Record<string, unknown>, modelId = CLAUDE3): InvalidRequestError {
  try {
    translate(body, modelId);
  } catch (err) {
    if (err instanceof InvalidRequestError) return err;
    throw err;
  }
  throw new Error("expected an InvalidRequestError");
}

const weather = {
  type: "function",
  function: {
    name: "get_weather",
    parameters: { type: "object", properties: { city: { type: "string" } } },
  },
};
const time = { type: "function", function: { name: "get_time" } };
const ask = { role: "user", content: "weather?" };
const call = (id: string, name = "get_weather", args = '{"city":"Paris"}') => ({
  id,
  type: "function",
  function: { name, arguments: args },
});

const PNG_1PX =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const PDF = Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF").toString("base64");

describe("tool definitions", () => {
  test("description is optional and an empty one is omitted", () => {
    const t = translate({
      messages: [ask],
      tools: [{ type: "function", function: { name: "f", description: "  " } }],
    });
    expect(t.input.toolConfig?.tools?.[0]).toEqual({
      toolSpec: { name: "f", inputSchema: { json: { type: "object", properties: {} } } },
    });
  });

  test.each([
    ["get.weather", "tools[0].function.name"],
    ["a".repeat(65), "tools[0].function.name"],
    ["has space", "tools[0].function.name"],
  ])("invalid tool name %p is a 400 naming %s", (name, param) => {
    const err = rejection({ messages: [ask], tools: [{ type: "function", function: { name } }] });
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
  });

  test("duplicate tool names are a 400", () => {
    const err = rejection({ messages: [ask], tools: [weather, weather] });
    expect(err.param).toBe("tools[1].function.name");
  });

  test("strict is sent where the model supports it, dropped with a warning elsewhere", () => {
    const strictTool = { ...weather, function: { ...weather.function, strict: true } };
    const on = translate({ messages: [ask], tools: [strictTool] }, CLAUDE45);
    expect(on.input.toolConfig?.tools?.[0]?.toolSpec?.strict).toBe(true);
    const off = translate({ messages: [ask], tools: [strictTool] }, CLAUDE3);
    expect(off.input.toolConfig?.tools?.[0]?.toolSpec?.strict).toBeUndefined();
    expect(off.warnings.join()).toContain("strict ignored");
  });
});

describe("tool_choice and parallel_tool_calls", () => {
  test("none: no toolConfig at all, and the tool history becomes text", () => {
    const t = translate({
      messages: [
        ask,
        { role: "assistant", content: null, tool_calls: [call("c1")] },
        { role: "tool", tool_call_id: "c1", content: "21C" },
      ],
      tools: [weather],
      tool_choice: "none",
    });
    expect(t.input.toolConfig).toBeUndefined();
    expect(t.input.messages?.[1]?.content).toEqual([
      { text: '[Called tool get_weather with arguments {"city":"Paris"}]' },
    ]);
    expect(t.input.messages?.[2]?.content?.[0]).toEqual({ text: "[Result of get_weather]: 21C" });
  });

  test("a model without tools gets the history as text, not a toolConfig it would reject", () => {
    const t = translate(
      {
        messages: [
          ask,
          { role: "assistant", content: null, tool_calls: [call("c1")] },
          { role: "tool", tool_call_id: "c1", content: "21C" },
        ],
      },
      TITAN,
    );
    expect(t.input.toolConfig).toBeUndefined();
  });

  test("parallel_tool_calls false → Anthropic disable_parallel_tool_use (type only without toolChoice)", () => {
    const auto = translate({ messages: [ask], tools: [weather], parallel_tool_calls: false });
    expect(auto.input.additionalModelRequestFields).toEqual({
      tool_choice: { type: "auto", disable_parallel_tool_use: true },
    });
    const forced = translate({
      messages: [ask],
      tools: [weather],
      tool_choice: "required",
      parallel_tool_calls: false,
    });
    expect(forced.input.toolConfig?.toolChoice).toEqual({ any: {} });
    // A `type` here conflicts with toolConfig.toolChoice on Bedrock.
    expect(forced.input.additionalModelRequestFields).toEqual({
      tool_choice: { disable_parallel_tool_use: true },
    });
  });

  test("parallel_tool_calls false on a model without the control: warning, nothing sent", () => {
    const t = translate({ messages: [ask], tools: [weather], parallel_tool_calls: false }, NOVA);
    expect(t.input.additionalModelRequestFields).toBeUndefined();
    expect(t.warnings.join()).toContain("parallel_tool_calls");
  });

  test("parallel_tool_calls true or absent sends nothing", () => {
    const t = translate({ messages: [ask], tools: [weather], parallel_tool_calls: true });
    expect(t.input.additionalModelRequestFields).toBeUndefined();
  });
});

describe("tool history", () => {
  test("several results merge into one user turn in call order, before the user's text", () => {
    const t = translate({
      messages: [
        ask,
        {
          role: "assistant",
          content: "checking",
          tool_calls: [call("a"), call("b", "get_time", "")],
        },
        { role: "tool", tool_call_id: "b", content: "noon" },
        { role: "tool", tool_call_id: "a", content: "21C" },
        { role: "user", content: "thanks" },
      ],
      tools: [weather, time],
    });
    const turn = t.input.messages?.[2]?.content ?? [];
    expect(turn.map((b) => b.toolResult?.toolUseId ?? b.text)).toEqual(["a", "b", "thanks"]);
    expect(t.input.messages?.[1]?.content?.[0]).toEqual({ text: "checking" });
    expect(t.input.messages?.[1]?.content?.[2]?.toolUse).toEqual({
      toolUseId: "b",
      name: "get_time",
      input: {},
    });
  });

  test("ids Bedrock would reject are mapped the same way on both sides; valid ids are untouched", () => {
    const odd = "functions.get_weather:0";
    expect(bedrockToolUseId("tooluse_abc-1")).toBe("tooluse_abc-1");
    const mapped = bedrockToolUseId(odd);
    expect(mapped).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    const t = translate({
      messages: [
        ask,
        { role: "assistant", tool_calls: [call(odd)] },
        { role: "tool", tool_call_id: odd, content: "21C" },
      ],
      tools: [weather],
    });
    expect(t.input.messages?.[1]?.content?.[0]?.toolUse?.toolUseId).toBe(mapped);
    expect(t.input.messages?.[2]?.content?.[0]?.toolResult?.toolUseId).toBe(mapped);
  });

  test("a JSON object result is a json block for Claude/Nova, text elsewhere", () => {
    const body = (model: string) =>
      translate(
        {
          messages: [
            ask,
            { role: "assistant", tool_calls: [call("c1")] },
            { role: "tool", tool_call_id: "c1", content: '{"tempC":21}' },
          ],
          tools: [weather],
        },
        model,
      ).input.messages?.[2]?.content?.[0]?.toolResult?.content;
    expect(body(CLAUDE3)).toEqual([{ json: { tempC: 21 } }]);
    expect(body(LLAMA)).toEqual([{ text: '{"tempC":21}' }]);
  });

  test("is_error / status:error mark the result as an error; images travel in results", () => {
    const t = translate({
      messages: [
        ask,
        { role: "assistant", tool_calls: [call("c1"), call("c2")] },
        { role: "tool", tool_call_id: "c1", content: "boom", is_error: true },
        {
          role: "tool",
          tool_call_id: "c2",
          status: "error",
          content: [
            { type: "text", text: "screenshot" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_1PX}` } },
          ],
        },
      ],
      tools: [weather],
    });
    const [r1, r2] = t.input.messages?.[2]?.content ?? [];
    expect(r1?.toolResult?.status).toBe("error");
    expect(r2?.toolResult?.status).toBe("error");
    expect(r2?.toolResult?.content?.[1]?.image?.format).toBe("png");
  });

  test("error status on a model without it becomes a leading text note", () => {
    const t = translate(
      {
        messages: [
          ask,
          { role: "assistant", tool_calls: [call("c1")] },
          { role: "tool", tool_call_id: "c1", content: "boom", is_error: true },
        ],
        tools: [weather],
      },
      LLAMA,
    );
    const result = t.input.messages?.[2]?.content?.[0]?.toolResult;
    expect(result?.status).toBeUndefined();
    expect(result?.content).toEqual([{ text: "The tool call failed." }, { text: "boom" }]);
  });

  test("an image in a tool result for a model without rich results is a 400 naming the part", () => {
    const err = rejection(
      {
        messages: [
          ask,
          { role: "assistant", tool_calls: [call("c1")] },
          {
            role: "tool",
            tool_call_id: "c1",
            content: [
              { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_1PX}` } },
            ],
          },
        ],
        tools: [weather],
      },
      LLAMA,
    );
    expect(err.param).toBe("messages[2].content[0]");
  });

  test("orphan result (no matching call) becomes text; a call without result gets a placeholder", () => {
    const t = translate({
      messages: [
        ask,
        { role: "assistant", tool_calls: [call("c1"), call("c2")] },
        { role: "tool", tool_call_id: "c1", content: "21C" },
        { role: "tool", tool_call_id: "ghost", content: "stale" },
      ],
      tools: [weather],
    });
    const turn = t.input.messages?.[2]?.content ?? [];
    expect(turn[0]?.toolResult?.toolUseId).toBe("c1");
    expect(turn[1]?.toolResult).toEqual({
      toolUseId: "c2",
      content: [{ text: MISSING_RESULT_TEXT }],
      status: "error",
    });
    expect(turn[2]).toEqual({ text: "Result of tool call ghost: stale" });
    expect(t.warnings.join()).toContain("without a matching call");
  });

  test("a trailing assistant tool call gets placeholder results in the added user turn", () => {
    const t = translate({
      messages: [ask, { role: "assistant", tool_calls: [call("c1")] }],
      tools: [weather],
    });
    const last = t.input.messages?.at(-1);
    expect(last?.role).toBe("user");
    expect(last?.content?.[0]?.toolResult?.toolUseId).toBe("c1");
  });

  test("tool history without tools definitions is declared from the history", () => {
    const t = translate({
      messages: [
        ask,
        { role: "assistant", tool_calls: [call("c1")] },
        { role: "tool", tool_call_id: "c1", content: "21C" },
      ],
    });
    expect(t.input.toolConfig?.tools?.map((x) => x.toolSpec?.name)).toEqual(["get_weather"]);
  });

  test("a result first in the conversation (no call at all) becomes text", () => {
    const t = translate({
      messages: [{ role: "tool", tool_call_id: "x", content: "old" }, ask],
      tools: [weather],
    });
    expect(t.input.messages?.[0]?.content?.[0]).toEqual({ text: "Result of tool call x: old" });
  });
});

describe("documents", () => {
  const file = (file: Record<string, unknown>) => ({
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "read" },
          { type: "file", file },
        ],
      },
    ],
  });

  test.each([
    ["report.pdf", "report"],
    ["Q3 report (final) [v2].pdf", "Q3 report (final) [v2]"],
    ["my_file.v2.docx", "my file v2"],
    ["  a   b  ", "a b"],
    ["日本語.pdf", "document"],
    [undefined, "document"],
  ])("name %p → %p", (input, expected) => {
    expect(documentName(input, "document")).toBe(expected);
  });

  test("data URL and raw base64 both become a document block with an accepted name", () => {
    for (const file_data of [`data:application/pdf;base64,${PDF}`, PDF]) {
      const t = translate(file({ file_data, filename: "my.report.pdf" }));
      const doc = t.input.messages?.[0]?.content?.[1]?.document;
      expect(doc?.format).toBe("pdf");
      expect(doc?.name).toBe("my report");
    }
  });

  test("format from the mime type when there is no extension; repeated names stay unique", () => {
    const csv = Buffer.from("a,b\n1,2\n").toString("base64");
    const t = translate({
      messages: [
        {
          role: "user",
          content: [
            { type: "file", file: { file_data: `data:text/csv;base64,${csv}`, filename: "data" } },
            { type: "file", file: { file_data: `data:text/csv;base64,${csv}`, filename: "data" } },
          ],
        },
      ],
    });
    const blocks = t.input.messages?.[0]?.content ?? [];
    expect(blocks.map((b: ContentBlock) => [b.document?.format, b.document?.name])).toEqual([
      ["csv", "data"],
      ["csv", "data (2)"],
    ]);
  });

  test("an image sent as a file part becomes an image block", () => {
    const t = translate(file({ file_data: `data:image/png;base64,${PNG_1PX}` }));
    expect(t.input.messages?.[0]?.content?.[1]?.image?.format).toBe("png");
  });

  test.each([
    ["file_id", { file_id: "file-abc" }, "messages[0].content[1].file.file_id"],
    ["no data", { filename: "x.pdf" }, "messages[0].content[1].file"],
    [
      "unknown type",
      { file_data: Buffer.from("MZ\x90binary").toString("base64"), filename: "x.exe" },
      "messages[0].content[1].file",
    ],
    [
      "pdf that is not a pdf",
      { file_data: Buffer.from("hello").toString("base64"), filename: "x.pdf" },
      "messages[0].content[1].file.file_data",
    ],
    [
      "not base64",
      { file_data: "%%%not base64%%%", filename: "x.txt" },
      "messages[0].content[1].file.file_data",
    ],
  ])("%s is a 400 naming %s", (_name, f, param) => {
    const err = rejection(file(f));
    expect(err.status).toBe(400);
    expect(err.param).toBe(param);
  });

  test("a model without document support gets a 400", () => {
    const err = rejection(file({ file_data: PDF, filename: "x.pdf" }), LLAMA);
    expect(err.message).toContain("documents");
  });
});

describe("structured output", () => {
  const schema = {
    type: "object",
    properties: { name: { type: "string" } },
    required: ["name"],
    additionalProperties: false,
  };
  const jsonSchema = { type: "json_schema", json_schema: { name: "person", schema } };

  test("native outputConfig.textFormat where the model supports it (schema as a JSON string)", () => {
    const t = translate({ messages: [ask], response_format: jsonSchema }, CLAUDE45);
    expect(t.structured).toEqual({ mode: "native" });
    expect(t.input.outputConfig?.textFormat).toEqual({
      type: "json_schema",
      structure: { jsonSchema: { schema: JSON.stringify(schema), name: "person" } },
    });
    expect(t.input.toolConfig).toBeUndefined();
  });

  test("elsewhere a single forced tool carries the schema", () => {
    const t = translate({ messages: [ask], response_format: jsonSchema }, CLAUDE3);
    expect(t.structured).toEqual({ mode: "tool", toolName: RESPONSE_TOOL });
    expect(t.input.toolConfig?.toolChoice).toEqual({ tool: { name: RESPONSE_TOOL } });
    expect(t.input.toolConfig?.tools?.[0]?.toolSpec?.inputSchema).toEqual({ json: schema });
  });

  test("json_object uses the tool with an open object schema, even on native models", () => {
    const t = translate({ messages: [ask], response_format: { type: "json_object" } }, CLAUDE45);
    expect(t.structured.mode).toBe("tool");
    expect(t.input.toolConfig?.tools?.[0]?.toolSpec?.inputSchema).toEqual({
      json: { type: "object" },
    });
  });

  test("with client tools the model must call one of them or the response tool", () => {
    const t = translate(
      { messages: [ask], tools: [weather], response_format: jsonSchema },
      CLAUDE3,
    );
    expect(t.input.toolConfig?.toolChoice).toEqual({ any: {} });
    expect(t.input.toolConfig?.tools?.map((x) => x.toolSpec?.name)).toEqual([
      "get_weather",
      RESPONSE_TOOL,
    ]);
  });

  test("a client tool already called json_response pushes ours to another name", () => {
    const t = translate(
      {
        messages: [ask],
        tools: [{ type: "function", function: { name: RESPONSE_TOOL } }],
        response_format: jsonSchema,
      },
      CLAUDE3,
    );
    expect(t.structured).toEqual({ mode: "tool", toolName: `${RESPONSE_TOOL}_1` });
  });

  test("a model without tools gets the request in the prompt and a warning", () => {
    const t = translate({ messages: [ask], response_format: jsonSchema }, TITAN);
    expect(t.structured.mode).toBe("prompt");
    expect(JSON.stringify(t.input.messages)).toContain("Respond only with a JSON object");
    expect(t.warnings.join()).toContain("response_format");
  });

  test("a non-object root schema is a 400 in tool mode", () => {
    const err = rejection(
      {
        messages: [ask],
        response_format: {
          type: "json_schema",
          json_schema: { name: "l", schema: { type: "array" } },
        },
      },
      CLAUDE3,
    );
    expect(err.param).toBe("response_format.json_schema.schema");
  });

  const plan = { mode: "tool" as const, toolName: RESPONSE_TOOL };

  test("non-stream: the tool input becomes content, a preamble is dropped, finish is stop", () => {
    const out = adaptConverseOutput(
      {
        output: {
          message: {
            content: [
              { text: "Sure:" },
              { toolUse: { toolUseId: "t", name: RESPONSE_TOOL, input: { name: "Ada" } } },
            ],
          },
        },
        stopReason: "tool_use",
      },
      plan,
    );
    expect(out.content).toEqual([{ type: "text", text: '{"name":"Ada"}' }]);
    expect(out.reason).toBe("end-turn");
  });

  test("non-stream: a real client tool call is kept as a tool call", () => {
    const out = adaptConverseOutput(
      {
        output: {
          message: { content: [{ toolUse: { toolUseId: "t", name: "get_weather", input: {} } }] },
        },
        stopReason: "tool_use",
      },
      plan,
    );
    expect(out.reason).toBe("tool-use");
  });

  /** Converse events through the core's mapper and the adapter (a metadata event ends them). */
  async function collect(events: ConverseStreamOutput[]): Promise<StreamEvent[]> {
    const out: StreamEvent[] = [];
    const adapter = streamAdapterFor(plan, { push: (ev) => out.push(ev) });
    const mapper = new ConverseEventMapper(adapter);
    for (const ev of [...events, { metadata: { usage: {}, metrics: {} } }])
      mapper.push(ev as ConverseStreamOutput);
    return out;
  }

  test("stream: tool input deltas become text deltas; preamble dropped; stop reason end_turn", async () => {
    const out = await collect([
      { messageStart: { role: "assistant" } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { text: "Sure" } } },
      {
        contentBlockStart: {
          contentBlockIndex: 1,
          start: { toolUse: { toolUseId: "t", name: RESPONSE_TOOL } },
        },
      },
      { contentBlockDelta: { contentBlockIndex: 1, delta: { toolUse: { input: '{"na' } } } },
      { contentBlockDelta: { contentBlockIndex: 1, delta: { toolUse: { input: 'me":"A"}' } } } },
      { contentBlockStop: { contentBlockIndex: 1 } },
      { messageStop: { stopReason: "tool_use" } },
    ]);
    const texts = out.flatMap((e) => (e.type === "text-delta" ? [e.text] : []));
    expect(texts.join("")).toBe('{"name":"A"}');
    expect(out.some((e) => e.type === "tool-call-start")).toBe(false);
    const finish = out.find((e) => e.type === "finish");
    expect(finish?.type === "finish" && finish.reason).toBe("end-turn");
  });

  test("stream: a plain text answer (the model ignored the tool) is released at the end", async () => {
    const out = await collect([
      { messageStart: { role: "assistant" } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { text: "{}" } } },
      { messageStop: { stopReason: "end_turn" } },
    ]);
    expect(out.map((e) => e.type)).toEqual(["message-start", "text-delta", "finish"]);
  });
});

describe("SSRF guard addresses", () => {
  test.each([
    "127.0.0.1",
    "127.5.5.5",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fc00::1",
    "fd00:ec2::254",
    "fe80::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:a9fe:a9fe",
    "64:ff9b::a9fe:a9fe",
    "2002:7f00:1::",
    "not-an-ip",
    // Not globally reachable (IANA special-purpose registries), missed by the old hand-written table:
    "192.0.2.1",
    "198.51.100.7",
    "203.0.113.9",
    "198.18.0.1",
    "198.19.255.255",
    "240.0.0.1",
    "2001:db8::1",
    "2001::1",
    "fec0::1",
    "::ffff:0:8.8.8.8",
    "::ffff:8.8.8.8",
    "::8.8.8.8",
    "3fff::1",
  ])("%s is blocked", (ip) => {
    expect(isBlockedAddress(ip)).toBe(true);
  });

  test.each(["93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111"])(
    "%s is allowed",
    (ip) => {
      expect(isBlockedAddress(ip)).toBe(false);
    },
  );
});
