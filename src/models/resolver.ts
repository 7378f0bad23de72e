/**
 * Turns the model name a client sent into the Bedrock model to call.
 *
 * @module
 */
import { echo, GatewayError, InvalidRequestError, ModelNotFoundError } from "../errors";
import type { Logger } from "../log";
import { capabilitiesOf, type ModelCapabilities } from "./capabilities";
import type { CatalogEntry, CatalogSnapshot, ModelCatalog } from "./catalog";
import { isOpenAIModelName, type OpenAIModelNames } from "./openai-names";

export type ModelKind = "chat" | "embedding";

export interface ResolvedModel {
  /** What is sent to Bedrock as modelId (foundation id, profile id or ARN). */
  id: string;
  caps: ModelCapabilities;
  /** The catalog id (application profiles: their name), for responses and logs. */
  name?: string;
  /** The OpenAI model name the client sent, when it was mapped to the default model. */
  mappedFrom?: string;
}

export interface ModelResolver {
  /**
   * @param requested the client's `model`, absent when it sent none
   * @throws ModelNotFoundError when the model is not served
   */
  resolve(requested: string | undefined, kind: ModelKind): ResolvedModel;
}

export interface StaticResolverOptions {
  defaultModel: string;
  defaultEmbeddingModel: string;
  aliases: Record<string, string>;
  /** What OpenAI model names that are neither aliases nor catalog ids mean (default: "default"). */
  openaiNames?: OpenAIModelNames;
}

/**
 * Resolves by configuration alone: aliases, then defaults, then the name as
 * given. Bedrock itself decides whether the model exists. For unit tests of
 * routes that do not need a catalog; the gateway uses {@link CatalogModelResolver}.
 */
export class StaticModelResolver implements ModelResolver {
  constructor(private readonly opts: StaticResolverOptions) {}

  resolve(requested: string | undefined, kind: ModelKind): ResolvedModel {
    const fallback = kind === "chat" ? this.opts.defaultModel : this.opts.defaultEmbeddingModel;
    const name = requested?.trim() || fallback;
    if (
      !(name in this.opts.aliases) &&
      this.opts.openaiNames !== "reject" &&
      isOpenAIModelName(name, kind)
    ) {
      const id = this.opts.aliases[fallback] ?? fallback;
      return { id, caps: capabilitiesOf(id), mappedFrom: name };
    }
    const id = this.opts.aliases[name] ?? name;
    return { id, caps: capabilitiesOf(id) };
  }
}

/** ARNs of models that ListFoundationModels / ListInferenceProfiles never show. */
const UNLISTED_ARN =
  /^arn:aws[\w-]*:bedrock:[^:]*:\d*:(provisioned-model|custom-model|custom-model-deployment|imported-model)\//;

/** A model the catalog lacks triggers a reload if the catalog is at least this old. */
const MISS_REFRESH_INTERVAL_MS = 60_000;

/** Seconds a client should wait before retrying while the catalog is cold. */
const COLD_RETRY_AFTER_S = 5;

/** 503 while the catalog has never loaded (AWS unreachable at startup). */
export class CatalogUnavailableError extends GatewayError {
  override name = "CatalogUnavailableError";
  constructor() {
    super(
      503,
      "The model catalog has not loaded yet: Bedrock's control plane could not be reached. The gateway keeps retrying in the background; try again shortly.",
      { code: "model_catalog_unavailable", headers: { "retry-after": String(COLD_RETRY_AFTER_S) } },
    );
  }
}

/**
 * The catalog entry a client-facing name stands for, MODEL_ALIASES applied.
 * @throws CatalogUnavailableError while cold, ModelNotFoundError when unknown
 */
export function findModel(
  catalog: ModelCatalog,
  aliases: Record<string, string>,
  name: string,
): CatalogEntry {
  const snapshot = catalog.current();
  if (!snapshot) throw new CatalogUnavailableError();
  const entry = snapshot.lookup(aliases[name] ?? name);
  if (!entry) throw new ModelNotFoundError(name);
  return entry;
}

/**
 * Resolves against the live catalog:
 * 1. an absent or blank model means DEFAULT_MODEL (chat) or DEFAULT_EMBEDDING_MODEL;
 * 2. MODEL_ALIASES maps the name (one level);
 * 3. the catalog resolves ids, ARNs, application profile names and profile-only
 *    foundation ids;
 * 4. OpenAI model names (gpt-*, o-series, chatgpt-*; text-embedding-* for
 *    embeddings) mean the default model, unless OPENAI_MODEL_NAMES=reject
 *    (see openai-names.ts); anything else is a 404 and never reaches Bedrock.
 * Synchronous: the catalog is read from memory.
 */
export class CatalogModelResolver implements ModelResolver {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly opts: StaticResolverOptions,
  ) {}

  resolve(requested: string | undefined, kind: ModelKind): ResolvedModel {
    const fallback = kind === "chat" ? this.opts.defaultModel : this.opts.defaultEmbeddingModel;
    const name = requested?.trim() || fallback;
    if (this.#isMappedOpenAIName(name, kind)) {
      return { ...this.resolve(fallback, kind), mappedFrom: name };
    }
    const snapshot = this.catalog.current();
    // Never a real inventory (ListFoundationModels lists every model in the region):
    // treat an empty one like none.
    if (!snapshot || snapshot.entries.length === 0) return this.unverified(name, kind);
    // Provisioned throughput, custom and imported models are not in those listings.
    if (UNLISTED_ARN.test(this.opts.aliases[name] ?? name)) return this.unverified(name, kind);
    let entry: CatalogEntry;
    try {
      entry = this.lookup(name);
    } catch (err) {
      if (err instanceof ModelNotFoundError)
        this.catalog.refreshAfterMiss(MISS_REFRESH_INTERVAL_MS);
      throw err;
    }
    if (entry.type !== kind) {
      throw new InvalidRequestError(
        entry.type === "embedding"
          ? `The model '${echo(name)}' is an embedding model; send it to /v1/embeddings.`
          : `The model '${echo(name)}' is not an embedding model; use it with /v1/chat/completions.`,
        "model",
        "model_not_supported",
      );
    }
    return { id: entry.invokeId, caps: entry.caps, name: entry.id };
  }

  /** An OpenAI model name that is neither an alias nor in the catalog, in "default" mode. */
  #isMappedOpenAIName(name: string, kind: ModelKind): boolean {
    if (this.opts.openaiNames === "reject" || name in this.opts.aliases) return false;
    if (!isOpenAIModelName(name, kind)) return false;
    return !this.catalog.current()?.lookup(name);
  }

  /**
   * The catalog has never loaded (the control plane is unreachable, or the
   * gateway's role lacks bedrock:List* — common where only InvokeModel is
   * granted): serve by configuration and the family table, and let Bedrock
   * judge the id, rather than refuse every request.
   */
  private unverified(name: string, kind: ModelKind): ResolvedModel {
    const id = this.opts.aliases[name] ?? name;
    const caps = capabilitiesOf(id);
    if ((caps.embedding !== undefined) !== (kind === "embedding")) {
      throw new InvalidRequestError(
        kind === "chat"
          ? `The model '${echo(name)}' is an embedding model; send it to /v1/embeddings.`
          : `The model '${echo(name)}' is not an embedding model; use it with /v1/chat/completions.`,
        "model",
        "model_not_supported",
      );
    }
    return { id, caps };
  }

  /**
   * The catalog entry a client-facing name stands for (aliases applied).
   * @throws CatalogUnavailableError while cold, ModelNotFoundError when unknown
   */
  lookup(name: string): CatalogEntry {
    return findModel(this.catalog, this.opts.aliases, name);
  }

  #lastMissing = "";

  /**
   * Logs configured names that the catalog cannot serve, so a typo in
   * DEFAULT_MODEL or MODEL_ALIASES shows at startup rather than as 404s.
   * Logged when the set of missing names changes, not on every refresh.
   */
  checkConfig(snapshot: CatalogSnapshot, logger: Logger): void {
    const named: Array<[string, string]> = [
      ["DEFAULT_MODEL", this.opts.defaultModel],
      ["DEFAULT_EMBEDDING_MODEL", this.opts.defaultEmbeddingModel],
      ...Object.entries(this.opts.aliases).map(([alias, target]): [string, string] => [
        `MODEL_ALIASES ${alias}`,
        target,
      ]),
    ];
    const missing = named.filter(
      ([, target]) => !snapshot.lookup(this.opts.aliases[target] ?? target),
    );
    const key = JSON.stringify(missing);
    if (key === this.#lastMissing) return;
    this.#lastMissing = key;
    for (const [setting, model] of missing) {
      logger.warn("configured model is not in the catalog", { setting, model });
    }
  }
}
