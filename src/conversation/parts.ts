/**
 * Content parts of the conversation model: what a system prompt, a user turn,
 * an assistant turn (in the history or in a result) can hold. Owned by the
 * gateway, free of any wire format: every surface decodes its request into
 * these and encodes results from them (the shape follows vercel/ai's prompt
 * parts).
 *
 * `param` fields name where a part came from in the client's request
 * (`messages[2].content[0]`, `input[3]`), so a rule that rejects it later can
 * say where; they carry no meaning otherwise.
 *
 * @module
 */

/** A JSON object (tool inputs, schemas, native controls). */
export type JsonObject = Record<string, unknown>;

/** Plain text. Blank text is allowed here; the Converse passes drop what Bedrock rejects. */
export interface TextPart {
  type: "text";
  text: string;
}

/**
 * A prompt-cache breakpoint: everything before it (tools, system, messages, in
 * that order) may be cached. Anthropic's `cache_control`, OpenAI's
 * `prompt_cache_breakpoint`. It marks the position where it sits.
 */
export interface CachePointPart {
  type: "cache-point";
  /** Cache lifetime; Bedrock's default (5 minutes) when absent. */
  ttl?: "5m" | "1h";
}

/** Where image or file bytes come from. */
export type MediaSource =
  /** A `data:` URL, or an http(s) URL not fetched yet (see converse/media.ts). */
  | { type: "url"; url: string }
  /** Raw base64 with its declared media type (Anthropic's `source: {type:"base64"}`). */
  | { type: "base64"; data: string; mediaType?: string }
  /** Bytes already decoded. */
  | { type: "bytes"; data: Uint8Array; mediaType?: string };

export interface ImagePart {
  type: "image";
  source: MediaSource;
  param: string;
}

/**
 * A file (document or image) sent inline. The Converse passes decide from the
 * name, the media type and the bytes whether it is a document or an image.
 */
export interface FilePart {
  type: "file";
  /** A data: URL or raw base64. */
  data?: string;
  filename?: string;
  /** A files-API id; nothing on this gateway resolves it (rejected). */
  fileId?: string;
  /** Plain text content (Anthropic's `source: {type:"text"}`). */
  text?: string;
  /** The part in the request (`messages[0].content[1]`). */
  param: string;
  /** Where its fields sit (`messages[0].content[1].file`); errors name `.file_data`, `.file_id`. */
  fieldParam: string;
}

/** A call of a tool by the assistant (in the history, or in a result). */
export interface ToolCallPart {
  type: "tool-call";
  /** The client-visible call id. */
  id: string;
  name: string;
  /**
   * The arguments: a JSON object for function tools; the raw text for
   * free-form (custom) tools.
   */
  input: JsonObject | string;
  /** Where the call came from (`messages[1].tool_calls[0].function`). */
  param?: string;
}

/** The answer to a tool call, sent back in a user turn. */
export interface ToolResultPart {
  type: "tool-result";
  toolCallId: string;
  content: Array<TextPart | ImagePart>;
  /** The client marked the call as failed. */
  isError?: boolean;
  param: string;
}

/**
 * Model reasoning. To be sent back to Claude it needs its `signature`;
 * unsigned reasoning (text only) can be shown but not replayed.
 */
export interface ReasoningPart {
  type: "reasoning";
  text: string;
  signature?: string;
}

/** Reasoning the provider encrypted (Claude's redacted thinking), base64. */
export interface RedactedReasoningPart {
  type: "redacted-reasoning";
  data: string;
}

export type SystemPart = TextPart | CachePointPart;

export type UserPart = TextPart | ImagePart | FilePart | ToolResultPart | CachePointPart;

export type AssistantPart =
  | TextPart
  | ReasoningPart
  | RedactedReasoningPart
  | ToolCallPart
  | CachePointPart;

export type UserTurn = { role: "user"; content: UserPart[] };
export type AssistantTurn = { role: "assistant"; content: AssistantPart[] };

/**
 * One message of the history. Consecutive turns of one role are allowed (the
 * Converse passes merge them); tool results travel in user turns.
 */
export type Turn = UserTurn | AssistantTurn;
