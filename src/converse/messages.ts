/**
 * Conversation turns → Converse messages and system blocks, and the
 * inference settings. Pure.
 *
 * Every rule that makes a conversation acceptable to Bedrock's message list
 * lives here (same-role merging, blank text, a leading assistant message, a
 * trailing one, tool results first in their turn, models without a system
 * prompt); model differences come from the capability table.
 *
 * @module
 */
import type {
  ContentBlock,
  InferenceConfiguration,
  Message,
  SystemContentBlock,
} from "@aws-sdk/client-bedrock-runtime";
import type {
  AssistantPart,
  CachePointPart,
  ImagePart,
  SystemPart,
  UserPart,
} from "../conversation";
import { InvalidRequestError } from "../errors";
import { type DocumentNames, fileBlock } from "./documents";
import { imageBlock } from "./images";
import type { ConverseInput, Pass, TranslateContext } from "./input";
import { reasoningHistory } from "./reasoning";
import { toolResultBlock, toolUseBlock } from "./tools";

/** Text sent where Bedrock needs a user turn the client did not give. */
export const PLACEHOLDER_USER_TEXT = ".";
/** Sent after a trailing assistant message for models that cannot prefill. */
export const CONTINUE_TEXT = "Please continue.";

type Role = "user" | "assistant";
interface Turn {
  role: Role;
  content: ContentBlock[];
}

type CacheableBlock = ContentBlock | SystemContentBlock;

function isCachePoint(b: CacheableBlock | undefined): boolean {
  return b !== undefined && "cachePoint" in b && b.cachePoint !== undefined;
}

/**
 * Appends a cache point after the blocks so far. Nothing is added to an empty
 * list (there is nothing to cache yet) or after another cache point.
 */
export function pushCachePoint<T extends CacheableBlock>(blocks: T[], part: CachePointPart): void {
  if (blocks.length === 0 || isCachePoint(blocks[blocks.length - 1])) return;
  blocks.push({
    cachePoint: part.ttl ? { type: "default", ttl: part.ttl } : { type: "default" },
  } as T);
}

/** The first pass: a fresh input with modelId, messages and system. */
export const messagesPass: Pass = (_input, conv, ctx) => {
  const warnings: string[] = [];
  const { caps } = ctx;
  const system = systemBlocks(conv.system);
  const documentNames: DocumentNames = new Set();
  const turns: Turn[] = [];
  for (const turn of conv.turns) {
    const content =
      turn.role === "user"
        ? userBlocks(turn.content, ctx, documentNames)
        : assistantBlocks(turn.content, ctx);
    if (content.length > 0) turns.push({ role: turn.role, content });
  }

  let messages = mergeTurns(turns);

  if (messages.length === 0) {
    // Only system messages: Bedrock needs a user turn, so the instructions become it.
    const text = system
      .map((b) => ("text" in b ? b.text : ""))
      .join("\n\n")
      .trim();
    system.length = 0;
    messages = [{ role: "user", content: [{ text: text || PLACEHOLDER_USER_TEXT }] }];
  }
  if (messages[0]?.role === "assistant") {
    messages.unshift({ role: "user", content: [{ text: PLACEHOLDER_USER_TEXT }] });
    warnings.push("a user turn was inserted before the leading assistant message");
  }
  const last = messages[messages.length - 1];
  if (last?.role === "assistant") {
    if (caps.assistantPrefill && !hasToolUse(last)) {
      trimTrailingWhitespace(last);
    } else {
      messages.push({ role: "user", content: [{ text: CONTINUE_TEXT }] });
    }
  }

  if (!caps.system && system.length > 0) {
    const text = system.map((b) => ("text" in b ? b.text : "")).join("\n\n");
    const first = messages[0];
    if (first) first.content = [{ text }, ...(first.content ?? [])];
    system.length = 0;
    warnings.push("this model takes no system prompt; it was prepended to the first user turn");
  }

  const input: ConverseInput = { modelId: ctx.modelId, messages };
  if (system.length > 0) input.system = system;
  return { input, warnings };
};

function systemBlocks(parts: readonly SystemPart[]): SystemContentBlock[] {
  const system: SystemContentBlock[] = [];
  for (const part of parts) {
    if (part.type === "cache-point") pushCachePoint(system, part);
    else if (part.text.trim() !== "") system.push({ text: part.text });
  }
  return system;
}

function userBlocks(
  parts: readonly UserPart[],
  ctx: TranslateContext,
  documentNames: DocumentNames,
): ContentBlock[] {
  const content: ContentBlock[] = [];
  for (const part of parts) {
    switch (part.type) {
      case "text":
        if (part.text.trim() !== "") content.push({ text: part.text });
        break;
      case "image":
        content.push(userImage(part, ctx));
        break;
      case "file":
        content.push(fileBlock(part, ctx.caps, documentNames));
        break;
      case "tool-result":
        content.push(toolResultBlock(part, ctx.caps));
        break;
      case "cache-point":
        pushCachePoint(content, part);
        break;
    }
  }
  return content;
}

function userImage(part: ImagePart, ctx: TranslateContext): ContentBlock {
  if (!ctx.caps.imageInput) {
    throw new InvalidRequestError(
      `The model '${ctx.modelId}' does not accept image input.`,
      part.param,
      "unsupported_content",
    );
  }
  return imageBlock(part);
}

function assistantBlocks(parts: readonly AssistantPart[], ctx: TranslateContext): ContentBlock[] {
  const content: ContentBlock[] = [];
  for (const part of parts) {
    switch (part.type) {
      case "text":
        if (part.text.trim() !== "") content.push({ text: part.text });
        break;
      case "reasoning":
      case "redacted-reasoning": {
        const block = reasoningHistory(part, ctx.caps);
        if (block) content.push(block);
        break;
      }
      case "tool-call":
        content.push(toolUseBlock(part));
        break;
      case "cache-point":
        pushCachePoint(content, part);
        break;
    }
  }
  return content;
}

/**
 * Merges consecutive turns of the same role (Bedrock requires alternation).
 * Within a user turn, tool results go first, as Claude requires.
 */
function mergeTurns(turns: Turn[]): Message[] {
  const out: Message[] = [];
  for (const t of turns) {
    const prev = out[out.length - 1];
    if (prev && prev.role === t.role) prev.content = [...(prev.content ?? []), ...t.content];
    else out.push({ role: t.role, content: [...t.content] });
  }
  for (const m of out) {
    if (m.role !== "user" || !m.content) continue;
    const results = m.content.filter((b) => "toolResult" in b && b.toolResult);
    if (results.length > 0 && results.length < m.content.length) {
      m.content = [...results, ...m.content.filter((b) => !("toolResult" in b && b.toolResult))];
    }
  }
  return out;
}

function hasToolUse(m: Message): boolean {
  return (m.content ?? []).some((b) => "toolUse" in b && b.toolUse);
}

/** A final assistant prefill may not end in whitespace. */
function trimTrailingWhitespace(m: Message): void {
  const blocks = m.content ?? [];
  const lastBlock = blocks[blocks.length - 1];
  if (lastBlock && "text" in lastBlock && typeof lastBlock.text === "string") {
    const trimmed = lastBlock.text.trimEnd();
    if (trimmed === "") blocks.pop();
    else blocks[blocks.length - 1] = { text: trimmed };
  }
}

/** maxTokens, temperature (clamped to the model's maximum), topP, stop sequences. */
export const inferencePass: Pass = (input, conv, ctx) => {
  const warnings: string[] = [];
  const { caps } = ctx;
  const { limits, sampling } = conv;
  const cfg: InferenceConfiguration = {};
  if (limits.maxTokens != null) cfg.maxTokens = limits.maxTokens;
  if (sampling.temperature != null) {
    if (sampling.temperature > caps.maxTemperature) {
      warnings.push(
        `temperature ${sampling.temperature} lowered to this model's maximum ${caps.maxTemperature}`,
      );
    }
    cfg.temperature = Math.min(sampling.temperature, caps.maxTemperature);
  }
  if (sampling.topP != null) {
    if (caps.temperatureXorTopP && cfg.temperature !== undefined) {
      warnings.push("top_p dropped: this model accepts temperature or top_p, not both");
    } else {
      cfg.topP = sampling.topP;
    }
  }
  const stop = limits.stopSequences ?? [];
  if (stop.length > 0) {
    if (!caps.stopSequences) {
      throw new InvalidRequestError(
        "This model does not support stop sequences.",
        limits.stopSequencesParam ?? "stop",
        "unsupported_parameter",
      );
    }
    cfg.stopSequences = stop;
  }
  if (Object.keys(cfg).length === 0) return { input, warnings };
  return { input: { ...input, inferenceConfig: cfg }, warnings };
};
