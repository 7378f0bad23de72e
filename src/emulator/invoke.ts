/**
 * @module
 * InvokeModel / InvokeModelWithResponseStream speak each model family's native body, so they
 * go through a handler registry keyed on the underlying foundation-model id (for an inference
 * profile, the model it routes to; for an application profile ARN, the model it copies).
 *
 * Extension point: embedding families (Titan, Cohere, Nova embeddings) register here, e.g.
 *
 * ```ts
 * registerInvokeHandler((id) => id.startsWith("amazon.titan-embed-text"), {
 *   promptText: (req) => String((req.body as { inputText?: string }).inputText ?? ""),
 *   respond: (req) => ({ body: { embedding: [...], inputTextTokenCount: 3 }, inputTokens: 3, outputTokens: 0 }),
 * });
 * ```
 *
 * A handler without `streamChunks` makes InvokeModelWithResponseStream fail with a
 * ValidationException, as Bedrock does for non-streaming models.
 */

import type { Directives } from "./directives";
import { anthropicHandler } from "./invoke-anthropic";
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

interface Registration {
  match: (foundationModelId: string) => boolean;
  handler: InvokeHandler;
}

const registrations: Registration[] = [];
const builtIns: Registration[] = [
  { match: (id) => id.startsWith("anthropic."), handler: anthropicHandler },
];

/**
 * Registers a handler for a model family. Later registrations win over earlier ones and over
 * the built-ins. Returns a function that removes the registration (handy in tests).
 */
export function registerInvokeHandler(
  match: (foundationModelId: string) => boolean,
  handler: InvokeHandler,
): () => void {
  const registration = { match, handler };
  registrations.unshift(registration);
  return () => {
    const index = registrations.indexOf(registration);
    if (index >= 0) registrations.splice(index, 1);
  };
}

export function findInvokeHandler(foundationModelId: string): InvokeHandler | undefined {
  return [...registrations, ...builtIns].find((r) => r.match(foundationModelId))?.handler;
}
