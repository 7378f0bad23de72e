/**
 * Bedrock Converse output → OpenAI ChatCompletion. Pure.
 *
 * @module
 */
import type { ContentBlock, TokenUsage } from "@aws-sdk/client-bedrock-runtime";
import { type ConverseExtras, responseExtras } from "./native-controls";
import { thinkingBlockOf } from "./reasoning";
import type {
  AssistantMessage,
  ChatCompletion,
  FinishReason,
  ThinkingBlock,
  ToolCall,
  Usage,
} from "./types";

/** Identity of one completion: the same id and timestamp on every chunk. */
export interface CompletionMeta {
  id: string;
  created: number;
  /** The model that ran, as the client should see it. */
  model: string;
}

/** `chatcmpl-` + 29 random base-62 characters, like OpenAI's. */
export function newCompletionId(): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const bytes = crypto.getRandomValues(new Uint8Array(29));
  let s = "chatcmpl-";
  for (const b of bytes) s += alphabet[b % 62];
  return s;
}

const FINISH: Record<string, FinishReason> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  model_context_window_exceeded: "length",
  tool_use: "tool_calls",
  content_filtered: "content_filter",
  guardrail_intervened: "content_filter",
};

/**
 * Every Bedrock stopReason has an OpenAI finish_reason. `malformed_model_output`
 * and `malformed_tool_use` mean the model stopped on its own with unusable
 * output; `stop` is the closest valid value, never a raw Bedrock string.
 */
export function finishReason(stopReason: string | undefined): FinishReason {
  return (stopReason && FINISH[stopReason]) || "stop";
}

/**
 * Bedrock's inputTokens excludes cache reads and writes; OpenAI's
 * prompt_tokens includes cached tokens, so they are added back.
 */
export function toUsage(u: TokenUsage | undefined, reasoningTokens?: number): Usage {
  const read = u?.cacheReadInputTokens ?? 0;
  const write = u?.cacheWriteInputTokens ?? 0;
  const prompt = (u?.inputTokens ?? 0) + read + write;
  const completion = u?.outputTokens ?? 0;
  const usage: Usage = {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: read, cache_write_tokens: write },
  };
  if (reasoningTokens !== undefined)
    usage.completion_tokens_details = { reasoning_tokens: reasoningTokens };
  return usage;
}

/** Compact JSON, as OpenAI sends tool arguments. */
export function toolArguments(input: unknown): string {
  return JSON.stringify(input ?? {});
}

/** The assistant message from Converse content blocks; every text block is kept, in order. */
export function toAssistantMessage(blocks: ContentBlock[]): AssistantMessage {
  let text = "";
  let reasoning = "";
  const thinking: ThinkingBlock[] = [];
  const calls: ToolCall[] = [];
  for (const b of blocks) {
    if (b.text !== undefined) text += b.text;
    else if (b.reasoningContent) {
      // Redacted reasoning has no text: it only travels as a thinking block.
      reasoning += b.reasoningContent.reasoningText?.text ?? "";
      const block = thinkingBlockOf(b.reasoningContent);
      if (block) thinking.push(block);
    } else if (b.toolUse) {
      calls.push({
        id: b.toolUse.toolUseId ?? "",
        type: "function",
        function: { name: b.toolUse.name ?? "", arguments: toolArguments(b.toolUse.input) },
      });
    }
  }
  const message: AssistantMessage = {
    role: "assistant",
    content: text === "" && calls.length > 0 ? null : text,
    refusal: null,
  };
  if (calls.length > 0) message.tool_calls = calls;
  if (reasoning !== "") message.reasoning_content = reasoning;
  if (thinking.length > 0) message.thinking_blocks = thinking;
  return message;
}

export interface ConverseResult extends ConverseExtras {
  output?: { message?: { content?: ContentBlock[] } } | undefined;
  stopReason?: string | undefined;
  usage?: TokenUsage | undefined;
}

export function toChatCompletion(out: ConverseResult, meta: CompletionMeta): ChatCompletion {
  const message = toAssistantMessage(out.output?.message?.content ?? []);
  const finish = finishReason(out.stopReason);
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [{ index: 0, message, finish_reason: finish, logprobs: null }],
    usage: toUsage(out.usage),
    ...responseExtras(out),
  };
}
