/**
 * Bedrock Converse output → the neutral result: content parts, finish reason,
 * usage and Bedrock's extra details. Pure; shared with the stream mapper.
 *
 * @module
 */
import type { ContentBlock, TokenUsage } from "@aws-sdk/client-bedrock-runtime";
import type {
  AssistantPart,
  ConversationResult,
  FinishReason,
  JsonObject,
  ProviderDetails,
  Usage,
} from "../conversation";

const FINISH: Record<string, FinishReason> = {
  end_turn: "end-turn",
  stop_sequence: "stop-sequence",
  max_tokens: "max-tokens",
  model_context_window_exceeded: "context-window-exceeded",
  tool_use: "tool-use",
  content_filtered: "content-filtered",
  guardrail_intervened: "guardrail-intervened",
  malformed_model_output: "malformed-output",
  malformed_tool_use: "malformed-tool-use",
};

/** Bedrock's stopReason in neutral words; an unknown one is `other` (raw kept). */
export function finishReasonOf(stopReason: string | undefined): {
  reason: FinishReason;
  rawReason?: string;
} {
  const reason = (stopReason && FINISH[stopReason]) || "other";
  return stopReason === undefined ? { reason } : { reason, rawReason: stopReason };
}

/** Bedrock's token usage, zeros where it said nothing. */
export function usageOf(u: TokenUsage | undefined): Usage {
  return {
    inputTokens: u?.inputTokens ?? 0,
    outputTokens: u?.outputTokens ?? 0,
    totalTokens: u?.totalTokens ?? 0,
    cacheReadInputTokens: u?.cacheReadInputTokens ?? 0,
    cacheWriteInputTokens: u?.cacheWriteInputTokens ?? 0,
  };
}

/** What the response says about Converse's trace, tier and extra fields. */
export interface ConverseExtras {
  trace?: unknown;
  serviceTier?: { type?: string | undefined } | undefined;
  additionalModelResponseFields?: unknown;
}

/** Trace, service tier and response fields, only those Bedrock sent. */
export function providerDetailsOf(out: ConverseExtras): ProviderDetails {
  const details: ProviderDetails = {};
  if (out.trace != null) details.trace = out.trace;
  const tier = out.serviceTier?.type;
  if (tier) details.serviceTier = tier;
  if (out.additionalModelResponseFields != null)
    details.additionalModelResponseFields = out.additionalModelResponseFields;
  return details;
}

function base64(bytes: Uint8Array | string): string {
  return typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("base64");
}

/** Converse content blocks as assistant parts, in order. */
export function partsOf(blocks: readonly ContentBlock[]): AssistantPart[] {
  const parts: AssistantPart[] = [];
  for (const b of blocks) {
    if (b.text !== undefined) parts.push({ type: "text", text: b.text });
    else if (b.reasoningContent) {
      const r = b.reasoningContent;
      if (r.redactedContent !== undefined) {
        parts.push({ type: "redacted-reasoning", data: base64(r.redactedContent) });
      } else {
        const text = r.reasoningText;
        parts.push(
          text?.signature
            ? { type: "reasoning", text: text.text ?? "", signature: text.signature }
            : { type: "reasoning", text: text?.text ?? "" },
        );
      }
    } else if (b.toolUse) {
      parts.push({
        type: "tool-call",
        id: b.toolUse.toolUseId ?? "",
        name: b.toolUse.name ?? "",
        input: (b.toolUse.input ?? {}) as JsonObject,
      });
    }
  }
  return parts;
}

export interface ConverseResult extends ConverseExtras {
  output?: { message?: { content?: ContentBlock[] } } | undefined;
  stopReason?: string | undefined;
  usage?: TokenUsage | undefined;
}

/** A Converse answer as the neutral result. */
export function resultOf(out: ConverseResult): ConversationResult {
  return {
    content: partsOf(out.output?.message?.content ?? []),
    ...finishReasonOf(out.stopReason),
    usage: usageOf(out.usage),
    provider: providerDetailsOf(out),
  };
}
