/**
 * Cache breakpoints as clients write them, for every surface:
 * `cache_control: {type:"ephemeral", ttl?:"5m"|"1h"}` (Anthropic's, which
 * LangChain, LiteLLM and others also send on OpenAI requests) and OpenAI's
 * `prompt_cache_breakpoint` (any object, e.g. `{mode:"explicit"}`).
 *
 * @module
 */
import { z } from "zod";
import type { CachePointPart } from "../conversation";
import { InvalidRequestError } from "../errors";
import { isRecord } from "../json";

const cacheControlSchema = z
  .object({ type: z.literal("ephemeral"), ttl: z.enum(["5m", "1h"]).optional() })
  .loose();

/**
 * The cache point a part, message or tool asks for, if any.
 * @param param where `holder` sits in the request, for errors
 * @throws InvalidRequestError for a malformed marker
 */
export function cachePointOf(holder: unknown, param: string): CachePointPart | undefined {
  if (!isRecord(holder)) return undefined;
  const control = holder.cache_control;
  const breakpoint = holder.prompt_cache_breakpoint;
  if (control != null) {
    const parsed = cacheControlSchema.safeParse(control);
    if (!parsed.success) {
      throw new InvalidRequestError(
        `${param}.cache_control must be {"type":"ephemeral"} with an optional ttl of "5m" or "1h".`,
        `${param}.cache_control`,
        "invalid_value",
      );
    }
    return parsed.data.ttl
      ? { type: "cache-point", ttl: parsed.data.ttl }
      : { type: "cache-point" };
  }
  if (breakpoint != null) {
    if (!isRecord(breakpoint)) {
      throw new InvalidRequestError(
        `${param}.prompt_cache_breakpoint must be an object.`,
        `${param}.prompt_cache_breakpoint`,
        "invalid_value",
      );
    }
    return { type: "cache-point" };
  }
  return undefined;
}
