import { describe, expect, test } from "bun:test";
import type { ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import { encodeBatches, IncompleteStreamError } from "../../src/converse/events";
import { finishReasonOf, resultOf, usageOf } from "../../src/converse/result";
import { GatewayError } from "../../src/errors";
import {
  type CompletionMeta,
  toChatCompletion as chatCompletion,
  finishReason as chatFinishReason,
  toUsage as chatUsage,
} from "../../src/surfaces/openai-chat/encode-result";
import { ChatChunkEncoder } from "../../src/surfaces/openai-chat/encode-stream";
import type { ChatCompletionChunk } from "../../src/surfaces/openai-chat/wire";

/** The chat surface on Converse events: the core's event loop driving the chunk encoder. */
function chunkBatches(
  list: AsyncIterable<ConverseStreamOutput>,
  meta: CompletionMeta,
  opts: { includeUsage: boolean },
) {
  return encodeBatches(list, new ChatChunkEncoder(meta, opts.includeUsage));
}
const toChatCompletion = (out: Parameters<typeof resultOf>[0], meta: CompletionMeta) =>
  chatCompletion(resultOf(out), meta);
const finishReason = (stop: string | undefined) => chatFinishReason(finishReasonOf(stop).reason);
const toUsage = (u: Parameters<typeof usageOf>[0]) => chatUsage(usageOf(u));

const META = { id: "chatcmpl-test", created: 1700000000, model: "m" };

async function* events(list: unknown[], thenThrow?: Error): AsyncGenerator<ConverseStreamOutput> {
  for (const e of list) yield e as ConverseStreamOutput;
  if (thenThrow) throw thenThrow;
}

async function collect(list: unknown[], includeUsage = false, thenThrow?: Error) {
  const out: ChatCompletionChunk[] = [];
  let error: unknown;
  try {
    for await (const batch of chunkBatches(events(list, thenThrow), META, { includeUsage })) {
      out.push(...batch);
    }
  } catch (e) {
    error = e;
  }
  return { chunks: out, error };
}

const END = [
  { messageStop: { stopReason: "tool_use" } },
  {
    metadata: {
      usage: { inputTokens: 5, outputTokens: 7, totalTokens: 12, cacheReadInputTokens: 3 },
      metrics: { latencyMs: 1 },
    },
  },
];

describe("stream pipeline", () => {
  test("reasoning, text and two tool calls: role once, dense tool indexes from 0, one finish chunk", async () => {
    const { chunks, error } = await collect([
      { messageStart: { role: "assistant" } },
      {
        contentBlockDelta: { contentBlockIndex: 0, delta: { reasoningContent: { text: "think" } } },
      },
      {
        contentBlockDelta: {
          contentBlockIndex: 0,
          delta: { reasoningContent: { signature: "sig" } },
        },
      },
      { contentBlockStop: { contentBlockIndex: 0 } },
      { contentBlockDelta: { contentBlockIndex: 1, delta: { text: "Checking" } } },
      { contentBlockStop: { contentBlockIndex: 1 } },
      {
        contentBlockStart: {
          contentBlockIndex: 2,
          start: { toolUse: { toolUseId: "tu_1", name: "w" } },
        },
      },
      { contentBlockDelta: { contentBlockIndex: 2, delta: { toolUse: { input: '{"a":' } } } },
      { contentBlockDelta: { contentBlockIndex: 2, delta: { toolUse: { input: "1}" } } } },
      { contentBlockStop: { contentBlockIndex: 2 } },
      {
        contentBlockStart: {
          contentBlockIndex: 3,
          start: { toolUse: { toolUseId: "tu_2", name: "t" } },
        },
      },
      { contentBlockDelta: { contentBlockIndex: 3, delta: { toolUse: { input: "{}" } } } },
      { contentBlockStop: { contentBlockIndex: 3 } },
      ...END,
    ]);
    expect(error).toBeUndefined();
    // The signature closes the thinking block: it goes out whole, once (reasoning.ts).
    const thinking = chunks.filter((c) => c.choices[0]?.delta.thinking_blocks);
    expect(thinking.map((c) => c.choices[0]?.delta)).toEqual([
      { thinking_blocks: [{ type: "thinking", thinking: "think", signature: "sig" }] },
    ]);
    const deltas = chunks
      .map((c) => c.choices[0]?.delta)
      .filter((d) => d?.thinking_blocks === undefined);
    expect(deltas[0]).toEqual({ role: "assistant", content: "", refusal: null });
    expect(chunks.filter((c) => c.choices[0]?.delta.role).length).toBe(1);
    expect(deltas[1]).toEqual({ reasoning_content: "think" });
    expect(deltas[2]).toEqual({ content: "Checking" });
    expect(deltas[3]).toEqual({
      tool_calls: [
        { index: 0, id: "tu_1", type: "function", function: { name: "w", arguments: "" } },
      ],
    });
    expect(deltas[4]).toEqual({ tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] });
    expect(deltas[5]).toEqual({ tool_calls: [{ index: 0, function: { arguments: "1}" } }] });
    expect(deltas[6]?.tool_calls?.[0]).toMatchObject({ index: 1, id: "tu_2" });
    const finishes = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finishes.map((c) => c.choices[0]?.finish_reason)).toEqual(["tool_calls"]);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls");
    // No usage chunk and no usage key unless asked.
    expect(chunks.every((c) => !("usage" in c))).toBe(true);
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(["chatcmpl-test"]));
  });

  test("a tool call first gets index 0 (never -1)", async () => {
    const { chunks } = await collect([
      { messageStart: { role: "assistant" } },
      {
        contentBlockStart: {
          contentBlockIndex: 0,
          start: { toolUse: { toolUseId: "tu", name: "f" } },
        },
      },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { toolUse: { input: "{}" } } } },
      ...END,
    ]);
    const indexes = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []).map((t) => t.index);
    expect(indexes).toEqual([0, 0]);
  });

  test("include_usage: usage null on every chunk, then one usage chunk with no choices", async () => {
    const { chunks } = await collect(
      [
        { messageStart: { role: "assistant" } },
        { contentBlockDelta: { contentBlockIndex: 0, delta: { text: "hi" } } },
        ...END,
      ],
      true,
    );
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual({
      prompt_tokens: 8,
      completion_tokens: 7,
      total_tokens: 15,
      prompt_tokens_details: { cached_tokens: 3, cache_write_tokens: 0 },
    });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  test.each([
    [
      "no messageStop or metadata",
      [
        { messageStart: { role: "assistant" } },
        { contentBlockDelta: { contentBlockIndex: 0, delta: { text: "par" } } },
      ],
    ],
    [
      "messageStop but no metadata",
      [{ messageStart: { role: "assistant" } }, { messageStop: { stopReason: "end_turn" } }],
    ],
    ["metadata without messageStop", [{ messageStart: { role: "assistant" } }, END[1]]],
  ])("an upstream that ends with %s is an error, not a success", async (_name, list) => {
    const { chunks, error } = await collect(list as unknown[]);
    expect(error).toBeInstanceOf(IncompleteStreamError);
    expect(chunks.some((c) => c.choices[0]?.finish_reason)).toBe(false);
  });

  test("a mid-stream Bedrock exception is mapped by name", async () => {
    const throttle = Object.assign(new Error("slow down"), {
      name: "ThrottlingException",
      $fault: "client",
      $metadata: {},
    });
    const { chunks, error } = await collect(
      [{ messageStart: { role: "assistant" } }],
      false,
      throttle,
    );
    expect(chunks.length).toBe(1);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).status).toBe(429);
    expect((error as GatewayError).message).toBe("slow down");
  });

  test("unknown delta types are skipped, not fatal", async () => {
    const { chunks, error } = await collect([
      { messageStart: { role: "assistant" } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { citation: { title: "x" } } } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { text: "ok" } } },
      { messageStop: { stopReason: "end_turn" } },
      END[1],
    ]);
    expect(error).toBeUndefined();
    expect(chunks.map((c) => c.choices[0]?.delta.content).filter((t) => t !== undefined)).toEqual([
      "",
      "ok",
    ]);
  });
});

describe("non-stream response", () => {
  test("all text blocks kept in order, tool calls after text, compact JSON arguments", () => {
    const out = toChatCompletion(
      {
        output: {
          message: {
            content: [
              { reasoningContent: { reasoningText: { text: "hmm", signature: "s" } } },
              { text: "first " },
              { toolUse: { toolUseId: "tu_9", name: "f", input: { a: 1, b: [1, 2] } } },
              { text: "second" },
            ],
          },
        },
        stopReason: "tool_use",
        usage: { inputTokens: 10, outputTokens: 4, totalTokens: 14, cacheWriteInputTokens: 6 },
      },
      META,
    );
    expect(out.object).toBe("chat.completion");
    expect(out.choices[0]?.message).toEqual({
      role: "assistant",
      content: "first second",
      refusal: null,
      reasoning_content: "hmm",
      thinking_blocks: [{ type: "thinking", thinking: "hmm", signature: "s" }],
      tool_calls: [
        { id: "tu_9", type: "function", function: { name: "f", arguments: '{"a":1,"b":[1,2]}' } },
      ],
    });
    expect(out.choices[0]?.finish_reason).toBe("tool_calls");
    expect(out.usage).toEqual({
      prompt_tokens: 16,
      completion_tokens: 4,
      total_tokens: 20,
      prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 6 },
    });
  });

  test("content is null when the model only called tools", () => {
    const out = toChatCompletion(
      {
        output: { message: { content: [{ toolUse: { toolUseId: "x", name: "f", input: {} } }] } },
        stopReason: "tool_use",
      },
      META,
    );
    expect(out.choices[0]?.message.content).toBeNull();
  });

  test.each([
    ["end_turn", "stop"],
    ["stop_sequence", "stop"],
    ["max_tokens", "length"],
    ["model_context_window_exceeded", "length"],
    ["tool_use", "tool_calls"],
    ["content_filtered", "content_filter"],
    ["guardrail_intervened", "content_filter"],
    ["malformed_model_output", "stop"],
    ["malformed_tool_use", "stop"],
    [undefined, "stop"],
  ])("stopReason %p → finish_reason %p", (stop, finish) => {
    expect(finishReason(stop)).toBe(finish as ReturnType<typeof finishReason>);
  });

  test("usage without cache fields reports zero cached tokens", () => {
    expect(
      toUsage({ inputTokens: 1, outputTokens: 2, totalTokens: 3 }).prompt_tokens_details,
    ).toEqual({
      cached_tokens: 0,
      cache_write_tokens: 0,
    });
  });
});
