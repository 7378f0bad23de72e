/**
 * Neutral results and stream events: what a model said, before any surface
 * encodes it (in the spirit of vercel/ai's stream parts).
 *
 * Stream rules the Converse core guarantees:
 * - `message-start` comes first (at most once);
 * - block-scoped events carry the provider's content block `index`; a block
 *   ends with `block-end` (which may also arrive for a block that produced
 *   no visible event; encoders ignore those);
 * - text and reasoning deltas are never empty; `tool-call-delta` only follows
 *   the `tool-call-start` of its block;
 * - exactly one `finish` ends a successful stream, carrying the reason, the
 *   usage and provider details. A stream that fails instead throws a
 *   GatewayError from its iterator (it never ends looking like a success);
 *   `error` is for consumers that record a stream as a list of events.
 *
 * @module
 */
import type { GatewayError } from "../errors";
import type { AssistantPart } from "./parts";

/**
 * Why the model stopped, in neutral words (Bedrock's stopReason, one to one):
 * surfaces map them to `finish_reason`, `stop_reason` or a response status.
 */
export type FinishReason =
  | "end-turn"
  | "stop-sequence"
  | "max-tokens"
  | "context-window-exceeded"
  | "tool-use"
  | "content-filtered"
  | "guardrail-intervened"
  | "malformed-output"
  | "malformed-tool-use"
  | "other";

/**
 * Token counts. `inputTokens` excludes cached tokens (Bedrock's and
 * Anthropic's convention); OpenAI-style surfaces add them back.
 */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens: number;
  cacheWriteInputTokens: number;
}

/** Bedrock-only details of a response, present only when Bedrock sent them. */
export interface ProviderDetails {
  /** Converse `trace` (guardrail trace). */
  trace?: unknown;
  /** The Bedrock service tier that served the request (`default`, `priority`, …). */
  serviceTier?: string;
  /** Converse `additionalModelResponseFields`. */
  additionalModelResponseFields?: unknown;
}

export interface Finish {
  reason: FinishReason;
  /** The provider's own stop reason, as sent. */
  rawReason?: string;
  /** The stop sequence that ended the answer, when the provider said which. */
  stopSequence?: string;
  usage: Usage;
  provider: ProviderDetails;
}

export type StreamEvent =
  | { type: "message-start" }
  | { type: "text-delta"; index: number; text: string }
  | { type: "reasoning-delta"; index: number; text: string }
  /** The reasoning block is complete and signed (Claude). */
  | { type: "reasoning-signature"; index: number; signature: string }
  /** A whole redacted reasoning block, base64. */
  | { type: "redacted-reasoning"; index: number; data: string }
  | { type: "tool-call-start"; index: number; id: string; name: string }
  /** A fragment of the call's JSON arguments. */
  | { type: "tool-call-delta"; index: number; delta: string }
  | { type: "block-end"; index: number }
  | ({ type: "finish" } & Finish)
  | { type: "error"; error: GatewayError };

/** A complete (non-streamed) answer. */
export interface ConversationResult extends Finish {
  /** The assistant's content in order: text, reasoning, tool calls. */
  content: AssistantPart[];
}

/** Something that takes stream events one at a time (encoders, adapters). */
export interface EventSink {
  push(event: StreamEvent): void;
}
