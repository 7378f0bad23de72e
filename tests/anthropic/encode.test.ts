/**
 * The Converse path's encoder on recorded Bedrock streams (tests/fixtures/converse-stream):
 * neutral events → Anthropic's stream events and message JSON.
 */
import { describe, expect, test } from "bun:test";
import type { ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import { encodeBatches } from "../../src/converse/events";
import { AnthropicStreamEncoder } from "../../src/surfaces/anthropic/encode";
import type { AnthropicSseEvent } from "../../src/surfaces/anthropic/sse";
import { streamFixture } from "../fakes/fake-runtime";

async function encode(
  name: string,
): Promise<Array<{ event: string; data: Record<string, unknown> }>> {
  const events = streamFixture(name);
  async function* source(): AsyncGenerator<ConverseStreamOutput> {
    for (const e of events) yield e;
  }
  const out: AnthropicSseEvent[] = [];
  const encoder = new AnthropicStreamEncoder({ id: "msg_test", model: "amazon.nova-pro-v1:0" });
  for await (const batch of encodeBatches(source(), encoder)) out.push(...batch);
  return out.map((e) => ({ event: e.event, data: JSON.parse(e.data) }));
}

describe("AnthropicStreamEncoder on recorded streams", () => {
  test("reasoning: thinking with signature_delta, redacted_thinking, text; dense indexes; usage at the end", async () => {
    const events = await encode("reasoning");
    expect(events.map((e) => e.event)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    for (const e of events) expect(e.data.type).toBe(e.event);
    expect(events[1]?.data).toEqual({
      type: "content_block_start",
      index: 0,
      content_block: { type: "thinking", thinking: "" },
    });
    expect(events[4]?.data.delta).toEqual({
      type: "signature_delta",
      signature: "EqoBCkgIARABGAIiQGsig==",
    });
    expect(events[6]?.data).toEqual({
      type: "content_block_start",
      index: 1,
      content_block: { type: "redacted_thinking", data: "RVJyZWRhY3RlZC1ieXRlcw==" },
    });
    expect(events[9]?.data).toEqual({
      type: "content_block_delta",
      index: 2,
      delta: { type: "text_delta", text: "2 + 2 = 4." },
    });
    expect(events[11]?.data).toEqual({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: {
        input_tokens: 30,
        cache_creation_input_tokens: 300,
        cache_read_input_tokens: 1200,
        output_tokens: 80,
      },
    });
  });

  test("tools interleaved with text: tool_use blocks with input_json_delta, stop_reason tool_use", async () => {
    const events = await encode("tools-interleaved");
    const starts = events
      .filter((e) => e.event === "content_block_start")
      .map((e) => [e.data.index, (e.data.content_block as { type: string }).type]);
    expect(starts.map(([i]) => i)).toEqual(starts.map((_, i) => i));
    expect(starts.some(([, t]) => t === "tool_use")).toBe(true);
    expect(
      events.some(
        (e) =>
          e.event === "content_block_delta" &&
          (e.data.delta as { type: string }).type === "input_json_delta",
      ),
    ).toBe(true);
    const stops = events.filter((e) => e.event === "content_block_stop").length;
    expect(stops).toBe(starts.length);
    expect((events.at(-2)?.data.delta as { stop_reason?: string } | undefined)?.stop_reason).toBe(
      "tool_use",
    );
  });

  test("max tokens → stop_reason max_tokens; a truncated stream throws instead of ending", async () => {
    const events = await encode("max-tokens");
    expect((events.at(-2)?.data.delta as { stop_reason?: string } | undefined)?.stop_reason).toBe(
      "max_tokens",
    );
    await expect(encode("truncated")).rejects.toThrow();
  });
});
