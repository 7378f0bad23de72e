/**
 * Cohere Embed v3 (`cohere.embed-english-v3`, `cohere.embed-multilingual-v3`)
 * and v4 (`cohere.embed-v4:0`, usually called through `us.`/`eu.` profiles).
 *
 * Request: `{"texts": [...≤96], "input_type", "truncate", "embedding_types"}`;
 * v4 adds `"output_dimension": 256|512|1024|1536`.
 * Response: `{"id", "texts", "embeddings": [[…]], "response_type": "embeddings_floats"}`
 * without embedding_types, or `"embeddings": {"float": [[…]]}` ("embeddings_by_type").
 * Neither reports token counts, so usage is counted with cl100k_base.
 * Limits: 96 texts per call; v3 allows 2,048 characters per text (Bedrock user
 * guide, "Cohere Embed v3"); v4 takes up to 128k tokens and documents no
 * character limit.
 *
 * Over-long inputs are truncated at the end (v3 `END`, v4 `RIGHT`), as the
 * reference gateway does: RAG chunkers prefer an embedding of the head of a
 * chunk to a failed batch.
 *
 * @module
 */

import { isRecord } from "../json";
import { asVectors, type FamilyAdapter, malformedResponse, type ParsedBatch } from "./family";

const BATCH = 96;

function parseCohere(label: string) {
  return (body: unknown, texts: number): ParsedBatch => {
    if (!isRecord(body)) throw malformedResponse(label, "not a JSON object");
    const embeddings = isRecord(body.embeddings) ? body.embeddings.float : body.embeddings;
    return { vectors: asVectors(embeddings, texts, label) };
  };
}

export const cohereV3: FamilyAdapter = {
  family: "cohere-v3",
  label: "Cohere Embed v3",
  batchSize: BATCH,
  maxChars: 2048,
  dimensions: [1024],
  defaultDimensions: 1024,
  normalize: false,
  buildBody: (texts, s) => ({
    texts,
    input_type: s.inputType,
    truncate: "END",
    embedding_types: ["float"],
  }),
  parseBody: parseCohere("Cohere Embed v3"),
};

export const cohereV4: FamilyAdapter = {
  family: "cohere-v4",
  label: "Cohere Embed v4",
  batchSize: BATCH,
  dimensions: [256, 512, 1024, 1536],
  defaultDimensions: 1536,
  normalize: false,
  buildBody: (texts, s) => ({
    texts,
    input_type: s.inputType,
    truncate: "RIGHT",
    embedding_types: ["float"],
    output_dimension: s.dimensions,
  }),
  parseBody: parseCohere("Cohere Embed v4"),
};
