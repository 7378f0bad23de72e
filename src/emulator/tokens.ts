/**
 * @module
 * Deterministic token counts: ceil(characters / 4) of the text a request carries. Converse,
 * InvokeModel and CountTokens all count through here so their numbers agree.
 */

/** Collects every string value under `value` (object keys excluded). */
export function collectStrings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) collectStrings(v, out);
  else if (value !== null && typeof value === "object")
    for (const v of Object.values(value)) collectStrings(v, out);
  return out;
}

export function countTextTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Tokens of a Converse-shaped input: messages, system and toolConfig. */
export function countConverseInputTokens(input: {
  messages?: unknown;
  system?: unknown;
  toolConfig?: unknown;
}): number {
  const text = collectStrings([input.messages, input.system, input.toolConfig]).join("");
  return Math.max(1, countTextTokens(text));
}

/** Tokens of a model-native chat body (Anthropic Messages and similar): system, messages, tools. */
export function countInvokeInputTokens(body: Record<string, unknown>): number {
  return Math.max(
    1,
    countTextTokens(collectStrings([body.system, body.messages, body.tools]).join("")),
  );
}
