/**
 * Neutral results → OpenAI ChatCompletion, and the mappings the streamed
 * chunks share (finish reason, usage, Bedrock extras). Pure.
 *
 * @module
 */
import type {
  AssistantPart,
  ConversationResult,
  FinishReason as NeutralFinishReason,
  Usage as NeutralUsage,
  ProviderDetails,
} from "../../conversation";
import type {
  AssistantMessage,
  BedrockResponseDetails,
  ChatCompletion,
  FinishReason,
  ThinkingBlock,
  ToolCall,
  Usage,
} from "./wire";

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

const FINISH: Partial<Record<NeutralFinishReason, FinishReason>> = {
  "end-turn": "stop",
  "stop-sequence": "stop",
  "max-tokens": "length",
  "context-window-exceeded": "length",
  "tool-use": "tool_calls",
  "content-filtered": "content_filter",
  "guardrail-intervened": "content_filter",
};

/**
 * Every stop has an OpenAI finish_reason. Malformed output or tool use means
 * the model stopped on its own with unusable output; `stop` is the closest
 * valid value, never a raw Bedrock string.
 */
export function finishReason(reason: NeutralFinishReason): FinishReason {
  return FINISH[reason] ?? "stop";
}

/** OpenAI's prompt_tokens includes cached tokens (Bedrock's inputTokens does not). */
export function toUsage(u: NeutralUsage, reasoningTokens?: number): Usage {
  const read = u.cacheReadInputTokens;
  const write = u.cacheWriteInputTokens;
  const prompt = u.inputTokens + read + write;
  const completion = u.outputTokens;
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

/** Bedrock tier → the `service_tier` the client sees. */
const SERVICE_TIER_OUT: Record<string, string> = {
  default: "default",
  flex: "flex",
  priority: "priority",
  reserved: "scale",
};

/** `service_tier` and `bedrock` for a completion or its final chunk; empty when Bedrock said nothing. */
export function responseExtras(p: ProviderDetails): {
  service_tier?: string;
  bedrock?: BedrockResponseDetails;
} {
  const extras: { service_tier?: string; bedrock?: BedrockResponseDetails } = {};
  if (p.serviceTier) extras.service_tier = SERVICE_TIER_OUT[p.serviceTier] ?? p.serviceTier;
  const bedrock: BedrockResponseDetails = {};
  if (p.trace !== undefined) bedrock.trace = p.trace;
  if (p.additionalModelResponseFields !== undefined)
    bedrock.additionalModelResponseFields = p.additionalModelResponseFields;
  if (Object.keys(bedrock).length > 0) extras.bedrock = bedrock;
  return extras;
}

/** Compact JSON, as OpenAI sends tool arguments. */
export function toolArguments(input: unknown): string {
  return JSON.stringify(input ?? {});
}

/** The assistant message from the result's parts; every text part is kept, in order. */
export function toAssistantMessage(parts: readonly AssistantPart[]): AssistantMessage {
  let text = "";
  let reasoning = "";
  const thinking: ThinkingBlock[] = [];
  const calls: ToolCall[] = [];
  for (const p of parts) {
    if (p.type === "text") text += p.text;
    else if (p.type === "reasoning") {
      reasoning += p.text;
      // Only signed thinking can be sent back.
      if (p.signature)
        thinking.push({ type: "thinking", thinking: p.text, signature: p.signature });
    } else if (p.type === "redacted-reasoning") {
      // Redacted reasoning has no text: it only travels as a thinking block.
      thinking.push({ type: "redacted_thinking", data: p.data });
    } else if (p.type === "tool-call") {
      calls.push({
        id: p.id,
        type: "function",
        function: { name: p.name, arguments: toolArguments(p.input) },
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

export function toChatCompletion(result: ConversationResult, meta: CompletionMeta): ChatCompletion {
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    choices: [
      {
        index: 0,
        message: toAssistantMessage(result.content),
        finish_reason: finishReason(result.reason),
        logprobs: null,
      },
    ],
    usage: toUsage(result.usage),
    ...responseExtras(result.provider),
  };
}
