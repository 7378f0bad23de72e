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
  ToolChoice as BedrockToolChoice,
  ContentBlock,
  ConverseStreamCommandInput,
  ImageFormat,
  InferenceConfiguration,
  Message,
  SystemContentBlock,
  Tool,
  ToolConfiguration,
} from "@aws-sdk/client-bedrock-runtime";
import { InvalidRequestError } from "../errors";
import type { ModelCapabilities } from "../models/capabilities";
import type { ChatMessage, ChatRequest, ChatTool, UserContentPart } from "./schema";

/** Converse input without streaming-only fields; the same for both operations. */
export type ConverseInput = ConverseStreamCommandInput;

export interface TranslateContext {
  /** The model id sent to Bedrock. */
  modelId: string;
  caps: ModelCapabilities;
}

export interface Translation {
  input: ConverseInput;
  /** Things we changed or dropped, reported to the client in a header. */
  warnings: string[];
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

/** Bedrock's tool-name pattern. */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export function toConverse(req: ChatRequest, ctx: TranslateContext): Translation {
  const warnings: string[] = [];
  const { caps } = ctx;
  const system: SystemContentBlock[] = [];
  const turns: Turn[] = [];

  req.messages.forEach((msg, i) => {
    const turn = convertMessage(msg, i, system, ctx);
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
  const toolConfig = tools(req, messages, caps, warnings);
  if (toolConfig) input.toolConfig = toolConfig;
  return { input, warnings };
}

function convertMessage(
  msg: ChatMessage,
  i: number,
  system: SystemContentBlock[],
  ctx: TranslateContext,
): Turn | undefined {
  switch (msg.role) {
    case "system":
    case "developer": {
      for (const text of textsOf(msg.content)) if (text.trim() !== "") system.push({ text });
      return undefined;
    }
    case "user": {
      if (typeof msg.content === "string")
        return { role: "user", content: textBlocks([msg.content]) };
      const content: ContentBlock[] = [];
      msg.content.forEach((part, j) => {
        const block = userPart(part, `messages[${i}].content[${j}]`, ctx);
        if (block) content.push(block);
      });
      return { role: "user", content };
    }
    case "assistant": {
      const content: ContentBlock[] = [];
      const texts =
        typeof msg.content === "string"
          ? [msg.content]
          : (msg.content ?? []).map((p) => (p.type === "text" ? p.text : p.refusal));
      content.push(...textBlocks(texts));
      msg.tool_calls?.forEach((call, j) => {
        content.push({
          toolUse: {
            toolUseId: call.id,
            name: call.function.name,
            input: parseArguments(
              call.function.arguments,
              `messages[${i}].tool_calls[${j}].function.arguments`,
            ),
          },
        });
      });
      return { role: "assistant", content };
    }
    case "tool": {
      const texts = textsOf(msg.content).filter((t) => t.trim() !== "");
      return {
        role: "user",
        content: [
          {
            toolResult: {
              toolUseId: msg.tool_call_id,
              // Bedrock rejects an empty result; say so explicitly.
              content: texts.length > 0 ? texts.map((text) => ({ text })) : [{ text: "(empty)" }],
            },
          },
        ],
      };
    }
    case "function":
      throw new InvalidRequestError(
        "The deprecated 'function' role is not supported; use 'tool' messages with tool_call_id.",
        `messages[${i}].role`,
        "unsupported_value",
      );
  }
}

function textsOf(content: string | Array<{ text: string }>): string[] {
  return typeof content === "string" ? [content] : content.map((p) => p.text);
}

/** Bedrock rejects blank text blocks; drop them. */
function textBlocks(texts: string[]): ContentBlock[] {
  return texts.filter((t) => t.trim() !== "").map((text) => ({ text }));
}

function userPart(
  part: UserContentPart,
  param: string,
  ctx: TranslateContext,
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
      throw new InvalidRequestError(
        "File content parts are not supported yet.",
        param,
        "unsupported_content",
      );
  }
}

const IMAGE_FORMATS: Record<string, ImageFormat> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/pjpeg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
};

/** Detects png/jpeg/gif/webp from the bytes themselves. */
export function sniffImageFormat(b: Uint8Array): ImageFormat | undefined {
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "png";
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return "gif";
  if (
    b[0] === 0x52 &&
    b[1] === 0x49 &&
    b[2] === 0x46 &&
    b[3] === 0x46 &&
    b[8] === 0x57 &&
    b[9] === 0x45 &&
    b[10] === 0x42 &&
    b[11] === 0x50
  ) {
    return "webp";
  }
  return undefined;
}

/** Parses `data:image/png;base64,…`; the bytes decide the format when they can. */
export function decodeDataUrl(
  url: string,
  param: string,
): { format: ImageFormat; bytes: Uint8Array } {
  const m = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s.exec(url);
  if (!m) {
    throw new InvalidRequestError(
      "Image URLs must be data: URLs (base64-encoded png, jpeg, gif or webp).",
      param,
      "invalid_image_url",
    );
  }
  const mime = (m[1] ?? "").trim().toLowerCase();
  if (!(m[2] ?? "").toLowerCase().includes(";base64")) {
    throw new InvalidRequestError(
      "Image data URLs must be base64-encoded.",
      param,
      "invalid_image_url",
    );
  }
  const bytes = Buffer.from((m[3] ?? "").trim(), "base64");
  if (bytes.length === 0)
    throw new InvalidRequestError("The image data is empty.", param, "invalid_image_url");
  const format = sniffImageFormat(bytes) ?? IMAGE_FORMATS[mime];
  if (!format) {
    throw new InvalidRequestError(
      `Unsupported image type '${mime || "unknown"}'; use png, jpeg, gif or webp.`,
      param,
      "invalid_image_format",
    );
  }
  return { format, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

function parseArguments(
  args: string,
  param: string,
): ContentBlock.ToolUseMember["toolUse"]["input"] {
  if (args.trim() === "") return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
      return parsed as ContentBlock.ToolUseMember["toolUse"]["input"];
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidRequestError(
    "Tool call arguments must be a JSON object.",
    param,
    "invalid_tool_arguments",
  );
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

function tools(
  req: ChatRequest,
  messages: Message[],
  caps: ModelCapabilities,
  warnings: string[],
): ToolConfiguration | undefined {
  const defined = req.tools ?? [];
  const choice = req.tool_choice ?? undefined;
  const historyUsesTools = messages.some((m) =>
    (m.content ?? []).some(
      (b) => ("toolUse" in b && b.toolUse) || ("toolResult" in b && b.toolResult),
    ),
  );

  if (defined.length === 0) {
    if (choice !== undefined && choice !== "none" && choice !== "auto") {
      throw new InvalidRequestError("tool_choice requires tools.", "tool_choice", "invalid_value");
    }
    if (!historyUsesTools) return undefined;
    // Bedrock rejects tool blocks without a toolConfig: declare the tools the history used.
    return { tools: historyToolSpecs(messages) };
  }
  if (!caps.tools) {
    throw new InvalidRequestError(
      "This model does not support tools.",
      "tools",
      "unsupported_parameter",
    );
  }

  let specs: ChatTool[] = defined;
  if (choice === "none") {
    // The model must not call a tool. Bedrock has no "none", so no tool is offered;
    // tool history still needs the declarations, which then come from the history.
    if (!historyUsesTools) return undefined;
    warnings.push("tool_choice none: tools withheld from the model");
    return { tools: historyToolSpecs(messages) };
  }
  let bedrockChoice: BedrockToolChoice | undefined;
  if (choice === "required") bedrockChoice = { any: {} };
  else if (typeof choice === "object" && choice.type === "function") {
    const name = choice.function.name;
    if (!defined.some((t) => t.function.name === name)) {
      throw new InvalidRequestError(
        `tool_choice names '${name}', which is not in tools.`,
        "tool_choice",
        "invalid_value",
      );
    }
    bedrockChoice = { tool: { name } };
  } else if (typeof choice === "object" && choice.type === "allowed_tools") {
    const allowed = new Set(choice.allowed_tools.tools.map((t) => t.function.name));
    specs = defined.filter((t) => allowed.has(t.function.name));
    if (specs.length === 0) {
      throw new InvalidRequestError(
        "allowed_tools matches none of the tools.",
        "tool_choice",
        "invalid_value",
      );
    }
    if (choice.allowed_tools.mode === "required") bedrockChoice = { any: {} };
  }
  if (bedrockChoice && !caps.toolChoice) {
    warnings.push("this model only supports tool_choice auto; the requested choice was relaxed");
    bedrockChoice = undefined;
  }
  const config: ToolConfiguration = { tools: specs.map(toolSpec) };
  // Tools that only the history still references must be declared too.
  const declared = new Set(specs.map((t) => t.function.name));
  for (const extra of historyToolSpecs(messages)) {
    if (extra.toolSpec?.name && !declared.has(extra.toolSpec.name)) config.tools?.push(extra);
  }
  if (bedrockChoice) config.toolChoice = bedrockChoice;
  return config;
}

function toolSpec(t: ChatTool, i: number): Tool {
  const { name, description, parameters } = t.function;
  if (!TOOL_NAME.test(name)) {
    throw new InvalidRequestError(
      `Tool name '${name}' is invalid: use 1-64 letters, digits, '_' or '-'.`,
      `tools[${i}].function.name`,
      "invalid_value",
    );
  }
  const schema = parameters ?? { type: "object", properties: {} };
  return {
    toolSpec: {
      name,
      // Bedrock rejects an empty description; omit it instead.
      ...(description && description.trim() !== "" ? { description } : {}),
      inputSchema: { json: schema as Record<string, never> },
    },
  };
}

function historyToolSpecs(messages: Message[]): Tool[] {
  const names = new Set<string>();
  for (const m of messages)
    for (const b of m.content ?? [])
      if ("toolUse" in b && b.toolUse?.name) names.add(b.toolUse.name);
  return [...names].map((name) => ({
    toolSpec: { name, inputSchema: { json: { type: "object", properties: {} } } },
  }));
}
