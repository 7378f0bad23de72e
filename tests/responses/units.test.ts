/**
 * Pure parts of the Responses surface: sealing of encrypted_content, tool-name
 * flattening, and the encoder's event invariants for reasoning + text + calls.
 */
import { describe, expect, test } from "bun:test";
import type { ChatCompletionChunk } from "../../src/chat/types";
import { InvalidRequestError } from "../../src/errors";
import { flatName, ToolNames } from "../../src/surfaces/openai-responses/decode";
import { ResponseEncoder, type ResponseEvent } from "../../src/surfaces/openai-responses/encode";
import { ReasoningSealer } from "../../src/surfaces/openai-responses/seal";

const SECRET = "s".repeat(32);

describe("ReasoningSealer", () => {
  const blocks = [
    { type: "thinking" as const, thinking: "secret thoughts", signature: "sig" },
    { type: "redacted_thinking" as const, data: "AAEC" },
  ];

  test("round-trips on any replica with the same secret; hides the text", () => {
    const sealed = new ReasoningSealer(SECRET).seal(blocks);
    expect(sealed).toStartWith("gw1.");
    expect(sealed).not.toContain("secret");
    expect(new ReasoningSealer(SECRET).open(sealed, "p")).toEqual(blocks);
  });

  test("refuses another secret, a flipped bit, a truncation and garbage, naming the param", () => {
    const sealed = new ReasoningSealer(SECRET).seal(blocks);
    const body = Buffer.from(sealed.slice(4), "base64url");
    body[20] = (body[20] ?? 0) ^ 1;
    const flipped = `gw1.${body.toString("base64url")}`;
    for (const bad of [
      () => new ReasoningSealer("t".repeat(32)).open(sealed, "input[1].encrypted_content"),
      () => new ReasoningSealer(SECRET).open(flipped, "input[1].encrypted_content"),
      () => new ReasoningSealer(SECRET).open(sealed.slice(0, 30), "input[1].encrypted_content"),
      () => new ReasoningSealer(SECRET).open("opaque-from-openai", "input[1].encrypted_content"),
    ]) {
      let err: unknown;
      try {
        bad();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidRequestError);
      expect((err as InvalidRequestError).param).toBe("input[1].encrypted_content");
    }
  });
});

describe("flatName", () => {
  test("valid names stay readable; others become valid, distinct and stable", () => {
    expect(flatName("spawn_agent", "multi_agent_v1")).toBe("multi_agent_v1__spawn_agent");
    expect(flatName("get.weather", undefined)).toMatch(/^get_weather_[0-9a-f]{8}$/);
    const long = flatName("x".repeat(60), "ns");
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(flatName("x".repeat(60), "ns")).toBe(long);
    expect(flatName("y".repeat(60), "ns")).not.toBe(long);
  });
});

describe("ResponseEncoder", () => {
  const chunk = (
    delta: ChatCompletionChunk["choices"][number]["delta"],
    finish: "stop" | "tool_calls" | "length" | null = null,
  ): ChatCompletionChunk => ({
    id: "c",
    object: "chat.completion.chunk",
    created: 0,
    model: "m",
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  });
  const usage = {
    prompt_tokens: 5,
    completion_tokens: 7,
    total_tokens: 12,
    prompt_tokens_details: { cached_tokens: 2 },
  };

  function encode(chunks: ChatCompletionChunk[], includeEncrypted = true) {
    const tools = new ToolNames();
    tools.add({ kind: "custom", name: "apply_patch" }, "apply_patch");
    const enc = new ResponseEncoder({
      id: "resp_1",
      createdAt: 1,
      model: "m",
      settings: {},
      tools,
      sealer: new ReasoningSealer(SECRET),
      includeEncrypted,
    });
    const out: ResponseEvent[] = [];
    enc.start(out);
    for (const c of chunks) enc.push(c, out);
    enc.push({ ...chunk({}), choices: [], usage }, out);
    return { enc, out };
  }

  test("reasoning, text, a function call and a custom call: items in order, each closed before the next", () => {
    const { enc, out } = encode([
      chunk({ reasoning_content: "hmm" }),
      chunk({ thinking_blocks: [{ type: "thinking", thinking: "hmm", signature: "s1" }] }),
      chunk({ content: "Hi" }),
      chunk({
        tool_calls: [
          { index: 0, id: "call_a", type: "function", function: { name: "f", arguments: "" } },
        ],
      }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] }),
      chunk({
        tool_calls: [
          {
            index: 1,
            id: "call_b",
            type: "function",
            function: { name: "apply_patch", arguments: '{"input":"*** Begin Patch"}' },
          },
        ],
      }),
      chunk({}, "tool_calls"),
    ]);
    expect(out.map((e) => e.sequence_number)).toEqual(out.map((_, i) => i));
    const open: number[] = [];
    for (const e of out) {
      if (e.type === "response.output_item.added") {
        expect(open).toEqual([]);
        open.push(e.output_index as number);
      }
      if (e.type === "response.output_item.done") expect(open.pop()).toBe(e.output_index as number);
    }
    expect(out[out.length - 1]?.type).toBe("response.completed");
    const output = enc.response.output;
    expect(output.map((o) => o.type)).toEqual([
      "reasoning",
      "message",
      "function_call",
      "custom_tool_call",
    ]);
    expect(output[0]).toMatchObject({
      summary: [{ type: "summary_text", text: "hmm" }],
      encrypted_content: expect.stringMatching(/^gw1\./),
    });
    expect(output[3]).toMatchObject({
      call_id: "call_b",
      name: "apply_patch",
      input: "*** Begin Patch",
    });
    expect(enc.response.usage).toEqual({
      input_tokens: 5,
      input_tokens_details: { cached_tokens: 2 },
      output_tokens: 7,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 12,
    });
    // The stored turn keeps the Bedrock names and the signed thinking.
    expect(enc.assistantTurn()).toMatchObject({
      role: "assistant",
      content: "Hi",
      thinking_blocks: [{ type: "thinking", signature: "s1" }],
      tool_calls: [
        { id: "call_a" },
        {
          id: "call_b",
          function: { name: "apply_patch", arguments: '{"input":"*** Begin Patch"}' },
        },
      ],
    });
  });

  test("no encrypted_content unless included; max tokens → response.incomplete", () => {
    const { enc, out } = encode(
      [
        chunk({ thinking_blocks: [{ type: "redacted_thinking", data: "AA" }] }),
        chunk({ content: "cut" }),
        chunk({}, "length"),
      ],
      false,
    );
    expect(enc.response.output[0]).not.toHaveProperty("encrypted_content");
    expect(out[out.length - 1]?.type).toBe("response.incomplete");
    expect(enc.response.incomplete_details).toEqual({ reason: "max_output_tokens" });
  });
});
