/**
 * One adapter per Bedrock embedding family: how many texts fit one
 * InvokeModel call, which output sizes exist, and the pure translators
 * (request body builder, response parser). Adapters never call Bedrock.
 *
 * @module
 */
import { GatewayError } from "../errors";
import type { EmbeddingFamily } from "../models/capabilities";
import type { InputType } from "./schema";

/** Per-request settings, already validated against the family. */
export interface FamilySettings {
  /** Output size to ask for (always set: the family default when the client sent none). */
  dimensions: number;
  inputType: InputType;
  /** Titan V2 only. */
  normalize: boolean;
}

/** What one InvokeModel call returned. */
export interface ParsedBatch {
  /** One vector per text, in the order the texts were sent. */
  vectors: number[][];
  /** Input tokens, when the model reports them. */
  tokens?: number;
}

export interface FamilyAdapter {
  family: EmbeddingFamily;
  /** For messages: "Titan Text Embeddings V2". */
  label: string;
  /** Texts per InvokeModel call. */
  batchSize: number;
  /** Documented per-text character limit, checked before calling Bedrock. */
  maxChars?: number;
  /** Output sizes the model accepts; `defaultDimensions` is used when the client sends none. */
  dimensions: readonly number[];
  defaultDimensions: number;
  /** Accepts the `normalize` extra. */
  normalize: boolean;
  buildBody(texts: readonly string[], settings: FamilySettings): Record<string, unknown>;
  /** @throws GatewayError 502 when the body is not what the family returns */
  parseBody(body: unknown, texts: number): ParsedBatch;
}

/** 502 for a Bedrock response body we cannot read; never a silent empty vector. */
export function malformedResponse(label: string, detail: string): GatewayError {
  return new GatewayError(502, `Bedrock returned an unreadable ${label} response: ${detail}.`, {
    code: "upstream_bad_response",
  });
}

/** A vector of finite numbers, or undefined. */
export function asVector(value: unknown): number[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  for (const v of value) if (typeof v !== "number" || !Number.isFinite(v)) return undefined;
  return value as number[];
}

/** Exactly `count` vectors, or a 502. */
export function asVectors(value: unknown, count: number, label: string): number[][] {
  if (!Array.isArray(value)) throw malformedResponse(label, "no embeddings array");
  if (value.length !== count) {
    throw malformedResponse(label, `${value.length} embeddings for ${count} texts`);
  }
  return value.map((v, i) => {
    const vector = asVector(v);
    if (!vector) throw malformedResponse(label, `embedding ${i} is not an array of numbers`);
    return vector;
  });
}
