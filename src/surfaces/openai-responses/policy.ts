/**
 * The decision for every Responses request field that has no direct Converse
 * equivalent: honour, ignore (with an `x-gateway-warnings` entry), or reject
 * with a 400 naming the parameter. The README's table mirrors this file.
 *
 * Honoured elsewhere: model, input, instructions, tools, tool_choice,
 * parallel_tool_calls, text.format, reasoning.effort, max_output_tokens,
 * temperature, top_p, metadata (→ requestMetadata), service_tier (→ Bedrock
 * service tier) — decode.ts and the chat translator; stream, store,
 * previous_response_id, include (reasoning.encrypted_content) — route.ts.
 *
 * @module
 */
import { InvalidRequestError } from "../../errors";
import type { ResponsesRequest } from "./schema";

export const INCLUDE_ENCRYPTED = "reasoning.encrypted_content";

function reject(param: string, message: string): never {
  throw new InvalidRequestError(message, param, "unsupported_parameter");
}

/**
 * @returns warnings for fields that were ignored
 * @throws InvalidRequestError for fields whose meaning we cannot deliver
 */
export function checkResponsesPolicy(req: ResponsesRequest): string[] {
  const warnings: string[] = [];
  if (req.background === true) {
    reject("background", "background: true is not supported: Bedrock's runtime is synchronous.");
  }
  if (req.conversation != null) {
    reject("conversation", "The Conversations API is not supported; use previous_response_id.");
  }
  if (req.prompt != null) {
    reject("prompt", "Stored prompt templates are not supported; send instructions and input.");
  }
  if ((req.top_logprobs ?? 0) > 0)
    reject("top_logprobs", "logprobs are not available from Bedrock.");
  const include = req.include ?? [];
  if (include.includes("message.output_text.logprobs")) {
    reject("include", "message.output_text.logprobs: logprobs are not available from Bedrock.");
  }
  const ignored = include.filter((i) => i !== INCLUDE_ENCRYPTED);
  if (ignored.length > 0) {
    warnings.push(`include ${ignored.join(", ")} ignored: no hosted tools run here`);
  }
  if (req.text?.verbosity != null) {
    warnings.push("text.verbosity ignored: Bedrock has no equivalent");
  }
  if (req.reasoning?.summary != null || req.reasoning?.generate_summary != null) {
    // Claude's thinking arrives as a summary already; nothing to ask for.
    warnings.push("reasoning.summary ignored: reasoning text is returned as the model gives it");
  }
  if (req.truncation === "auto") {
    warnings.push("truncation auto ignored: the conversation is sent whole");
  }
  if (req.max_tool_calls != null)
    warnings.push("max_tool_calls ignored: Bedrock has no equivalent");
  for (const p of ["prompt_cache_key", "prompt_cache_retention", "prompt_cache_options"] as const) {
    if (req[p] != null)
      warnings.push(`${p} ignored: Bedrock caching is set by cache points (ENABLE_PROMPT_CACHING)`);
  }
  for (const p of [
    "user",
    "safety_identifier",
    "client_metadata",
    "context_management",
    "moderation",
  ] as const) {
    if (req[p] != null) warnings.push(`${p} ignored: Bedrock has no equivalent`);
  }
  if (req.stream_options != null)
    warnings.push("stream_options ignored: usage is always on the final event");
  return warnings;
}
