/**
 * Capability-table family → adapter, and the per-request settings check
 * (dimensions, normalize, text length) that needs the family.
 *
 * @module
 */
import { InvalidRequestError } from "../errors";
import type { EmbeddingFamily } from "../models/capabilities";
import { cohereV3, cohereV4 } from "./cohere";
import type { FamilyAdapter, FamilySettings } from "./family";
import type { EmbeddingInput } from "./inputs";
import { nova } from "./nova";
import type { EmbeddingsRequest, InputType } from "./schema";
import { titanV1, titanV2 } from "./titan";

const ADAPTERS: Record<EmbeddingFamily, FamilyAdapter> = {
  "titan-v1": titanV1,
  "titan-v2": titanV2,
  "cohere-v3": cohereV3,
  "cohere-v4": cohereV4,
  nova,
};

export function adapterFor(family: EmbeddingFamily): FamilyAdapter {
  return ADAPTERS[family];
}

/**
 * The documented default for Cohere's `input_type` (and Nova's purpose): the
 * corpus side of retrieval, which is what bulk embedding calls are for.
 * Queries should send `input_type: "search_query"`.
 */
export const DEFAULT_INPUT_TYPE: InputType = "search_document";

/** @throws InvalidRequestError naming `dimensions` or `normalize` */
export function settingsFor(
  adapter: FamilyAdapter,
  req: EmbeddingsRequest,
  modelId: string,
): FamilySettings {
  const dimensions = req.dimensions ?? adapter.defaultDimensions;
  if (!adapter.dimensions.includes(dimensions)) {
    const message =
      adapter.dimensions.length === 1
        ? `Model '${modelId}' (${adapter.label}) does not support 'dimensions': its vectors always have ${adapter.defaultDimensions}.`
        : `Model '${modelId}' (${adapter.label}) supports 'dimensions' of ${adapter.dimensions.join(", ")}; got ${dimensions}.`;
    throw new InvalidRequestError(message, "dimensions", "unsupported_dimensions");
  }
  const normalize = req.normalize ?? req.extra_body?.normalize;
  if (normalize !== undefined && !adapter.normalize) {
    throw new InvalidRequestError(
      `Model '${modelId}' (${adapter.label}) does not support 'normalize'; only Titan Text Embeddings V2 does.`,
      "normalize",
      "unsupported_parameter",
    );
  }
  return {
    dimensions,
    inputType: req.input_type ?? req.extra_body?.input_type ?? DEFAULT_INPUT_TYPE,
    // Titan V2's own default, sent explicitly so the request says what it gets.
    normalize: normalize ?? true,
  };
}

/** @throws InvalidRequestError naming the first over-long `input[i]` */
export function checkTextLimits(
  adapter: FamilyAdapter,
  inputs: readonly EmbeddingInput[],
  single: boolean,
): void {
  const max = adapter.maxChars;
  if (max === undefined) return;
  const index = inputs.findIndex((input) => input.text.length > max);
  if (index < 0) return;
  const param = single ? "input" : `input[${index}]`;
  throw new InvalidRequestError(
    `'${param}' has ${inputs[index]?.text.length} characters; ${adapter.label} accepts at most ${max} per text.`,
    param,
    "input_too_long",
  );
}
