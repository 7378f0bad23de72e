/**
 * Pure parts of the Responses surface: sealing of encrypted_content, tool-name
 * flattening, and the encoder's event invariants for reasoning + text + calls.
 */
import { describe, expect, test } from "bun:test";
import type { StreamEvent, Usage } from "../../src/conversation";
import { InvalidRequestError } from "../../src/errors";
import { CustomInputStream } from "../../src/surfaces/openai-responses/custom-input";
import { flatName, ToolNames } from "../../src/surfaces/openai-responses/decode";
import { ResponseEncoder, type ResponseEvent } from "../../src/surfaces/openai-responses/encode";
import { ReasoningSealer } from "../../src/surfaces/openai-responses/seal";

const SECRET = "s".repeat(32);

describe("ReasoningSealer", () => {
  const blocks = [
    { type: "reasoning" as const, text: "secret thoughts", signature: "sig" },
    { type: "redacted-reasoning" as const, data: "AAEC" },
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
  const usage: Usage = {
    inputTokens: 3,
    outputTokens: 7,
    totalTokens: 12,
    cacheReadInputTokens: 2,
    cacheWriteInputTokens: 0,
  };

  function encode(events: StreamEvent[], includeEncrypted = true) {
    const tools = new ToolNames();
    tools.add({ kind: "custom", name: "apply_patch" }, "apply_patch");
    tools.add({ kind: "function", name: "spawn", namespace: "agents" }, "agents__spawn");
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
    for (const ev of events) enc.push(ev, out);
    return { enc, out };
  }

  test("reasoning, text, a namespaced call and a custom call: items in order, each closed before the next", () => {
    const { enc, out } = encode([
      { type: "message-start" },
      { type: "reasoning-delta", index: 0, text: "hmm" },
      { type: "reasoning-signature", index: 0, signature: "s1" },
      { type: "block-end", index: 0 },
      { type: "text-delta", index: 1, text: "Hi" },
      { type: "tool-call-start", index: 2, id: "call_a", name: "agents__spawn" },
      { type: "tool-call-delta", index: 2, delta: '{"a":1}' },
      { type: "tool-call-start", index: 3, id: "call_b", name: "apply_patch" },
      { type: "tool-call-delta", index: 3, delta: '{"input":"*** Begin Patch"}' },
      { type: "finish", reason: "tool-use", usage, provider: {} },
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
    expect(output[2]).toMatchObject({
      call_id: "call_a",
      name: "spawn",
      namespace: "agents",
      arguments: '{"a":1}',
    });
    expect(output[3]).toMatchObject({
      call_id: "call_b",
      name: "apply_patch",
      input: "*** Begin Patch",
    });
    expect(enc.response.usage).toEqual({
      input_tokens: 5,
      input_tokens_details: { cached_tokens: 2, cache_write_tokens: 0 },
      output_tokens: 7,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 12,
    });
    // The stored turn keeps the Bedrock names and the signed reasoning first.
    expect(enc.assistantTurn()).toEqual({
      role: "assistant",
      content: [
        { type: "reasoning", text: "hmm", signature: "s1" },
        { type: "text", text: "Hi" },
        { type: "tool-call", id: "call_a", name: "agents__spawn", input: { a: 1 } },
        { type: "tool-call", id: "call_b", name: "apply_patch", input: "*** Begin Patch" },
      ],
    });
  });

  test("no encrypted_content unless included; max tokens → response.incomplete", () => {
    const { enc, out } = encode(
      [
        { type: "redacted-reasoning", index: 0, data: "AA" },
        { type: "text-delta", index: 1, text: "cut" },
        { type: "finish", reason: "max-tokens", usage, provider: {} },
      ],
      false,
    );
    expect(enc.response.output[0]).not.toHaveProperty("encrypted_content");
    expect(out[out.length - 1]?.type).toBe("response.incomplete");
    expect(enc.response.incomplete_details).toEqual({ reason: "max_output_tokens" });
  });
});

describe("CustomInputStream", () => {
  test("decodes the input string as it streams, escapes split across fragments included", () => {
    const raw = '*** Begin Patch\n+say "hi" \\ ✓\t\u00e9\n*** End Patch';
    const json = JSON.stringify({ input: raw }).replace("é", "\\u00e9");
    for (const size of [1, 2, 3, 7, 1000]) {
      const s = new CustomInputStream();
      let got = "";
      for (let i = 0; i < json.length; i += size) got += s.push(json.slice(i, i + size));
      expect(got).toBe(raw);
      expect(s.text).toBe(raw);
    }
  });

  test("arguments of another shape yield nothing while streaming", () => {
    const s = new CustomInputStream();
    expect(s.push('{"patch": "x"}')).toBe("");
    expect(s.text).toBe("");
  });
});
