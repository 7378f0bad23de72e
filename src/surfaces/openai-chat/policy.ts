/**
 * The decision for every OpenAI chat field that has no direct Converse
 * equivalent: honour, ignore harmlessly (with a warning header), or reject
 * with a 400 naming the parameter. The README's table mirrors this file.
 *
 * @module
 */
import { InvalidRequestError } from "../../errors";
import type { ChatRequest } from "./schema";

function reject(param: string, message: string): never {
  throw new InvalidRequestError(message, param, "unsupported_parameter");
}

/**
 * @returns warnings for fields that were ignored
 * @throws InvalidRequestError for fields whose meaning we cannot deliver
 */
export function checkChatPolicy(req: ChatRequest): string[] {
  const warnings: string[] = [];
  if (req.n != null && req.n > 1)
    reject("n", "n > 1 is not supported: Bedrock returns one choice per request.");
  if (req.logprobs === true || (req.top_logprobs ?? 0) > 0) {
    reject(
      req.logprobs === true ? "logprobs" : "top_logprobs",
      "logprobs are not available from Bedrock.",
    );
  }
  if (req.logit_bias && Object.keys(req.logit_bias).length > 0) {
    reject("logit_bias", "logit_bias is not supported by Bedrock.");
  }
  if (req.audio != null || req.modalities?.some((m) => m !== "text")) {
    reject(req.audio != null ? "audio" : "modalities", "Audio output is not supported; only text.");
  }
  if (req.functions != null || req.function_call != null) {
    reject(
      req.functions != null ? "functions" : "function_call",
      "functions and function_call are deprecated; use tools and tool_choice.",
    );
  }
  if (req.web_search_options != null)
    reject("web_search_options", "web_search_options is not supported.");
  // response_format json_object / json_schema: delivered by converse/structured-output.ts.
  for (const p of ["frequency_penalty", "presence_penalty"] as const) {
    const v = req[p];
    if (v != null && v !== 0) warnings.push(`${p} ignored: Bedrock has no equivalent`);
  }
  if (req.seed != null) warnings.push("seed ignored: Bedrock sampling cannot be seeded");
  // reasoning_effort: converse/reasoning.ts; service_tier and metadata: converse/native-controls.ts.
  return warnings;
}
