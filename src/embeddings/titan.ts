/**
 * Amazon Titan Text Embeddings G1 (`amazon.titan-embed-text-v1`) and V2
 * (`amazon.titan-embed-text-v2:0`): one text per InvokeModel call.
 *
 * Request  V2: `{"inputText", "dimensions": 256|512|1024, "normalize": bool}`; G1: `{"inputText"}` only.
 * Response: `{"embedding": [float…], "inputTextTokenCount": n}`; V2 adds
 * `embeddingsByType: {"float": […]}`.
 * Limits: 8,192 tokens or 50,000 characters per text (Bedrock user guide,
 * "Amazon Titan Text Embeddings models"); G1 gets the same character bound.
 *
 * @module
 */

import { isRecord } from "../json";
import { asVector, type FamilyAdapter, malformedResponse, type ParsedBatch } from "./family";

const MAX_CHARS = 50_000;

function parseTitan(label: string) {
  return (body: unknown): ParsedBatch => {
    if (!isRecord(body)) throw malformedResponse(label, "not a JSON object");
    const byType = isRecord(body.embeddingsByType) ? body.embeddingsByType.float : undefined;
    const vector = asVector(body.embedding) ?? asVector(byType);
    if (!vector) throw malformedResponse(label, "no embedding array");
    const count = body.inputTextTokenCount;
    return {
      vectors: [vector],
      ...(typeof count === "number" && count > 0 ? { tokens: count } : {}),
    };
  };
}

function only(texts: readonly string[]): string {
  const [text] = texts;
  if (text === undefined || texts.length !== 1) throw new Error("Titan embeds one text per call");
  return text;
}

export const titanV1: FamilyAdapter = {
  family: "titan-v1",
  label: "Titan Embeddings G1 - Text",
  batchSize: 1,
  maxChars: MAX_CHARS,
  dimensions: [1536],
  defaultDimensions: 1536,
  normalize: false,
  buildBody: (texts) => ({ inputText: only(texts) }),
  parseBody: parseTitan("Titan Embeddings G1 - Text"),
};

export const titanV2: FamilyAdapter = {
  family: "titan-v2",
  label: "Titan Text Embeddings V2",
  batchSize: 1,
  maxChars: MAX_CHARS,
  dimensions: [256, 512, 1024],
  defaultDimensions: 1024,
  normalize: true,
  buildBody: (texts, s) => ({
    inputText: only(texts),
    dimensions: s.dimensions,
    normalize: s.normalize,
  }),
  parseBody: parseTitan("Titan Text Embeddings V2"),
};
