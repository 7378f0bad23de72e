/**
 * @module
 * What Bedrock rejects in a native Anthropic Messages body (InvokeModel /
 * InvokeModelWithResponseStream with `anthropic_version: "bedrock-2023-05-31"`),
 * with Bedrock's wording. This is the emulator's model of Bedrock, kept apart from
 * the gateway's allow-list on purpose: tests pin that the gateway never sends what
 * this module refuses.
 *
 * - keys Bedrock's schema does not know (`model`, `stream`, …): "Extra inputs are not permitted";
 * - `metadata` keys other than `user_id`;
 * - betas outside {@link BEDROCK_ANTHROPIC_BETAS}: "invalid beta flag" (the whole request fails);
 * - `context_management` without `context-management-2025-06-27`, a tool's
 *   `defer_loading` without `tool-search-tool-2025-10-19`;
 * - assistant `thinking` blocks without a signature;
 * - `max_tokens` not above `thinking.budget_tokens` (unless interleaved thinking is on).
 */
import { FEATURE_MESSAGES } from "./features";

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/**
 * The `anthropic_beta` values Bedrock accepts for Claude (Bedrock's Claude Messages
 * request page and the betas peers verified against Bedrock). Anything else fails the
 * whole request with "invalid beta flag" — notably Anthropic-API-only betas Claude
 * Code sends (`claude-code-20250219`, `advanced-tool-use-2025-11-20`,
 * `prompt-caching-scope-2026-01-05`, `thinking-token-count-2026-05-13`, …).
 */
export const BEDROCK_ANTHROPIC_BETAS: readonly string[] = [
  "computer-use-2024-10-22",
  "computer-use-2025-01-24",
  "computer-use-2025-11-24",
  "token-efficient-tools-2025-02-19",
  "fine-grained-tool-streaming-2025-05-14",
  "interleaved-thinking-2025-05-14",
  "dev-full-thinking-2025-05-14",
  "output-128k-2025-02-19",
  "context-1m-2025-08-07",
  "context-management-2025-06-27",
  "effort-2025-11-24",
  "tool-search-tool-2025-10-19",
  "tool-examples-2025-10-29",
];

/** Top-level keys of Bedrock's Claude Messages schema. */
const KNOWN_KEYS = new Set([
  "anthropic_version",
  "anthropic_beta",
  "max_tokens",
  "messages",
  "system",
  "temperature",
  "top_p",
  "top_k",
  "stop_sequences",
  "tools",
  "tool_choice",
  "thinking",
  "metadata",
  "context_management",
  "output_config",
  "output_format",
]);

const PREFIX = "The model returned the following errors: ";

export const ANTHROPIC_RULE_MESSAGES = {
  extraInput: (path: string) => `${PREFIX}${path}: Extra inputs are not permitted`,
  invalidBeta: "invalid beta flag",
  unsignedThinking: (i: number, j: number) =>
    `${PREFIX}messages.${i}.content.${j}.thinking.signature: Field required`,
  budgetNotBelowMax: FEATURE_MESSAGES.budgetNotBelowMax,
} as const;

function betasOf(body: Json): string[] {
  return Array.isArray(body.anthropic_beta)
    ? body.anthropic_beta.filter((b): b is string => typeof b === "string")
    : [];
}

/** Bedrock's message for the first rule the body breaks, or undefined when accepted. */
export function checkAnthropicBody(body: Json): string | undefined {
  for (const key of Object.keys(body)) {
    if (!KNOWN_KEYS.has(key)) return ANTHROPIC_RULE_MESSAGES.extraInput(key);
  }
  if (isRecord(body.metadata)) {
    for (const key of Object.keys(body.metadata)) {
      if (key !== "user_id") return ANTHROPIC_RULE_MESSAGES.extraInput(`metadata.${key}`);
    }
  }
  const betas = betasOf(body);
  if (betas.some((b) => !BEDROCK_ANTHROPIC_BETAS.includes(b)))
    return ANTHROPIC_RULE_MESSAGES.invalidBeta;
  if (body.context_management !== undefined && !betas.includes("context-management-2025-06-27"))
    return ANTHROPIC_RULE_MESSAGES.extraInput("context_management");
  const toolSearch = betas.includes("tool-search-tool-2025-10-19");
  for (const [i, tool] of records(body.tools).entries()) {
    if (tool.defer_loading !== undefined && !toolSearch)
      return ANTHROPIC_RULE_MESSAGES.extraInput(`tools.${i}.custom.defer_loading`);
  }
  for (const [i, message] of records(body.messages).entries()) {
    for (const [j, block] of records(message.content).entries()) {
      if (block.type === "thinking" && (typeof block.signature !== "string" || !block.signature))
        return ANTHROPIC_RULE_MESSAGES.unsignedThinking(i, j);
    }
  }
  const thinking = isRecord(body.thinking) ? body.thinking : undefined;
  if (
    thinking?.type === "enabled" &&
    typeof thinking.budget_tokens === "number" &&
    typeof body.max_tokens === "number" &&
    body.max_tokens <= thinking.budget_tokens &&
    // Interleaved thinking: the budget spans the whole turn and may exceed max_tokens.
    !betas.includes("interleaved-thinking-2025-05-14")
  )
    return ANTHROPIC_RULE_MESSAGES.budgetNotBelowMax;
  return undefined;
}

/** Whether the body turns thinking on (enabled with a budget, or adaptive). */
export function anthropicThinking(body: Json): boolean {
  const t = body.thinking;
  return isRecord(t) && (t.type === "enabled" || t.type === "adaptive");
}
