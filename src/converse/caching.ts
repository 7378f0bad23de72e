/**
 * Prompt caching: cache breakpoints from the request → Converse `cachePoint`
 * blocks.
 *
 * Where a breakpoint comes from:
 * - `cache_control: {type:"ephemeral", ttl?:"5m"|"1h"}` (Anthropic's, which
 *   LangChain, LiteLLM and others send) on a content part, on a whole message,
 *   or on a tool;
 * - OpenAI's `prompt_cache_breakpoint` on a content part (any object, e.g.
 *   `{mode:"explicit"}`), or on a message or tool;
 * - when the request has none: ENABLE_PROMPT_CACHING (or the reference
 *   gateway's per-request `prompt_caching: {system, messages}`, which wins)
 *   puts one after the system prompt and one at the end of the last user turn.
 *
 * Each becomes `{cachePoint:{type:"default"}}` right after the part it marks
 * (assistant parts: after the assistant's text). Models without prompt caching
 * get none (with a warning when the client asked). Bedrock takes at most four:
 * the last four, in prompt order (tools, system, messages), are kept.
 *
 * @module
 */
import type {
  CachePointBlock,
  ContentBlock,
  Message,
  SystemContentBlock,
  Tool,
} from "@aws-sdk/client-bedrock-runtime";
import { z } from "zod";
import { InvalidRequestError } from "../errors";
import type { ModelCapabilities } from "../models/capabilities";
import { nativeParam } from "./native-controls";
import type { ChatRequest } from "./schema";
import type { ConverseInput } from "./to-converse";

/** Bedrock's limit of cache points per request. */
export const MAX_CACHE_POINTS = 4;

const cacheControlSchema = z
  .object({ type: z.literal("ephemeral"), ttl: z.enum(["5m", "1h"]).optional() })
  .loose();

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * The cache point a part, message or tool asks for, if any.
 * @throws InvalidRequestError for a malformed marker
 */
export function cachePointOf(holder: unknown, param: string): CachePointBlock | undefined {
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
    return parsed.data.ttl ? { type: "default", ttl: parsed.data.ttl } : { type: "default" };
  }
  if (breakpoint != null) {
    if (!isRecord(breakpoint)) {
      throw new InvalidRequestError(
        `${param}.prompt_cache_breakpoint must be an object.`,
        `${param}.prompt_cache_breakpoint`,
        "invalid_value",
      );
    }
    return { type: "default" };
  }
  return undefined;
}

type CacheableBlock = ContentBlock | SystemContentBlock | Tool;

function isCachePoint(b: CacheableBlock | undefined): boolean {
  return b !== undefined && "cachePoint" in b && b.cachePoint !== undefined;
}

/**
 * Appends the cache point `holder` asks for after the blocks so far. Nothing
 * is added to an empty list (there is nothing to cache yet) or after another
 * cache point.
 */
export function pushCachePoint<T extends CacheableBlock>(
  blocks: T[],
  holder: unknown,
  param: string,
): void {
  const point = cachePointOf(holder, param);
  if (!point || blocks.length === 0 || isCachePoint(blocks[blocks.length - 1])) return;
  blocks.push({ cachePoint: point } as T);
}

export interface CachingContext {
  caps: ModelCapabilities;
  /** ENABLE_PROMPT_CACHING. */
  enabledByDefault: boolean;
}

/**
 * Final pass over the translated input: tool breakpoints, the default
 * breakpoints, the model's support and Bedrock's limit of four.
 */
export function applyPromptCaching(
  req: ChatRequest,
  input: ConverseInput,
  ctx: CachingContext,
  warnings: string[],
): void {
  const { caps } = ctx;
  const asked = addToolCachePoints(req, input, caps, warnings) || countCachePoints(input) > 0;
  if (!caps.promptCache) {
    if (removeCachePoints(input) > 0 || asked)
      warnings.push("prompt caching ignored: this model does not support cache points");
    return;
  }
  if (!asked) addDefaultCachePoints(req, input, ctx.enabledByDefault);
  enforceLimit(input, warnings);
}

/** Breakpoints on `tools[i]` (top level or inside `function`). @returns whether any was asked for */
function addToolCachePoints(
  req: ChatRequest,
  input: ConverseInput,
  caps: ModelCapabilities,
  warnings: string[],
): boolean {
  let asked = false;
  const specs = input.toolConfig?.tools;
  (req.tools ?? []).forEach((tool, i) => {
    const point =
      cachePointOf(tool, `tools[${i}]`) ?? cachePointOf(tool.function, `tools[${i}].function`);
    if (!point) return;
    asked = true;
    if (!specs || !caps.promptCache) return;
    if (!caps.promptCacheTools) {
      warnings.push("cache_control on tools ignored: this model caches system and messages only");
      return;
    }
    const at = specs.findIndex((t) => t.toolSpec?.name === tool.function.name);
    if (at >= 0 && !isCachePoint(specs[at + 1])) specs.splice(at + 1, 0, { cachePoint: point });
  });
  return asked;
}

/** Whether the default applies: `prompt_caching.system` / `.messages` override the setting. */
function defaultFor(req: ChatRequest, part: "system" | "messages", enabled: boolean): boolean {
  const found = nativeParam(req, "prompt_caching");
  if (found && !isRecord(found.value)) {
    throw new InvalidRequestError(
      "prompt_caching must be an object like {system: true, messages: true}.",
      found.param,
      "invalid_value",
    );
  }
  const value = found && isRecord(found.value) ? found.value[part] : undefined;
  return typeof value === "boolean" ? value : enabled;
}

function addDefaultCachePoints(req: ChatRequest, input: ConverseInput, enabled: boolean): void {
  if (input.system && input.system.length > 0 && defaultFor(req, "system", enabled))
    pushCachePoint(input.system, { cache_control: { type: "ephemeral" } }, "system");
  if (!defaultFor(req, "messages", enabled)) return;
  const lastUser = [...(input.messages ?? [])].reverse().find((m) => m.role === "user");
  if (lastUser?.content)
    pushCachePoint(lastUser.content, { cache_control: { type: "ephemeral" } }, "messages");
}

/** Every list a cache point can sit in, in prompt order. */
function cacheLists(input: ConverseInput): CacheableBlock[][] {
  const lists: CacheableBlock[][] = [];
  if (input.toolConfig?.tools) lists.push(input.toolConfig.tools);
  if (input.system) lists.push(input.system);
  for (const m of input.messages ?? ([] as Message[])) if (m.content) lists.push(m.content);
  return lists;
}

function countCachePoints(input: ConverseInput): number {
  return cacheLists(input).reduce((n, list) => n + list.filter(isCachePoint).length, 0);
}

function removeCachePoints(input: ConverseInput, keepLast = 0): number {
  let total = countCachePoints(input);
  let removed = 0;
  for (const list of cacheLists(input)) {
    for (let i = 0; i < list.length && total > keepLast; ) {
      if (isCachePoint(list[i])) {
        list.splice(i, 1);
        total--;
        removed++;
      } else i++;
    }
  }
  return removed;
}

function enforceLimit(input: ConverseInput, warnings: string[]): void {
  const removed = removeCachePoints(input, MAX_CACHE_POINTS);
  if (removed > 0) {
    warnings.push(
      `${removed} cache breakpoint(s) dropped: Bedrock allows ${MAX_CACHE_POINTS}; the last ${MAX_CACHE_POINTS} were kept`,
    );
  }
}
