/**
 * Which Bedrock model an Anthropic request goes to: the gateway's usual
 * resolution (Bedrock ids, profile ids, ARNs, MODEL_ALIASES), then Anthropic's
 * own names (src/models/anthropic-names.ts). An unknown name is a 404
 * not_found_error and never reaches Bedrock.
 *
 * @module
 */
import { ModelNotFoundError } from "../../errors";
import { mapAnthropicName } from "../../models/anthropic-names";
import { baseModelId, type ModelCapabilities } from "../../models/capabilities";
import type { CatalogSnapshot, ModelCatalog } from "../../models/catalog";
import type { ModelResolver } from "../../models/resolver";
import { AnthropicModelNotFound } from "./errors";

export interface AnthropicTarget {
  /** What Bedrock gets as modelId. */
  id: string;
  /** The foundation model that answers (CountTokens takes only these). */
  foundationModelId: string;
  /** A Claude model: served natively through InvokeModel. */
  native: boolean;
  caps: ModelCapabilities;
}

/**
 * Successful resolutions per resolver, for the catalog snapshot they were made
 * from (a new snapshot starts afresh). Claude Code names Anthropic models
 * (`claude-sonnet-4-5-20250929`), which otherwise cost every request a failed
 * catalog lookup (a thrown error, a refresh-after-miss check) and a parse of
 * every foundation id: ~10 µs with 100 ids (bench/README.md, "Session 3: surfaces").
 */
const cache = new WeakMap<
  ModelResolver,
  { snapshot: CatalogSnapshot; names: Map<string, AnthropicTarget> }
>();
/** Distinct names kept per snapshot (client-chosen strings: bounded, cleared when full). */
const MAX_CACHED_NAMES = 256;

export function resolveAnthropicModel(
  deps: { models: ModelResolver; catalog: ModelCatalog },
  requested: string,
): AnthropicTarget {
  const snapshot = deps.catalog.current();
  if (!snapshot) return resolveUncached(deps, requested, snapshot);
  let entry = cache.get(deps.models);
  if (entry?.snapshot !== snapshot) {
    entry = { snapshot, names: new Map() };
    cache.set(deps.models, entry);
  }
  const hit = entry.names.get(requested);
  if (hit) return hit;
  const target = resolveUncached(deps, requested, snapshot);
  if (entry.names.size >= MAX_CACHED_NAMES) entry.names.clear();
  entry.names.set(requested, target);
  return target;
}

function resolveUncached(
  deps: { models: ModelResolver; catalog: ModelCatalog },
  requested: string,
  snapshot: CatalogSnapshot | undefined,
): AnthropicTarget {
  const target = (name: string): AnthropicTarget => {
    const resolved = deps.models.resolve(name, "chat");
    const entry = snapshot?.lookup(resolved.name ?? resolved.id);
    const foundationModelId = entry?.foundationModelId ?? baseModelId(resolved.id);
    return {
      id: resolved.id,
      foundationModelId,
      native: foundationModelId.startsWith("anthropic."),
      caps: resolved.caps,
    };
  };
  try {
    return target(requested);
  } catch (err) {
    if (!(err instanceof ModelNotFoundError)) throw err;
    const ids = new Set(snapshot?.entries.map((e) => e.foundationModelId) ?? []);
    const mapped = mapAnthropicName(requested, ids);
    if (!mapped) throw new AnthropicModelNotFound(requested);
    return target(mapped);
  }
}
