/**
 * Neutral results and stream events (from the Converse core) → Anthropic's
 * message JSON and Anthropic's stream events, for models that are not Claude.
 *
 * Stream rules: content blocks get dense indexes 0, 1, 2… in arrival order;
 * a block opens with `content_block_start` at its first event and closes with
 * `content_block_stop`; a reasoning block's signature goes out as
 * `signature_delta`; usage is only known at the end (Converse reports it last),
 * so `message_start` carries zeros and `message_delta` the real counts.
 *
 * @module
 */
import type { ConversationResult, FinishReason, StreamEvent, Usage } from "../../conversation";
import type { StreamEncoder } from "../../converse/events";
import type { AnthropicSseEvent } from "./sse";

type Json = Record<string, unknown>;

/** Anthropic's stop_reason for a neutral finish reason. */
export function stopReason(reason: FinishReason): string {
  switch (reason) {
    case "stop-sequence":
      return "stop_sequence";
    case "max-tokens":
      return "max_tokens";
    case "context-window-exceeded":
      return "model_context_window_exceeded";
    case "tool-use":
      return "tool_use";
    case "content-filtered":
    case "guardrail-intervened":
      return "refusal";
    default:
      return "end_turn";
  }
}

export function anthropicUsage(u: Usage): Json {
  return {
    input_tokens: u.inputTokens,
    cache_creation_input_tokens: u.cacheWriteInputTokens,
    cache_read_input_tokens: u.cacheReadInputTokens,
    output_tokens: u.outputTokens,
  };
}

export function newMessageId(): string {
  return `msg_bdrk_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`;
}

export interface MessageMeta {
  id: string;
  /** The model name the client sent. */
  model: string;
}

/** A complete answer as Anthropic's message object. */
export function toAnthropicMessage(result: ConversationResult, meta: MessageMeta): Json {
  const content: Json[] = [];
  for (const part of result.content) {
    switch (part.type) {
      case "text":
        content.push({ type: "text", text: part.text });
        break;
      case "reasoning":
        content.push({ type: "thinking", thinking: part.text, signature: part.signature ?? "" });
        break;
      case "redacted-reasoning":
        content.push({ type: "redacted_thinking", data: part.data });
        break;
      case "tool-call":
        content.push({ type: "tool_use", id: part.id, name: part.name, input: part.input });
        break;
    }
  }
  return {
    id: meta.id,
    type: "message",
    role: "assistant",
    model: meta.model,
    content,
    stop_reason: stopReason(result.reason),
    stop_sequence: result.stopSequence ?? null,
    usage: anthropicUsage(result.usage),
  };
}

function ev(event: string, data: Json): AnthropicSseEvent {
  return { event, data: JSON.stringify({ type: event, ...data }) };
}

export class AnthropicStreamEncoder implements StreamEncoder<AnthropicSseEvent> {
  #started = false;
  /** Provider block index → dense Anthropic index, for blocks that opened. */
  readonly #open = new Map<number, number>();
  #next = 0;

  constructor(private readonly meta: MessageMeta) {}

  #start(out: AnthropicSseEvent[]): void {
    if (this.#started) return;
    this.#started = true;
    out.push(
      ev("message_start", {
        message: {
          id: this.meta.id,
          type: "message",
          role: "assistant",
          model: this.meta.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      }),
    );
  }

  /** The dense index of a provider block, opening it with `block` if it is new. */
  #block(index: number, block: Json, out: AnthropicSseEvent[]): number {
    const open = this.#open.get(index);
    if (open !== undefined) return open;
    const dense = this.#next++;
    this.#open.set(index, dense);
    out.push(ev("content_block_start", { index: dense, content_block: block }));
    return dense;
  }

  #stop(index: number, out: AnthropicSseEvent[]): void {
    const dense = this.#open.get(index);
    if (dense === undefined) return;
    this.#open.delete(index);
    out.push(ev("content_block_stop", { index: dense }));
  }

  push(e: StreamEvent, out: AnthropicSseEvent[]): void {
    if (e.type !== "error") this.#start(out);
    switch (e.type) {
      case "text-delta": {
        const index = this.#block(e.index, { type: "text", text: "" }, out);
        out.push(ev("content_block_delta", { index, delta: { type: "text_delta", text: e.text } }));
        return;
      }
      case "reasoning-delta": {
        const index = this.#block(e.index, { type: "thinking", thinking: "" }, out);
        out.push(
          ev("content_block_delta", { index, delta: { type: "thinking_delta", thinking: e.text } }),
        );
        return;
      }
      case "reasoning-signature": {
        const index = this.#block(e.index, { type: "thinking", thinking: "" }, out);
        out.push(
          ev("content_block_delta", {
            index,
            delta: { type: "signature_delta", signature: e.signature },
          }),
        );
        return;
      }
      case "redacted-reasoning":
        this.#block(e.index, { type: "redacted_thinking", data: e.data }, out);
        return;
      case "tool-call-start":
        this.#block(e.index, { type: "tool_use", id: e.id, name: e.name, input: {} }, out);
        return;
      case "tool-call-delta": {
        const index = this.#open.get(e.index);
        if (index === undefined) return;
        out.push(
          ev("content_block_delta", {
            index,
            delta: { type: "input_json_delta", partial_json: e.delta },
          }),
        );
        return;
      }
      case "block-end":
        this.#stop(e.index, out);
        return;
      case "finish":
        for (const index of [...this.#open.keys()]) this.#stop(index, out);
        out.push(
          ev("message_delta", {
            delta: { stop_reason: stopReason(e.reason), stop_sequence: e.stopSequence ?? null },
            usage: anthropicUsage(e.usage),
          }),
        );
        out.push(ev("message_stop", {}));
        return;
      case "message-start":
      case "error":
        // message_start went out above; errors are framed by the SSE layer.
        return;
    }
  }
}
