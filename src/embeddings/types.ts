/**
 * OpenAI embeddings response shapes.
 *
 * @module
 */

export interface EmbeddingObject {
  object: "embedding";
  index: number;
  /** Numbers for `encoding_format: "float"`, base64 float32 LE for `"base64"`. */
  embedding: number[] | string;
}

export interface EmbeddingsResponse {
  object: "list";
  data: EmbeddingObject[];
  /** The Bedrock model that actually ran. */
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}
