/**
 * OpenAI's own model names, as clients written for OpenAI send them by
 * default (`gpt-4o`, `o3-mini`, `chatgpt-4o-latest`, `text-embedding-3-small`).
 * Like the reference gateway, a name of that kind which is neither a
 * MODEL_ALIASES name nor a catalog id means the configured default model, so
 * the reference's documented examples (`"model": "gpt-3.5-turbo"`) work as
 * written. `OPENAI_MODEL_NAMES=reject` turns this off: such names are 404s.
 *
 * @module
 */

export type OpenAIModelNames = "default" | "reject";

/** gpt-*, chatgpt-*, and the o-series (o1, o3-mini, o4-mini…). */
const CHAT = /^(gpt-|chatgpt-|o\d+(-|$))/i;
const EMBEDDING = /^text-embedding-/i;

/** True when `name` is one of OpenAI's model names for that kind of request. */
export function isOpenAIModelName(name: string, kind: "chat" | "embedding"): boolean {
  return (kind === "chat" ? CHAT : EMBEDDING).test(name);
}

/** The `x-gateway-warnings` text for a mapped name. */
export function mappedWarning(from: string, to: string): string {
  return `model '${from.slice(0, 100)}' is an OpenAI model name; served by the default model '${to}' (set MODEL_ALIASES to choose, OPENAI_MODEL_NAMES=reject to refuse)`;
}
