/**
 * OpenAI chat request → Bedrock Converse input. Pure: no I/O, no clock.
 *
 * Every rule that makes a conversation acceptable to Bedrock lives here
 * (system extraction, same-role merging, blank text, a leading assistant
 * message, tool results first in their turn); model differences come from
 * the capability table.
 *
 * @module
 */
import type {
  ContentBlock,
  ConverseStreamCommandInput,
  InferenceConfiguration,
  Message,
  SystemContentBlock,
} from "@aws-sdk/client-bedrock-runtime";
import { InvalidRequestError } from "../errors";
import type { ModelCapabilities } from "../models/capabilities";
import { applyBedrockExtensions, type ExtensionDefaults } from "./bedrock-extensions";
import { pushCachePoint } from "./caching";
import { type DocumentNames, fileBlock } from "./documents";
import { decodeDataUrl } from "./images";
import { reasoningHistory } from "./reasoning";
import type { ChatMessage, ChatRequest, UserContentPart } from "./schema";
import { applyResponseFormat, type StructuredOutputPlan } from "./structured-output";
import { buildToolConfig, prepareToolHistory, toolResultBlock, toolUseBlocks } from "./tools";

export { decodeDataUrl, sniffImageFormat } from "./images";

/** Converse input without streaming-only fields; the same for both operations. */
export type ConverseInput = ConverseStreamCommandInput;

export interface TranslateContext {
  /** The model id sent to Bedrock. */
  modelId: string;
  caps: ModelCapabilities;
  /** Gateway defaults for caching and guardrails (bedrock-extensions.ts); none when omitted. */
  defaults?: ExtensionDefaults;
}

export interface Translation {
  input: ConverseInput;
  /** Things we changed or dropped, reported to the client in a header. */
  warnings: string[];
  /** How response_format is delivered; the response side must undo a forced tool. */
  structured: StructuredOutputPlan;
}

/** Text sent where Bedrock needs a user turn the client did not give. */
export const PLACEHOLDER_USER_TEXT = ".";
/** Sent after a trailing assistant message for models that cannot prefill. */
export const CONTINUE_TEXT = "Please continue.";

type Role = "user" | "assistant";
interface Turn {
  role: Role;
  content: ContentBlock[];
}

export function toConverse(req: ChatRequest, ctx: TranslateContext): Translation {
  const warnings: string[] = [];
  const { caps } = ctx;
  const system: SystemContentBlock[] = [];
  const turns: Turn[] = [];
  const documentNames: DocumentNames = new Set();

  req.messages.forEach((msg, i) => {
    const turn = convertMessage(msg, i, system, ctx, documentNames);
    if (turn && turn.content.length > 0) turns.push(turn);
  });

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
  const inferenceConfig = inference(req, caps, warnings);
  if (Object.keys(inferenceConfig).length > 0) input.inferenceConfig = inferenceConfig;
  prepareToolHistory(req, messages, caps, warnings);
  const toolPlan = buildToolConfig(req, messages, caps, warnings);
  if (toolPlan.toolConfig) input.toolConfig = toolPlan.toolConfig;
  if (toolPlan.additionalFields) {
    const existing = input.additionalModelRequestFields;
    input.additionalModelRequestFields = {
      ...(typeof existing === "object" && existing !== null && !Array.isArray(existing)
        ? existing
        : {}),
      ...toolPlan.additionalFields,
    } as NonNullable<ConverseInput["additionalModelRequestFields"]>;
  }
  const structured = applyResponseFormat(req, input, caps, warnings);
  applyBedrockExtensions(req, input, caps, ctx.defaults ?? {}, warnings);
  return { input, warnings, structured };
}

function convertMessage(
  msg: ChatMessage,
  i: number,
  system: SystemContentBlock[],
  ctx: TranslateContext,
  documentNames: DocumentNames,
): Turn | undefined {
  switch (msg.role) {
    case "system":
    case "developer": {
      if (typeof msg.content === "string") {
        if (msg.content.trim() !== "") system.push({ text: msg.content });
      } else {
        msg.content.forEach((part, j) => {
          if (part.text.trim() !== "") system.push({ text: part.text });
          pushCachePoint(system, part, `messages[${i}].content[${j}]`);
        });
      }
      pushCachePoint(system, msg, `messages[${i}]`);
      return undefined;
    }
    case "user": {
      const content: ContentBlock[] = [];
      if (typeof msg.content === "string") content.push(...textBlocks([msg.content]));
      else {
        msg.content.forEach((part, j) => {
          const block = userPart(part, `messages[${i}].content[${j}]`, ctx, documentNames);
          if (block) content.push(block);
          pushCachePoint(content, part, `messages[${i}].content[${j}]`);
        });
      }
      pushCachePoint(content, msg, `messages[${i}]`);
      return { role: "user", content };
    }
    case "assistant": {
      // Signed thinking first: Claude requires it to lead the assistant turn.
      const content: ContentBlock[] = reasoningHistory(msg.thinking_blocks, ctx.caps);
      const texts =
        typeof msg.content === "string"
          ? [msg.content]
          : (msg.content ?? []).map((p) => (p.type === "text" ? p.text : p.refusal));
      content.push(...textBlocks(texts));
      if (Array.isArray(msg.content)) {
        msg.content.forEach((part, j) => {
          pushCachePoint(content, part, `messages[${i}].content[${j}]`);
        });
      }
      content.push(...toolUseBlocks(msg, i));
      pushCachePoint(content, msg, `messages[${i}]`);
      return { role: "assistant", content };
    }
    case "tool": {
      const content: ContentBlock[] = [toolResultBlock(msg, i, ctx.caps)];
      if (Array.isArray(msg.content)) {
        msg.content.forEach((part, j) => {
          pushCachePoint(content, part, `messages[${i}].content[${j}]`);
        });
      }
      pushCachePoint(content, msg, `messages[${i}]`);
      return { role: "user", content };
    }
    case "function":
      throw new InvalidRequestError(
        "The deprecated 'function' role is not supported; use 'tool' messages with tool_call_id.",
        `messages[${i}].role`,
        "unsupported_value",
      );
  }
}

/** Bedrock rejects blank text blocks; drop them. */
function textBlocks(texts: string[]): ContentBlock[] {
  return texts.filter((t) => t.trim() !== "").map((text) => ({ text }));
}

function userPart(
  part: UserContentPart,
  param: string,
  ctx: TranslateContext,
  documentNames: DocumentNames,
): ContentBlock | undefined {
  switch (part.type) {
    case "text":
      return part.text.trim() === "" ? undefined : { text: part.text };
    case "image_url": {
      if (!ctx.caps.imageInput) {
        throw new InvalidRequestError(
          `The model '${ctx.modelId}' does not accept image input.`,
          param,
          "unsupported_content",
        );
      }
      const image = decodeDataUrl(part.image_url.url, param);
      return { image: { format: image.format, source: { bytes: image.bytes } } };
    }
    case "input_audio":
      throw new InvalidRequestError(
        "Audio input is not supported by Bedrock's Converse API.",
        param,
        "unsupported_content",
      );
    case "file":
      return fileBlock(part, param, ctx.caps, documentNames);
  }
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

function inference(
  req: ChatRequest,
  caps: ModelCapabilities,
  warnings: string[],
): InferenceConfiguration {
  const cfg: InferenceConfiguration = {};
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  if (maxTokens != null) cfg.maxTokens = maxTokens;
  if (req.temperature != null) {
    if (req.temperature > caps.maxTemperature) {
      warnings.push(
        `temperature ${req.temperature} lowered to this model's maximum ${caps.maxTemperature}`,
      );
    }
    cfg.temperature = Math.min(req.temperature, caps.maxTemperature);
  }
  if (req.top_p != null) {
    if (caps.temperatureXorTopP && cfg.temperature !== undefined) {
      warnings.push("top_p dropped: this model accepts temperature or top_p, not both");
    } else {
      cfg.topP = req.top_p;
    }
  }
  const stop =
    req.stop == null
      ? []
      : (typeof req.stop === "string" ? [req.stop] : req.stop).filter((s) => s !== "");
  if (stop.length > 0) {
    if (!caps.stopSequences) {
      throw new InvalidRequestError(
        "This model does not support stop sequences.",
        "stop",
        "unsupported_parameter",
      );
    }
    cfg.stopSequences = stop;
  }
  return cfg;
}
