/**
 * Prompt caching: the conversation's cache points → Converse `cachePoint`
 * blocks, the defaults, the model's support and Bedrock's limit.
 *
 * Where a breakpoint comes from:
 * - a cache-point part in the system prompt or a turn (placed by the messages
 *   pass), or a cache mark on a tool (placed here, after that tool);
 * - when the request has none: ENABLE_PROMPT_CACHING (or the per-request
 *   `promptCaching: {system, messages}` control, which wins) puts one after
 *   the system prompt and one at the end of the last user turn.
 *
 * Models without prompt caching get none (with a warning when the client
 * asked). Bedrock takes at most four: the last four, in prompt order (tools,
 * system, messages), are kept.
 *
 * @module
 */
import type {
  ContentBlock,
  Message,
  SystemContentBlock,
  Tool,
} from "@aws-sdk/client-bedrock-runtime";
import type { Conversation } from "../conversation";
import { InvalidRequestError } from "../errors";
import { isRecord } from "../json";
import type { ModelCapabilities } from "../models/capabilities";
import { type ConverseInput, copyInput, type Pass } from "./input";
import { pushCachePoint } from "./messages";

/** Bedrock's limit of cache points per request. */
export const MAX_CACHE_POINTS = 4;

type CacheableBlock = ContentBlock | SystemContentBlock | Tool;

function isCachePoint(b: CacheableBlock | undefined): boolean {
  return b !== undefined && "cachePoint" in b && b.cachePoint !== undefined;
}

/**
 * The last pass: tool breakpoints, the default breakpoints, the model's
 * support and Bedrock's limit of four (it counts every cache point).
 */
export const cachingPass: Pass = (input, conv, ctx) => {
  const warnings: string[] = [];
  const { caps } = ctx;
  const next = copyInput(input);
  const asked = addToolCachePoints(conv, next, caps, warnings) || countCachePoints(next) > 0;
  if (!caps.promptCache) {
    if (removeCachePoints(next) > 0 || asked)
      warnings.push("prompt caching ignored: this model does not support cache points");
    return { input: next, warnings };
  }
  if (!asked) addDefaultCachePoints(conv, next, ctx.defaults?.promptCaching ?? false);
  enforceLimit(next, warnings);
  return { input: next, warnings };
};

/** Breakpoints on tools. @returns whether any was asked for */
function addToolCachePoints(
  conv: Conversation,
  input: ConverseInput,
  caps: ModelCapabilities,
  warnings: string[],
): boolean {
  let asked = false;
  const specs = input.toolConfig?.tools;
  for (const tool of conv.tools) {
    const point = tool.cache;
    if (!point) continue;
    asked = true;
    if (!specs || !caps.promptCache) continue;
    if (!caps.promptCacheTools) {
      warnings.push("cache_control on tools ignored: this model caches system and messages only");
      continue;
    }
    const at = specs.findIndex((t) => t.toolSpec?.name === tool.name);
    const cachePoint = point.ttl
      ? { type: "default" as const, ttl: point.ttl }
      : { type: "default" as const };
    if (at >= 0 && !isCachePoint(specs[at + 1])) specs.splice(at + 1, 0, { cachePoint });
  }
  return asked;
}

/** Whether the default applies: `prompt_caching.system` / `.messages` override the setting. */
function defaultFor(conv: Conversation, part: "system" | "messages", enabled: boolean): boolean {
  const found = conv.bedrock.promptCaching;
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

function addDefaultCachePoints(conv: Conversation, input: ConverseInput, enabled: boolean): void {
  if (input.system && input.system.length > 0 && defaultFor(conv, "system", enabled))
    pushCachePoint(input.system, { type: "cache-point" });
  if (!defaultFor(conv, "messages", enabled)) return;
  const lastUser = [...(input.messages ?? [])].reverse().find((m) => m.role === "user");
  if (lastUser?.content) pushCachePoint(lastUser.content, { type: "cache-point" });
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
