/**
 * The OpenAI response shapes we produce (a subset of openai-node's types,
 * written out so the runtime does not depend on the SDK).
 *
 * @module
 */

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

export interface ToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; cache_write_tokens?: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

/**
 * A thinking block to send back in later turns (LiteLLM's `thinking_blocks`
 * convention): Claude needs the signature, or the encrypted redacted bytes, to
 * continue a conversation with thinking and tools.
 */
export type ThinkingBlock =
  | { type: "thinking"; thinking: string; signature: string }
  /** `data` is the redacted reasoning, base64. */
  | { type: "redacted_thinking"; data: string };

/** Bedrock-only response details, present only when there are some. */
export interface BedrockResponseDetails {
  /** Converse `trace` (the guardrail trace when guardrailConfig.trace asked for it). */
  trace?: unknown;
  /** Converse `additionalModelResponseFields` (from additionalModelResponseFieldPaths). */
  additionalModelResponseFields?: unknown;
}

export interface AssistantMessage {
  role: "assistant";
  content: string | null;
  refusal: null;
  tool_calls?: ToolCall[];
  /** Reasoning text (DeepSeek's and vLLM's field name, which most clients read). */
  reasoning_content?: string;
  /** Signed / redacted thinking, to be sent back on this assistant message. */
  thinking_blocks?: ThinkingBlock[];
}

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: AssistantMessage;
    finish_reason: FinishReason;
    logprobs: null;
  }>;
  usage: Usage;
  /** The Bedrock service tier that served the request, in OpenAI's words. */
  service_tier?: string;
  bedrock?: BedrockResponseDetails;
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: "function";
  function: { name?: string; arguments: string };
}

export interface ChunkDelta {
  role?: "assistant";
  content?: string;
  refusal?: null;
  reasoning_content?: string;
  /** One complete thinking block, sent when Bedrock closes it (signature or redacted). */
  thinking_blocks?: ThinkingBlock[];
  tool_calls?: ToolCallDelta[];
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: ChunkDelta;
    finish_reason: FinishReason | null;
    logprobs: null;
  }>;
  usage?: Usage | null;
  service_tier?: string;
  bedrock?: BedrockResponseDetails;
}
