/**
 * Amazon Nova Multimodal Embeddings (`amazon.nova-2-multimodal-embeddings-v1:0`),
 * text only: one text per synchronous InvokeModel call.
 *
 * Request: `{"schemaVersion": "nova-multimodal-embed-v1", "taskType": "SINGLE_EMBEDDING",
 *   "singleEmbeddingParams": {"embeddingPurpose", "embeddingDimension": 256|384|1024|3072,
 *   "text": {"truncationMode": "END", "value"}}}`.
 * Response: `{"embeddings": [{"embeddingType": "TEXT", "embedding": [float…], "truncatedCharLength"?}]}`.
 * No token counts are reported, so usage is counted with cl100k_base.
 * Source: Amazon Nova user guide, "Complete embeddings request and response schema".
 *
 * @module
 */

import { isRecord } from "../json";
import { asVector, type FamilyAdapter, malformedResponse, type ParsedBatch } from "./family";
import type { InputType } from "./schema";

const LABEL = "Nova Multimodal Embeddings";

/** OpenAI-side `input_type` → Nova's `embeddingPurpose`. */
export const NOVA_PURPOSE: Record<InputType, string> = {
  search_document: "GENERIC_INDEX",
  // GENERIC_RETRIEVAL rather than TEXT_RETRIEVAL: the indexed corpus may hold images too.
  search_query: "GENERIC_RETRIEVAL",
  classification: "CLASSIFICATION",
  clustering: "CLUSTERING",
};

function parseNova(body: unknown): ParsedBatch {
  if (!isRecord(body) || !Array.isArray(body.embeddings)) {
    throw malformedResponse(LABEL, "no embeddings array");
  }
  const first: unknown = body.embeddings[0];
  const vector = isRecord(first) ? asVector(first.embedding) : undefined;
  if (!vector) throw malformedResponse(LABEL, "no embedding array");
  return { vectors: [vector] };
}

export const nova: FamilyAdapter = {
  family: "nova",
  label: LABEL,
  batchSize: 1,
  dimensions: [256, 384, 1024, 3072],
  defaultDimensions: 3072,
  normalize: false,
  buildBody: (texts, s) => ({
    schemaVersion: "nova-multimodal-embed-v1",
    taskType: "SINGLE_EMBEDDING",
    singleEmbeddingParams: {
      embeddingPurpose: NOVA_PURPOSE[s.inputType],
      embeddingDimension: s.dimensions,
      text: { truncationMode: "END", value: texts[0] ?? "" },
    },
  }),
  parseBody: parseNova,
};
