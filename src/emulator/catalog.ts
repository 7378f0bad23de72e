/**
 * @module
 * The live catalog (fixtures, or what `setCatalog` put in their place): control-plane listing
 * and filtering, and runtime model-id resolution with Bedrock's error texts.
 */
import { BedrockError, validationError } from "./errors";
import { buildCatalog } from "./fixtures";
import type { CatalogOverride, FoundationModelSummary, InferenceProfileSummary } from "./types";

export const INVALID_MODEL_ID = "The provided model identifier is invalid.";

/** Bedrock's text when a profile-only model is called by its bare id (note the typographic ’). */
export function onDemandUnsupported(modelId: string): string {
  return `Invocation of model ID ${modelId} with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.`;
}

/** What a runtime model id resolves to. */
export interface ResolvedModel {
  /** The foundation model the call runs on (from the profile's source region for profiles). */
  foundationModelId: string;
  /** Undefined when a profile points to a model the catalog no longer lists. */
  model?: FoundationModelSummary;
  profile?: InferenceProfileSummary;
}

export interface ModelFilters {
  byProvider?: string;
  byOutputModality?: string;
  byInferenceType?: string;
  byCustomizationType?: string;
}

const ARN = /^arn:aws[\w-]*:bedrock:([\w-]*):(\d*):([\w-]+)\/(.+)$/;

/** The model id at the end of a foundation-model ARN. */
function modelIdOfArn(arn: string): string {
  return ARN.exec(arn)?.[4] ?? arn;
}

function sameText(a: string | undefined, b: string): boolean {
  return (a ?? "").toLowerCase() === b.toLowerCase();
}

export class Catalog {
  #defaults: Required<CatalogOverride>;
  #models: FoundationModelSummary[];
  #profiles: InferenceProfileSummary[];

  constructor(region: string, accountId: string) {
    this.#defaults = buildCatalog(region, accountId);
    this.#models = this.#defaults.foundationModels;
    this.#profiles = this.#defaults.inferenceProfiles;
  }

  set(override: CatalogOverride): void {
    if (override.foundationModels) this.#models = structuredClone(override.foundationModels);
    if (override.inferenceProfiles) this.#profiles = structuredClone(override.inferenceProfiles);
  }

  reset(): void {
    this.#models = this.#defaults.foundationModels;
    this.#profiles = this.#defaults.inferenceProfiles;
  }

  listFoundationModels(filters: ModelFilters): FoundationModelSummary[] {
    return this.#models.filter((m) => {
      if (filters.byProvider && !sameText(m.providerName, filters.byProvider)) return false;
      if (
        filters.byOutputModality &&
        !(m.outputModalities ?? []).includes(filters.byOutputModality)
      )
        return false;
      if (
        filters.byInferenceType &&
        !(m.inferenceTypesSupported ?? []).includes(filters.byInferenceType)
      )
        return false;
      if (
        filters.byCustomizationType &&
        !(m.customizationsSupported ?? []).includes(filters.byCustomizationType)
      )
        return false;
      return true;
    });
  }

  /** GetFoundationModel accepts an id or a foundation-model ARN. */
  getFoundationModel(identifier: string): FoundationModelSummary {
    const id = identifier.startsWith("arn:") ? modelIdOfArn(identifier) : identifier;
    const model = this.#models.find((m) => m.modelId === id);
    if (!model) throw validationError(INVALID_MODEL_ID);
    return model;
  }

  listInferenceProfiles(type: string | undefined): InferenceProfileSummary[] {
    return type ? this.#profiles.filter((p) => p.type === type) : this.#profiles;
  }

  getInferenceProfile(identifier: string): InferenceProfileSummary {
    const profile = this.#profiles.find(
      (p) => p.inferenceProfileId === identifier || p.inferenceProfileArn === identifier,
    );
    if (!profile)
      throw new BedrockError("ResourceNotFoundException", "Inference profile not found.");
    return profile;
  }

  /** Resolves a runtime model id the way Bedrock accepts them, or throws its ValidationException. */
  resolveRuntimeModel(modelId: string): ResolvedModel {
    const arn = ARN.exec(modelId);
    if (arn) return this.#resolveArn(arn[3] ?? "", arn[4] ?? "", modelId);
    const profile = this.#profiles.find(
      (p) => p.type === "SYSTEM_DEFINED" && p.inferenceProfileId === modelId,
    );
    if (profile) return this.#viaProfile(profile);
    return this.#onDemand(modelId);
  }

  /**
   * CountTokens takes foundation-model ids (bare or ARN) whatever their inference
   * types, so a profile-only model is counted by its own id.
   */
  resolveCountTokensModel(modelId: string): ResolvedModel {
    const arn = ARN.exec(modelId);
    const bare = arn?.[3] === "foundation-model" ? (arn[4] ?? "") : modelId;
    const model = this.#models.find((m) => m.modelId === bare);
    if (model) return { foundationModelId: bare, model };
    return this.resolveRuntimeModel(modelId);
  }

  #resolveArn(resourceType: string, resource: string, arn: string): ResolvedModel {
    if (resourceType === "foundation-model") return this.#onDemand(resource);
    if (resourceType === "inference-profile" || resourceType === "application-inference-profile") {
      const profile = this.#profiles.find((p) => p.inferenceProfileArn === arn);
      if (profile) return this.#viaProfile(profile);
    }
    throw validationError(INVALID_MODEL_ID);
  }

  #viaProfile(profile: InferenceProfileSummary): ResolvedModel {
    const source = profile.models[0]?.modelArn;
    if (!source) throw validationError(INVALID_MODEL_ID);
    const foundationModelId = modelIdOfArn(source);
    const model = this.#models.find((m) => m.modelId === foundationModelId);
    return model ? { foundationModelId, model, profile } : { foundationModelId, profile };
  }

  /** A bare foundation model: must exist and support on-demand throughput. */
  #onDemand(modelId: string): ResolvedModel {
    const model = this.#models.find((m) => m.modelId === modelId);
    if (!model) throw validationError(INVALID_MODEL_ID);
    const types = model.inferenceTypesSupported ?? [];
    if (!types.includes("ON_DEMAND")) {
      if (types.includes("INFERENCE_PROFILE")) throw validationError(onDemandUnsupported(modelId));
      // Provisioned-only variants (e.g. ":200k") need a provisioned-throughput ARN.
      throw validationError(INVALID_MODEL_ID);
    }
    return { foundationModelId: modelId, model };
  }
}
