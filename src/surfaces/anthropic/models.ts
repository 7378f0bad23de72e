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
import type { ModelCatalog } from "../../models/catalog";
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

export function resolveAnthropicModel(
  deps: { models: ModelResolver; catalog: ModelCatalog },
  requested: string,
): AnthropicTarget {
  const snapshot = deps.catalog.current();
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
