/**
 * @module
 * Reasoning, prompt caching and request-metadata rules of Converse, as Bedrock
 * enforces them (messages quote Anthropic's / Bedrock's texts where public
 * captures exist), plus what the reply needs from them: whether thinking was
 * asked for, and cache usage for requests with cache points.
 */

import { isRecord, type Json } from "../json";
import { collectStrings, countTextTokens } from "./tokens";

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

export const FEATURE_MESSAGES = {
  budgetTooSmall:
    "The model returned the following errors: thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
  budgetNotBelowMax:
    "The model returned the following errors: `max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size",
  temperatureWithThinking:
    "The model returned the following errors: `temperature` may only be set to 1 when thinking is enabled or in adaptive mode. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility",
  topKWithThinking:
    "The model returned the following errors: `top_k` must be unset when thinking is enabled or in adaptive mode. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility",
  forcedToolWithThinking:
    "The model returned the following errors: Thinking may not be enabled when tool_choice forces tool use.",
  thinkingFirst: (i: number, found: string) =>
    `The model returned the following errors: messages.${i}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${found}\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking`,
  tooManyCachePoints: (n: number) =>
    `The model returned the following errors: A maximum of 4 blocks with cache_control may be provided. Found ${n}.`,
  metadataTooMany:
    "1 validation error detected: Value at 'requestMetadata' failed to satisfy constraint: Member must have length less than or equal to 16",
  metadataBad:
    "1 validation error detected: Value at 'requestMetadata' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z0-9\\s:_@$#=/+,-.]{1,256}]",
} as const;

/** Claude's `thinking` from additionalModelRequestFields, when it is on. */
function claudeThinking(body: Json): Json | undefined {
  const fields = isRecord(body.additionalModelRequestFields)
    ? body.additionalModelRequestFields
    : {};
  const t = fields.thinking;
  return isRecord(t) && (t.type === "enabled" || t.type === "adaptive") ? t : undefined;
}

/** Whether the request turned any kind of reasoning on (Claude, Nova 2, gpt-oss). */
export function reasoningRequested(body: Json): boolean {
  const fields = isRecord(body.additionalModelRequestFields)
    ? body.additionalModelRequestFields
    : {};
  const nova = fields.reasoningConfig;
  return (
    claudeThinking(body) !== undefined ||
    (isRecord(nova) && nova.type === "enabled") ||
    typeof fields.reasoning_effort === "string"
  );
}

function firstBlockType(block: Json | undefined): string {
  if (!block) return "none";
  if (block.reasoningContent !== undefined) return "thinking";
  if (block.toolUse !== undefined) return "tool_use";
  return "text";
}

function checkThinking(body: Json): string | undefined {
  const thinking = claudeThinking(body);
  if (!thinking) return undefined;
  const inference = isRecord(body.inferenceConfig) ? body.inferenceConfig : {};
  const fields = body.additionalModelRequestFields as Json;
  if (thinking.type === "enabled") {
    const budget = thinking.budget_tokens;
    if (typeof budget !== "number" || budget < 1024) return FEATURE_MESSAGES.budgetTooSmall;
    // Interleaved thinking: the budget spans the whole turn and may exceed max_tokens.
    const interleaved =
      Array.isArray(fields.anthropic_beta) &&
      fields.anthropic_beta.includes("interleaved-thinking-2025-05-14");
    if (typeof inference.maxTokens === "number" && inference.maxTokens <= budget && !interleaved)
      return FEATURE_MESSAGES.budgetNotBelowMax;
  }
  if (typeof inference.temperature === "number" && inference.temperature !== 1)
    return FEATURE_MESSAGES.temperatureWithThinking;
  if (fields.top_k !== undefined) return FEATURE_MESSAGES.topKWithThinking;
  const choice = isRecord(body.toolConfig) ? body.toolConfig.toolChoice : undefined;
  if (isRecord(choice) && ("any" in choice || "tool" in choice))
    return FEATURE_MESSAGES.forcedToolWithThinking;
  // The last assistant turn of an unfinished tool loop must lead with its thinking.
  const messages = records(body.messages);
  const last = messages[messages.length - 1];
  const lastUserHasResults = records(last?.content).some((b) => isRecord(b.toolResult));
  const i = messages.length - 2;
  const assistant = messages[i];
  if (lastUserHasResults && assistant?.role === "assistant") {
    const found = firstBlockType(records(assistant.content)[0]);
    if (found !== "thinking") return FEATURE_MESSAGES.thinkingFirst(i, found);
  }
  return undefined;
}

function cachePointCount(body: Json): number {
  const lists: Json[][] = [records(body.system)];
  if (isRecord(body.toolConfig)) lists.push(records(body.toolConfig.tools));
  for (const m of records(body.messages)) lists.push(records(m.content));
  return lists.reduce((n, l) => n + l.filter((b) => isRecord(b.cachePoint)).length, 0);
}

const METADATA_PATTERN = /^[a-zA-Z0-9\s:_@$#=/+,\-.]{1,256}$/;

function checkMetadata(body: Json): string | undefined {
  if (!isRecord(body.requestMetadata)) return undefined;
  const entries = Object.entries(body.requestMetadata);
  if (entries.length > 16) return FEATURE_MESSAGES.metadataTooMany;
  for (const [k, v] of entries) {
    if (!METADATA_PATTERN.test(k)) return FEATURE_MESSAGES.metadataBad;
    if (typeof v !== "string" || (v !== "" && !METADATA_PATTERN.test(v)))
      return FEATURE_MESSAGES.metadataBad;
  }
  return undefined;
}

/** Reasoning, cache-point and metadata rules; Bedrock's message, or undefined when accepted. */
export function validateFeatures(body: Json): string | undefined {
  const points = cachePointCount(body);
  if (points > 4) return FEATURE_MESSAGES.tooManyCachePoints(points);
  return checkThinking(body) ?? checkMetadata(body);
}

/**
 * Cache usage for a request with cache points: the tokens before the last
 * cache point are written the first time that prefix is seen and read after
 * that. Undefined when the request has no cache point.
 */
export function cacheUsage(
  body: Json,
  modelId: string,
  seen: Set<string>,
): { cached: number; read: number; write: number } | undefined {
  const prefix: unknown[] = [];
  let cachedPrefix: unknown[] | undefined;
  const walk = (blocks: Json[]) => {
    for (const b of blocks) {
      if (isRecord(b.cachePoint)) cachedPrefix = [...prefix];
      else prefix.push(b);
    }
  };
  if (isRecord(body.toolConfig)) walk(records(body.toolConfig.tools));
  walk(records(body.system));
  for (const m of records(body.messages)) walk(records(m.content));
  if (!cachedPrefix) return undefined;
  const text = collectStrings(cachedPrefix).join("");
  const cached = Math.max(1, countTextTokens(text));
  const key = `${modelId}|${text}`;
  const hit = seen.has(key);
  seen.add(key);
  return { cached, read: hit ? cached : 0, write: hit ? 0 : cached };
}
