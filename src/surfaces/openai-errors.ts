/**
 * OpenAI's error body, `{"error":{"message","type","param","code"}}`: the
 * shape the openai SDKs parse into APIError, for every OpenAI-style surface
 * (chat completions, embeddings, models) and the gateway's default.
 *
 * @module
 */
import type { ErrorType, GatewayError } from "../errors";

export interface OpenAIErrorBody {
  error: { message: string; type: ErrorType; param: string | null; code: string | null };
}

export function openAIErrorBody(err: GatewayError): OpenAIErrorBody {
  return { error: { message: err.message, type: err.type, param: err.param, code: err.code } };
}
