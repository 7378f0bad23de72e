/**
 * The OpenAI `POST /v1/embeddings` request, validated with zod.
 *
 * Shape checks live here; limits that depend on the model family (dimensions,
 * batch sizes, text length) are checked later, once the family is known.
 *
 * @module
 */
import { z } from "zod";

/** OpenAI's own cap on inputs per request; also bounds the work one request can cause. */
export const MAX_INPUTS = 2048;

/** What an embedding is for; Cohere's `input_type`, mapped to Nova's `embeddingPurpose`. */
export const INPUT_TYPES = [
  "search_document",
  "search_query",
  "classification",
  "clustering",
] as const;
export type InputType = (typeof INPUT_TYPES)[number];

/**
 * Shape only. Emptiness, counts and token ids are checked in `inputs.ts`, where
 * the message can name the offending element (a union would only say "invalid").
 */
const input = z.union(
  [z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))],
  {
    error: () =>
      "expected a string, an array of strings, an array of token ids, or an array of token-id arrays",
  },
);

/** Gateway extras that OpenAI SDKs send at the top level (Python `extra_body`) or nested. */
const extras = {
  input_type: z.enum(INPUT_TYPES).optional(),
  /** Titan Text Embeddings V2 only: unit-length output (Bedrock's default is true). */
  normalize: z.boolean().optional(),
};

export const embeddingsRequestSchema = z.object({
  model: z.string().optional(),
  input,
  encoding_format: z.enum(["float", "base64"]).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
  ...extras,
  /** Raw HTTP callers sometimes copy the Python SDK's `extra_body` literally. */
  extra_body: z.object(extras).optional(),
});

export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;
