import { describe, expect, test } from "bun:test";
import { CONTINUE_TEXT, PLACEHOLDER_USER_TEXT } from "../../src/converse/messages";
import { InvalidRequestError } from "../../src/errors";
import { capabilitiesOf } from "../../src/models/capabilities";
import { chatRequestSchema } from "../../src/surfaces/openai-chat/schema";
import { toConverse } from "../../src/surfaces/openai-chat/translate";

const CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const CLAUDE3 = "anthropic.claude-3-haiku-20240307-v1:0";

function translate(body: Record<string, unknown>, modelId = CLAUDE3) {
  const req = chatRequestSchema.parse(body);
  return toConverse(req, { modelId, caps: capabilitiesOf(modelId) });
}

const PNG_1PX =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

describe("messages", () => {
  const cases: Array<{ name: string; messages: unknown[]; system?: unknown; expected: unknown }> = [
    {
      name: "system and developer (string or parts) become system blocks, in order",
      messages: [
        { role: "system", content: "S1" },
        { role: "user", content: "hi" },
        {
          role: "developer",
          content: [
            { type: "text", text: "D1" },
            { type: "text", text: "D2" },
          ],
        },
      ],
      system: [{ text: "S1" }, { text: "D1" }, { text: "D2" }],
      expected: [{ role: "user", content: [{ text: "hi" }] }],
    },
    {
      name: "consecutive same-role messages merge",
      messages: [
        { role: "user", content: "a" },
        { role: "user", content: [{ type: "text", text: "b" }] },
        { role: "assistant", content: "c" },
        { role: "assistant", content: "d" },
        { role: "user", content: "e" },
      ],
      expected: [
        { role: "user", content: [{ text: "a" }, { text: "b" }] },
        { role: "assistant", content: [{ text: "c" }, { text: "d" }] },
        { role: "user", content: [{ text: "e" }] },
      ],
    },
    {
      name: "blank text is dropped and an emptied message disappears",
      messages: [
        { role: "user", content: "q" },
        { role: "assistant", content: "   " },
        {
          role: "user",
          content: [
            { type: "text", text: "" },
            { type: "text", text: "r" },
          ],
        },
      ],
      expected: [{ role: "user", content: [{ text: "q" }, { text: "r" }] }],
    },
    {
      name: "a leading assistant message gets a user turn before it",
      messages: [
        { role: "assistant", content: "Welcome!" },
        { role: "user", content: "thanks" },
      ],
      expected: [
        { role: "user", content: [{ text: PLACEHOLDER_USER_TEXT }] },
        { role: "assistant", content: [{ text: "Welcome!" }] },
        { role: "user", content: [{ text: "thanks" }] },
      ],
    },
    {
      name: "a trailing assistant prefill loses its trailing whitespace",
      messages: [
        { role: "user", content: "count" },
        { role: "assistant", content: "1, 2, " },
      ],
      expected: [
        { role: "user", content: [{ text: "count" }] },
        { role: "assistant", content: [{ text: "1, 2," }] },
      ],
    },
    {
      name: "system-only conversations send the instructions as the user turn",
      messages: [{ role: "system", content: "Say hi" }],
      expected: [{ role: "user", content: [{ text: "Say hi" }] }],
    },
    {
      name: "tool calls and results map to toolUse/toolResult, results first in their turn",
      messages: [
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: "checking",
          tool_calls: [
            {
              id: "call_1",
              type: "function",
              function: { name: "w", arguments: '{"city":"Paris"}' },
            },
            { id: "call_2", type: "function", function: { name: "t", arguments: "" } },
          ],
        },
        { role: "tool", tool_call_id: "call_1", content: "21C" },
        { role: "user", content: "and?" },
        { role: "tool", tool_call_id: "call_2", content: [{ type: "text", text: "noon" }] },
      ],
      expected: [
        { role: "user", content: [{ text: "weather?" }] },
        {
          role: "assistant",
          content: [
            { text: "checking" },
            { toolUse: { toolUseId: "call_1", name: "w", input: { city: "Paris" } } },
            { toolUse: { toolUseId: "call_2", name: "t", input: {} } },
          ],
        },
        {
          role: "user",
          content: [
            { toolResult: { toolUseId: "call_1", content: [{ text: "21C" }] } },
            { toolResult: { toolUseId: "call_2", content: [{ text: "noon" }] } },
            { text: "and?" },
          ],
        },
      ],
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { input } = translate({ messages: c.messages });
      expect(input.messages as unknown).toEqual(c.expected);
      expect(input.system as unknown).toEqual(c.system);
    });
  }

  test("a model without prefill gets a continue turn after a trailing assistant message", () => {
    const { input } = translate(
      {
        messages: [
          { role: "user", content: "a" },
          { role: "assistant", content: "b" },
        ],
      },
      "meta.llama3-1-70b-instruct-v1:0",
    );
    expect(input.messages?.at(-1)).toEqual({ role: "user", content: [{ text: CONTINUE_TEXT }] });
  });

  test("a model without system prompts gets the system text in the first user turn", () => {
    const { input, warnings } = translate(
      {
        messages: [
          { role: "system", content: "Be brief" },
          { role: "user", content: "hi" },
        ],
      },
      "amazon.titan-text-express-v1",
    );
    expect(input.system).toBeUndefined();
    expect(input.messages?.[0]?.content).toEqual([{ text: "Be brief" }, { text: "hi" }]);
    expect(warnings.length).toBe(1);
  });

  test("data: image URLs become image blocks with the format from the bytes", () => {
    const { input } = translate({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is this" },
            // Declared as jpg, but the bytes are PNG: the bytes win.
            { type: "image_url", image_url: { url: `data:image/jpg;base64,${PNG_1PX}` } },
          ],
        },
      ],
    });
    const block = input.messages?.[0]?.content?.[1];
    expect(block?.image?.format).toBe("png");
    expect(block?.image?.source?.bytes?.length).toBe(Buffer.from(PNG_1PX, "base64").length);
  });

  const rejects: Array<{
    name: string;
    body: Record<string, unknown>;
    model?: string;
    param: string;
  }> = [
    {
      name: "image for a text-only model",
      body: {
        messages: [
          {
            role: "user",
            content: [
              { type: "image_url", image_url: { url: `data:image/png;base64,${PNG_1PX}` } },
            ],
          },
        ],
      },
      model: "meta.llama3-1-8b-instruct-v1:0",
      param: "messages[0].content[0]",
    },
    {
      name: "non-data image URL",
      body: {
        messages: [
          { role: "user", content: [{ type: "image_url", image_url: { url: "ftp://x/y.png" } }] },
        ],
      },
      param: "messages[0].content[0]",
    },
    {
      name: "unknown image type",
      body: {
        messages: [
          {
            role: "user",
            content: [{ type: "image_url", image_url: { url: "data:image/tiff;base64,AAAA" } }],
          },
        ],
      },
      param: "messages[0].content[0]",
    },
    {
      name: "tool arguments that are not a JSON object",
      body: {
        messages: [
          { role: "user", content: "x" },
          {
            role: "assistant",
            tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "[1]" } }],
          },
        ],
      },
      param: "messages[1].tool_calls[0].function.arguments",
    },
    {
      name: "an invalid tool name",
      body: {
        messages: [{ role: "user", content: "x" }],
        tools: [{ type: "function", function: { name: "bad name!" } }],
      },
      param: "tools[0].function.name",
    },
    {
      name: "tool_choice naming a missing tool",
      body: {
        messages: [{ role: "user", content: "x" }],
        tools: [{ type: "function", function: { name: "a" } }],
        tool_choice: { type: "function", function: { name: "b" } },
      },
      param: "tool_choice",
    },
    {
      name: "stop on a model without stop sequences",
      body: { messages: [{ role: "user", content: "x" }], stop: "END" },
      model: "openai.gpt-oss-120b-1:0",
      param: "stop",
    },
    {
      name: "the deprecated function role",
      body: { messages: [{ role: "function", name: "f", content: "x" }] },
      param: "messages[0].role",
    },
  ];
  for (const r of rejects) {
    test(`rejects ${r.name} with a 400 naming ${r.param}`, () => {
      let err: unknown;
      try {
        translate(r.body, r.model);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidRequestError);
      expect((err as InvalidRequestError).param).toBe(r.param);
      expect((err as InvalidRequestError).status).toBe(400);
    });
  }
});

describe("inference parameters", () => {
  test("max_completion_tokens wins over max_tokens; stop string becomes a list", () => {
    const { input } = translate({
      messages: [{ role: "user", content: "x" }],
      max_tokens: 10,
      max_completion_tokens: 20,
      temperature: 0.5,
      top_p: 0.9,
      stop: "END",
    });
    expect(input.inferenceConfig).toEqual({
      maxTokens: 20,
      temperature: 0.5,
      topP: 0.9,
      stopSequences: ["END"],
    });
  });

  test("temperature above the model's maximum is lowered, with a warning", () => {
    const { input, warnings } = translate({
      messages: [{ role: "user", content: "x" }],
      temperature: 1.7,
    });
    expect(input.inferenceConfig?.temperature).toBe(1);
    expect(warnings.some((w) => w.includes("temperature"))).toBe(true);
  });

  test("top_p is dropped when the model takes temperature or top_p, not both", () => {
    const { input, warnings } = translate(
      { messages: [{ role: "user", content: "x" }], temperature: 0.2, top_p: 0.5 },
      CLAUDE,
    );
    expect(input.inferenceConfig).toEqual({ temperature: 0.2 });
    expect(warnings.some((w) => w.includes("top_p"))).toBe(true);
  });

  test("no inferenceConfig when nothing is set", () => {
    const { input } = translate({ messages: [{ role: "user", content: "x" }] });
    expect(input.inferenceConfig).toBeUndefined();
  });
});

describe("tools", () => {
  const tools = [
    {
      type: "function",
      function: {
        name: "get_weather",
        description: "Weather",
        parameters: { type: "object", properties: { city: { type: "string" } } },
      },
    },
    { type: "function", function: { name: "get_time", description: "" } },
  ];
  const base = { messages: [{ role: "user", content: "x" }], tools };

  test("tools become toolSpecs; empty descriptions are omitted; missing parameters get an empty object schema", () => {
    const { input } = translate(base);
    expect(input.toolConfig?.tools as unknown).toEqual([
      {
        toolSpec: {
          name: "get_weather",
          description: "Weather",
          inputSchema: { json: tools[0]?.function.parameters },
        },
      },
      { toolSpec: { name: "get_time", inputSchema: { json: { type: "object", properties: {} } } } },
    ]);
    expect(input.toolConfig?.toolChoice).toBeUndefined();
  });

  test.each([
    ["required", { any: {} }],
    [{ type: "function", function: { name: "get_time" } }, { tool: { name: "get_time" } }],
  ])("tool_choice %p maps to %p", (choice, expected) => {
    const { input } = translate({ ...base, tool_choice: choice });
    expect(input.toolConfig?.toolChoice as unknown).toEqual(expected);
  });

  test("tool_choice none withholds the tools so the model cannot call one", () => {
    const { input } = translate({ ...base, tool_choice: "none" });
    expect(input.toolConfig).toBeUndefined();
  });

  test("allowed_tools restricts the offered tools", () => {
    const { input } = translate({
      ...base,
      tool_choice: {
        type: "allowed_tools",
        allowed_tools: {
          mode: "required",
          tools: [{ type: "function", function: { name: "get_time" } }],
        },
      },
    });
    expect(input.toolConfig?.tools?.map((t) => t.toolSpec?.name)).toEqual(["get_time"]);
    expect(input.toolConfig?.toolChoice as unknown).toEqual({ any: {} });
  });

  test("tool history without tool definitions still gets a toolConfig Bedrock accepts", () => {
    const { input } = translate({
      messages: [
        { role: "user", content: "x" },
        {
          role: "assistant",
          tool_calls: [
            { id: "c1", type: "function", function: { name: "lookup", arguments: "{}" } },
          ],
        },
        { role: "tool", tool_call_id: "c1", content: "found" },
      ],
    });
    expect(input.toolConfig?.tools?.map((t) => t.toolSpec?.name)).toEqual(["lookup"]);
  });
});
