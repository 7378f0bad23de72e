/**
 * Turns the model name a client sent into the Bedrock model to call.
 *
 * @module
 */
import { capabilitiesOf, type ModelCapabilities } from "./capabilities";

export type ModelKind = "chat" | "embedding";

export interface ResolvedModel {
  /** What is sent to Bedrock as modelId (foundation id, profile id or ARN). */
  id: string;
  caps: ModelCapabilities;
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
}

/**
 * Resolves by configuration alone: aliases, then defaults, then the name as
 * given. Bedrock itself decides whether the model exists.
 */
export class StaticModelResolver implements ModelResolver {
  constructor(private readonly opts: StaticResolverOptions) {}

  resolve(requested: string | undefined, kind: ModelKind): ResolvedModel {
    const fallback = kind === "chat" ? this.opts.defaultModel : this.opts.defaultEmbeddingModel;
    const name = requested?.trim() || fallback;
    const id = this.opts.aliases[name] ?? name;
    return { id, caps: capabilitiesOf(id) };
  }
}
