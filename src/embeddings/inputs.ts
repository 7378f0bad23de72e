/**
 * Turns OpenAI's four `input` forms into the list of texts Bedrock embeds.
 *
 * Token arrays are decoded with cl100k_base: that is the encoding OpenAI's
 * embedding models use, so it is what clients that pre-tokenise (LangChain's
 * OpenAIEmbeddings with tiktoken, for one) send. Bedrock models only take text.
 *
 * @module
 */
import { InvalidRequestError } from "../errors";
import { type EmbeddingsRequest, MAX_INPUTS } from "./schema";

type Cl100k = typeof import("gpt-tokenizer/encoding/cl100k_base");
let cl100k: Cl100k | undefined;

/**
 * The cl100k_base tokenizer, loaded on first use: its tables cost ~52 MB of
 * RSS (measured, bench/README.md), and chat-only deployments never need them.
 * Only token-array inputs and token estimates for families that report no
 * count use it; the first such request pays the load (~0.1 s), once.
 */
function tokenizer(): Cl100k {
  cl100k ??= import.meta.require("gpt-tokenizer/encoding/cl100k_base") as Cl100k;
  return cl100k;
}

export interface EmbeddingInput {
  text: string;
  /** The client's own token count, when it sent token ids. */
  tokens?: number;
}

/** @throws InvalidRequestError naming the offending `input[i]` */
export function toInputs(input: EmbeddingsRequest["input"]): EmbeddingInput[] {
  if (typeof input === "string") return [checkedText(input, "input")];
  if (input.length === 0) throw new InvalidRequestError("'input' must not be empty.", "input");
  if (input.length > MAX_INPUTS) {
    throw new InvalidRequestError(
      `'input' has ${input.length} items; at most ${MAX_INPUTS} are allowed per request.`,
      "input",
      "too_many_inputs",
    );
  }
  // zod's union proved the array homogeneous; the first element tells which form it is.
  const first = input[0];
  if (typeof first === "number") return [decodeTokens(input as number[], "input")];
  if (Array.isArray(first)) {
    return (input as number[][]).map((tokens, i) => decodeTokens(tokens, `input[${i}]`));
  }
  return (input as string[]).map((text, i) => checkedText(text, `input[${i}]`));
}

function checkedText(text: string, param: string): EmbeddingInput {
  if (text.length === 0) {
    throw new InvalidRequestError(`'${param}' must not be an empty string.`, param);
  }
  return { text };
}

function decodeTokens(tokens: number[], param: string): EmbeddingInput {
  if (tokens.length === 0) {
    throw new InvalidRequestError(`'${param}' must not be an empty token array.`, param);
  }
  const bad = tokens.findIndex((t) => !Number.isInteger(t) || t < 0);
  if (bad >= 0) {
    throw new InvalidRequestError(
      `'${param}[${bad}]' is not a valid token id (${tokens[bad]}).`,
      `${param}[${bad}]`,
    );
  }
  let text: string;
  try {
    text = tokenizer().decode(tokens);
  } catch {
    throw new InvalidRequestError(
      `'${param}' contains token ids that are not in the cl100k_base vocabulary.`,
      param,
    );
  }
  return { ...checkedText(text, param), tokens: tokens.length };
}

/**
 * Tokens of one input for `usage` when Bedrock does not report a count: the
 * client's own count for token input, cl100k_base otherwise. Never 0 for a
 * non-empty text.
 */
export function estimateTokens(input: EmbeddingInput): number {
  return input.tokens ?? Math.max(1, tokenizer().countTokens(input.text));
}
