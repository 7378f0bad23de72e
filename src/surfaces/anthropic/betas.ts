/**
 * `anthropic-beta` on Bedrock: the betas Bedrock accepts for Claude, and the
 * filtering of a native body so that Bedrock never sees one it rejects.
 *
 * Bedrock fails the WHOLE request with "invalid beta flag" on any beta it does
 * not know, and Claude Code always sends Anthropic-API-only betas
 * (`claude-code-20250219`, `prompt-caching-scope-…`, `thinking-token-count-…`).
 * So header betas are moved into the body's `anthropic_beta` through this
 * allow-list; the rest are dropped and reported in `x-gateway-warnings`, and
 * fields that only exist under a dropped beta go too (`context_management`,
 * a tool's `defer_loading`), as Bedrock rejects them as extra inputs.
 *
 * @module
 */
import { filterBetas } from "../../converse/anthropic-betas";

/**
 * Top-level keys of Anthropic's API that Bedrock's Claude schema does not have
 * ("Extra inputs are not permitted"): platform features with no Bedrock
 * counterpart. `model` and `stream` are handled apart (they carry meaning here).
 */
export const ANTHROPIC_ONLY_KEYS: readonly string[] = [
  "service_tier",
  "container",
  "mcp_servers",
  "inference_geo",
  "diagnostics",
  "fallbacks",
];

const CONTEXT_MANAGEMENT = "context-management-2025-06-27";
const TOOL_SEARCH = "tool-search-tool-2025-10-19";

/** `anthropic-beta: a, b` (possibly repeated) → ["a", "b"]. */
export function parseBetaHeader(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

export interface NativeBodyResult {
  body: Json;
  warnings: string[];
}

/**
 * A client's Messages body → the body InvokeModel gets for Claude: `model` and
 * `stream` removed (Bedrock: "Extra inputs are not permitted"), `metadata` cut to
 * `user_id`, `anthropic_version` set to Bedrock's, betas (header + body) filtered
 * into `anthropic_beta`, and fields needing a missing beta removed. Pure: the
 * input is not modified.
 */
export function toNativeBody(client: Json, headerBetas: readonly string[]): NativeBodyResult {
  const warnings: string[] = [];
  const { model: _model, stream: _stream, anthropic_beta: bodyBetas, ...rest } = client;
  const body: Json = { ...rest, anthropic_version: "bedrock-2023-05-31" };
  const requested = [
    ...headerBetas,
    ...(Array.isArray(bodyBetas) ? bodyBetas.filter((b) => typeof b === "string") : []),
  ];
  const { betas, dropped } = filterBetas(requested);
  if (dropped.length > 0)
    warnings.push(`anthropic-beta ${dropped.join(", ")} not supported on Bedrock; dropped`);
  if (betas.length > 0) body.anthropic_beta = betas;
  else delete body.anthropic_beta;

  const platformOnly = ANTHROPIC_ONLY_KEYS.filter((k) => k in body);
  if (platformOnly.length > 0) {
    for (const k of platformOnly) delete body[k];
    warnings.push(`${platformOnly.join(", ")} not accepted by Bedrock; dropped`);
  }

  if (isRecord(body.metadata)) {
    const extra = Object.keys(body.metadata).filter((k) => k !== "user_id");
    if (extra.length > 0) {
      const { user_id } = body.metadata;
      if (user_id === undefined) delete body.metadata;
      else body.metadata = { user_id };
      warnings.push(`metadata ${extra.join(", ")} not accepted by Bedrock; dropped`);
    }
  }
  if (body.context_management !== undefined && !betas.includes(CONTEXT_MANAGEMENT)) {
    delete body.context_management;
    warnings.push(`context_management needs the ${CONTEXT_MANAGEMENT} beta; dropped`);
  }
  if (Array.isArray(body.tools) && !betas.includes(TOOL_SEARCH)) {
    let deferred = 0;
    body.tools = body.tools.map((tool: unknown) => {
      if (!isRecord(tool) || tool.defer_loading === undefined) return tool;
      deferred += 1;
      const { defer_loading: _d, ...kept } = tool;
      return kept;
    });
    if (deferred > 0) warnings.push(`defer_loading needs the ${TOOL_SEARCH} beta; dropped`);
  }
  return { body, warnings };
}
