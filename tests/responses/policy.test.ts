/**
 * Every Responses request field has a decision: honoured, ignored with an
 * x-gateway-warnings entry, or a 400 naming the parameter (no Bedrock call).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { type Stack, startStack } from "../support/stack";

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ API_KEY: "sk-p" });
});
afterAll(() => stack.stop());
beforeEach(() => stack.emu.reset());

const post = (body: Record<string, unknown>) =>
  stack.post(
    "/v1/responses",
    { model: MODEL, input: "hi", ...body },
    { authorization: "Bearer sk-p" },
  );

function bedrockCalls(): number {
  return stack.emu.requests.filter((r) => r.operation.startsWith("Converse")).length;
}

describe("Responses request policy", () => {
  test("what Codex sends besides the conversation is accepted, each ignored field named in a warning", async () => {
    const res = await post({
      store: false,
      include: ["reasoning.encrypted_content", "web_search_call.action.sources"],
      prompt_cache_key: "thread-1",
      client_metadata: { "x-codex": "1" },
      text: { verbosity: "low" },
      reasoning: { summary: "auto" },
      truncation: "auto",
      tool_choice: { type: "web_search" },
      parallel_tool_calls: true,
    });
    expect(res.status).toBe(200);
    const warnings = res.headers.get("x-gateway-warnings") ?? "";
    for (const name of [
      "text.verbosity",
      "reasoning.summary",
      "prompt_cache_key",
      "client_metadata",
      "truncation",
      "web_search_call.action.sources",
      "tool_choice 'web_search'",
    ]) {
      expect(warnings).toContain(name);
    }
  });

  test("fields whose meaning Bedrock cannot deliver are a 400 naming them, before any Bedrock call", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ background: true }, "background"],
      [{ conversation: "conv_1" }, "conversation"],
      [{ prompt: { id: "pmpt_1" } }, "prompt"],
      [{ top_logprobs: 2 }, "top_logprobs"],
      [{ include: ["message.output_text.logprobs"] }, "include"],
      [{ input: [{ type: "item_reference", id: "msg_1" }] }, "input[0].type"],
      [{ input: [{ role: "tool", content: "x" }] }, "input[0].role"],
      [
        { input: [{ role: "user", content: [{ type: "input_audio", input_audio: {} }] }] },
        "input[0].content[0].type",
      ],
      [
        { input: [{ type: "function_call", call_id: "c1", name: "f", arguments: "not json" }] },
        "input[0].arguments",
      ],
      [{ temperature: 3 }, "temperature"],
    ];
    for (const [body, param] of cases) {
      const res = await post(body);
      expect(res.status).toBe(400);
      const err = (await res.json()) as { error: { param: string; type: string } };
      expect(err.error).toMatchObject({ param, type: "invalid_request_error" });
    }
    expect(bedrockCalls()).toBe(0);
  });

  test("GET / DELETE of an unknown response and POST …/cancel", async () => {
    const get = await fetch(`${stack.url}/v1/responses/resp_nope`, {
      headers: { authorization: "Bearer sk-p" },
    });
    expect(get.status).toBe(404);
    const del = await fetch(`${stack.url}/v1/responses/resp_nope`, {
      method: "DELETE",
      headers: { authorization: "Bearer sk-p" },
    });
    expect(del.status).toBe(404);
    const cancel = await fetch(`${stack.url}/v1/responses/resp_nope/cancel`, {
      method: "POST",
      headers: { authorization: "Bearer sk-p" },
    });
    expect(cancel.status).toBe(400);
  });
});
