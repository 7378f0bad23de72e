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

import { anthropicHandler } from "./invoke-anthropic";
import type { InvokeHandler } from "./invoke-types";

export type { InvokeHandler, InvokeRequest, InvokeResult } from "./invoke-types";

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
