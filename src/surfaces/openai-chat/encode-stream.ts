/**
 * Neutral stream events → OpenAI ChatCompletionChunks, as a synchronous
 * encoder the Converse core's event loop drives (one event in, the chunks it
 * makes appended to the batch).
 *
 * Rules:
 * - the role comes once, on the first chunk;
 * - tool calls get dense indexes 0, 1, 2… in arrival order, whatever text or
 *   reasoning blocks come before them; the first delta of a call carries id,
 *   type and name;
 * - reasoning text streams as `reasoning_content`; each block's complete
 *   thinking block goes out once, when its signature (or its redacted bytes)
 *   arrives;
 * - exactly one chunk carries finish_reason, at the finish event; a usage
 *   chunk with `choices: []` follows only when asked (include_usage).
 *
 * @module
 */
import type { StreamEvent } from "../../conversation";
import type { StreamEncoder } from "../../converse/events";
import { type CompletionMeta, finishReason, responseExtras, toUsage } from "./encode-result";
import type { ChatCompletionChunk, ChunkDelta, FinishReason } from "./wire";

export class ChatChunkEncoder implements StreamEncoder<ChatCompletionChunk> {
  #roleSent = false;
  /** Content block index → dense tool-call index. */
  readonly #toolIndex = new Map<number, number>();
  /** Reasoning text so far per block, for its thinking block. */
  readonly #thinking = new Map<number, string>();

  constructor(
    private readonly meta: CompletionMeta,
    private readonly includeUsage: boolean,
  ) {}

  #chunk(delta: ChunkDelta, finish: FinishReason | null = null): ChatCompletionChunk {
    const c: ChatCompletionChunk = {
      id: this.meta.id,
      object: "chat.completion.chunk",
      created: this.meta.created,
      model: this.meta.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    };
    // OpenAI: with include_usage, every chunk but the last carries usage: null.
    if (this.includeUsage) c.usage = null;
    return c;
  }

  #withRole(delta: ChunkDelta): ChunkDelta {
    if (this.#roleSent) return delta;
    this.#roleSent = true;
    return { role: "assistant", content: "", refusal: null, ...delta };
  }

  push(ev: StreamEvent, out: ChatCompletionChunk[]): void {
    switch (ev.type) {
      case "text-delta":
        out.push(this.#chunk(this.#withRole({ content: ev.text })));
        return;
      case "reasoning-delta":
        this.#thinking.set(ev.index, (this.#thinking.get(ev.index) ?? "") + ev.text);
        out.push(this.#chunk(this.#withRole({ reasoning_content: ev.text })));
        return;
      case "reasoning-signature": {
        const thinking = this.#thinking.get(ev.index) ?? "";
        this.#thinking.delete(ev.index);
        out.push(
          this.#chunk(
            this.#withRole({
              thinking_blocks: [{ type: "thinking", thinking, signature: ev.signature }],
            }),
          ),
        );
        return;
      }
      case "redacted-reasoning":
        out.push(
          this.#chunk(
            this.#withRole({ thinking_blocks: [{ type: "redacted_thinking", data: ev.data }] }),
          ),
        );
        return;
      case "tool-call-start": {
        const index = this.#toolIndex.size;
        this.#toolIndex.set(ev.index, index);
        out.push(
          this.#chunk(
            this.#withRole({
              tool_calls: [
                { index, id: ev.id, type: "function", function: { name: ev.name, arguments: "" } },
              ],
            }),
          ),
        );
        return;
      }
      case "tool-call-delta": {
        const index = this.#toolIndex.get(ev.index);
        if (index === undefined) return;
        out.push(
          this.#chunk(
            this.#withRole({ tool_calls: [{ index, function: { arguments: ev.delta } }] }),
          ),
        );
        return;
      }
      case "message-start":
        if (!this.#roleSent) out.push(this.#chunk(this.#withRole({})));
        return;
      case "finish": {
        // service_tier and Bedrock's trace / response fields ride on the last chunks.
        const extras = responseExtras(ev.provider);
        out.push({ ...this.#chunk(this.#withRole({}), finishReason(ev.reason)), ...extras });
        if (this.includeUsage) {
          out.push({ ...this.#chunk({}), choices: [], usage: toUsage(ev.usage), ...extras });
        }
        return;
      }
      case "block-end":
      case "error":
        // Nothing to say: the next block (or the finish chunk) follows; errors are framed by SSE.
        return;
    }
  }
}
