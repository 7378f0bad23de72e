/**
 * `anthropic_beta` for Claude on Bedrock: the betas Bedrock accepts, and the
 * filter every surface applies (the Messages surface's native body, and the
 * Converse core's additionalModelRequestFields). Bedrock fails the WHOLE
 * request with "invalid beta flag" on any beta it does not know.
 *
 * @module
 */

/** The beta that lets Claude think between tool calls; its budget may exceed max_tokens. */
export const INTERLEAVED_THINKING_BETA = "interleaved-thinking-2025-05-14";

/**
 * Betas Bedrock accepts in `anthropic_beta` for Claude (Bedrock's Claude Messages
 * request documentation, cross-checked with what peer gateways verified against
 * Bedrock). tests/anthropic/betas.test.ts pins it to the emulator's model of Bedrock.
 */
export const BEDROCK_BETA_ALLOW_LIST: ReadonlySet<string> = new Set([
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
]);

export interface BetaFilterResult {
  /** What Bedrock gets in `anthropic_beta` (deduplicated, in order). */
  betas: string[];
  /** The requested betas that were dropped. */
  dropped: string[];
}

/**
 * Header and body betas → what Bedrock accepts. No renaming: Anthropic's
 * `advanced-tool-use-2025-11-20` is not mapped to Bedrock's `tool-search-tool-2025-10-19`,
 * because Bedrock takes tool search only on some models and with its own tool types;
 * a client that wants it on Bedrock sends Bedrock's name.
 */
export function filterBetas(requested: readonly string[]): BetaFilterResult {
  const betas: string[] = [];
  const dropped: string[] = [];
  for (const beta of requested) {
    if (!BEDROCK_BETA_ALLOW_LIST.has(beta)) {
      if (!dropped.includes(beta)) dropped.push(beta);
    } else if (!betas.includes(beta)) {
      betas.push(beta);
    }
  }
  return { betas, dropped };
}
