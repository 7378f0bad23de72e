/**
 * The InvokeModel handler contract, in a leaf module so handlers
 * (invoke-anthropic.ts, invoke-embeddings.ts) and the registry (invoke.ts)
 * do not import each other.
 *
 * @module
 */
import type { Directives } from "./directives";
import type { ConverseReply } from "./types";

export interface InvokeRequest {
  /** Model id as called (decoded path label: id, profile id or ARN). */
  modelId: string;
  /** The foundation model the call resolves to (what handlers match on). */
  foundationModelId: string;
  /** Parsed JSON body, or undefined if the body is not JSON. */
  body: unknown;
  rawBody: Uint8Array;
  directives: Directives;
  /** A scripted reply in Converse form; chat handlers render it in their own dialect. */
  scriptedReply?: ConverseReply;
  /** The emulator's prompt cache (prefixes already written), for cache usage. */
  promptCache?: Set<string>;
}

export interface InvokeResult {
  /** Model-native JSON response body. */
  body: unknown;
  inputTokens: number;
  outputTokens: number;
}

export interface InvokeHandler {
  /** Text whose `[emu …]` directives apply, usually the last user text. May throw a BedrockError. */
  promptText(req: Omit<InvokeRequest, "directives" | "scriptedReply">): string;
  /** Non-streaming response. Throw a BedrockError (ValidationException) for malformed bodies. */
  respond(req: InvokeRequest): InvokeResult;
  /** Streaming: one model-native JSON object per `chunk` event. Omit for non-streaming families. */
  streamChunks?(req: InvokeRequest, chunkSize: number): unknown[];
}
