/**
 * Tools: OpenAI tool definitions, tool_choice, parallel_tool_calls and tool
 * history → Converse. Pure.
 *
 * Decisions (README "Tools"):
 * - `tool_choice: "none"` and models without tool support: the tool history is
 *   rewritten as plain text and no toolConfig is sent, so the model really
 *   cannot call a tool (Bedrock has no "none" choice).
 * - A tool error is marked by the client with `is_error: true` (Anthropic's
 *   field) or `status: "error"` (LangChain's ToolMessage) on the tool message;
 *   we never guess from the text.
 * - A tool message whose text is a JSON object goes as a `json` block to models
 *   that accept rich tool results; everywhere else it stays text.
 * - Orphans are repaired: a result with no matching call in the previous
 *   assistant turn becomes text; a call with no result gets a placeholder
 *   error result. Bedrock rejects both otherwise.
 * - Client tool-call ids that break Bedrock's id pattern are mapped to a
 *   deterministic valid id (the same on both sides of the pair).
 *
 * @module
 */
import type {
  ToolChoice as BedrockToolChoice,
  ContentBlock,
  Message,
  Tool,
  ToolConfiguration,
  ToolResultContentBlock,
} from "@aws-sdk/client-bedrock-runtime";
import { InvalidRequestError } from "../errors";
import type { ModelCapabilities } from "../models/capabilities";
import { decodeDataUrl } from "./images";
import type { ChatMessage, ChatRequest, ChatTool } from "./schema";

/** Bedrock's tool-name pattern. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
/** Bedrock's toolUseId pattern. */
const TOOL_USE_ID = /^[a-zA-Z0-9_-]{1,64}$/;

/** Sent as the result of a call the client never answered. */
export const MISSING_RESULT_TEXT = "No result was provided for this tool call.";

type AssistantMessage = Extract<ChatMessage, { role: "assistant" }>;
type ToolMessage = Extract<ChatMessage, { role: "tool" }>;
type JsonDoc = NonNullable<ContentBlock.ToolUseMember["toolUse"]["input"]>;

/** A client id Bedrock accepts is kept as is; any other maps to a stable valid one. */
export function bedrockToolUseId(id: string): string {
  if (TOOL_USE_ID.test(id)) return id;
  const hash = Bun.hash(id).toString(36);
  return `${id.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 40)}_${hash}`.slice(0, 64);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseArguments(args: string, param: string): JsonDoc {
  if (args.trim() === "") return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (isObject(parsed)) return parsed as JsonDoc;
  } catch {
    // fall through to the error below
  }
  throw new InvalidRequestError(
    "Tool call arguments must be a JSON object.",
    param,
    "invalid_tool_arguments",
  );
}

/** The toolUse blocks of an assistant message's tool_calls. */
export function toolUseBlocks(msg: AssistantMessage, i: number): ContentBlock[] {
  return (msg.tool_calls ?? []).map((call, j) => {
    const param = `messages[${i}].tool_calls[${j}].function`;
    if (!TOOL_NAME.test(call.function.name)) {
      throw new InvalidRequestError(
        `Tool name '${call.function.name}' is invalid: use 1-64 letters, digits, '_' or '-'.`,
        `${param}.name`,
        "invalid_value",
      );
    }
    return {
      toolUse: {
        toolUseId: bedrockToolUseId(call.id),
        name: call.function.name,
        input: parseArguments(call.function.arguments, `${param}.arguments`),
      },
    };
  });
}

/** True when the client marked the tool message as a failure. */
function isErrorResult(msg: ToolMessage): boolean {
  const m = msg as Record<string, unknown>;
  return m.is_error === true || m.status === "error";
}

function textResult(text: string, caps: ModelCapabilities): ToolResultContentBlock {
  if (caps.richToolResults && /^\s*\{/.test(text)) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (isObject(parsed)) return { json: parsed as JsonDoc };
    } catch {
      // not JSON: plain text
    }
  }
  return { text };
}

/** A tool message → one toolResult block (text, JSON, images; error status when marked). */
export function toolResultBlock(
  msg: ToolMessage,
  i: number,
  caps: ModelCapabilities,
): ContentBlock {
  const parts =
    typeof msg.content === "string" ? [{ type: "text" as const, text: msg.content }] : msg.content;
  const content: ToolResultContentBlock[] = [];
  parts.forEach((part, j) => {
    if (part.type === "text") {
      if (part.text.trim() !== "") content.push(textResult(part.text, caps));
      return;
    }
    const param = `messages[${i}].content[${j}]`;
    if (!caps.richToolResults || !caps.imageInput) {
      throw new InvalidRequestError(
        "This model does not accept images in tool results.",
        param,
        "unsupported_content",
      );
    }
    const image = decodeDataUrl(part.image_url.url, param);
    content.push({ image: { format: image.format, source: { bytes: image.bytes } } });
  });
  const error = isErrorResult(msg);
  if (error && !caps.richToolResults) content.unshift({ text: "The tool call failed." });
  return {
    toolResult: {
      toolUseId: bedrockToolUseId(msg.tool_call_id),
      // Bedrock rejects an empty result; say so explicitly.
      content: content.length > 0 ? content : [{ text: "(empty)" }],
      ...(error && caps.richToolResults ? { status: "error" as const } : {}),
    },
  };
}

function toolUseIdsOf(m: Message | undefined): string[] {
  if (m?.role !== "assistant") return [];
  return (m.content ?? []).flatMap((b) => (b.toolUse?.toolUseId ? [b.toolUse.toolUseId] : []));
}

/** A tool result as user-visible blocks: text (JSON stringified) and its images. */
function resultAsBlocks(b: ContentBlock, label: string): ContentBlock[] {
  const texts: string[] = [];
  const images: ContentBlock[] = [];
  for (const c of b.toolResult?.content ?? []) {
    if (c.text !== undefined) texts.push(c.text);
    else if (c.json !== undefined) texts.push(JSON.stringify(c.json));
    else if (c.image) images.push({ image: c.image });
  }
  const status = b.toolResult?.status === "error" ? " (failed)" : "";
  return [{ text: `${label}${status}: ${texts.join("\n") || "(empty)"}` }, ...images];
}

/**
 * Makes tool pairs acceptable to Bedrock: each user turn answers exactly the
 * calls of the assistant turn before it, once each, in call order.
 */
export function repairToolPairs(
  messages: Message[],
  caps: ModelCapabilities,
  warnings: string[],
): void {
  let orphans = 0;
  let missing = 0;
  messages.forEach((m, i) => {
    if (m.role !== "user") return;
    const requested = toolUseIdsOf(messages[i - 1]);
    const results = new Map<string, ContentBlock>();
    const others: ContentBlock[] = [];
    let touched = requested.length > 0;
    for (const b of m.content ?? []) {
      const id = b.toolResult?.toolUseId;
      if (id === undefined) others.push(b);
      else if (requested.includes(id) && !results.has(id)) results.set(id, b);
      else {
        orphans += 1;
        touched = true;
        others.push(...resultAsBlocks(b, `Result of tool call ${id}`));
      }
    }
    if (!touched) return;
    const ordered = requested.map((id) => {
      const hit = results.get(id);
      if (hit) return hit;
      missing += 1;
      return {
        toolResult: {
          toolUseId: id,
          content: [{ text: MISSING_RESULT_TEXT }],
          ...(caps.richToolResults ? { status: "error" as const } : {}),
        },
      };
    });
    m.content = [...ordered, ...others];
  });
  if (orphans > 0) warnings.push(`${orphans} tool result(s) without a matching call sent as text`);
  if (missing > 0)
    warnings.push(`${missing} tool call(s) without a result answered with a placeholder`);
}

/**
 * Rewrites toolUse/toolResult blocks as text, for requests that must not let
 * the model call tools (tool_choice none, or a model without tool support).
 */
export function flattenToolHistory(messages: Message[]): boolean {
  const names = new Map<string, string>();
  let changed = false;
  for (const m of messages) {
    m.content = (m.content ?? []).flatMap((b): ContentBlock[] => {
      if (b.toolUse) {
        changed = true;
        names.set(b.toolUse.toolUseId ?? "", b.toolUse.name ?? "");
        return [
          {
            text: `[Called tool ${b.toolUse.name} with arguments ${JSON.stringify(b.toolUse.input ?? {})}]`,
          },
        ];
      }
      if (b.toolResult) {
        changed = true;
        const name = names.get(b.toolResult.toolUseId ?? "") ?? "a tool";
        return resultAsBlocks(b, `[Result of ${name}]`);
      }
      return [b];
    });
  }
  return changed;
}

function hasToolBlocks(messages: Message[]): boolean {
  return messages.some((m) => (m.content ?? []).some((b) => b.toolUse || b.toolResult));
}

/** Repairs or flattens the tool history, as the request's tool settings require. */
export function prepareToolHistory(
  req: ChatRequest,
  messages: Message[],
  caps: ModelCapabilities,
  warnings: string[],
): void {
  if (!hasToolBlocks(messages)) return;
  if (req.tool_choice === "none" || !caps.tools) {
    flattenToolHistory(messages);
    warnings.push(
      caps.tools
        ? "tool_choice none: tool history sent as text so no tool can be called"
        : "this model does not support tools; tool history sent as text",
    );
    return;
  }
  repairToolPairs(messages, caps, warnings);
}

export interface ToolPlan {
  toolConfig?: ToolConfiguration;
  /** Merged into additionalModelRequestFields (Anthropic's parallel tool control). */
  additionalFields?: Record<string, unknown>;
}

/** toolConfig for the request; call after {@link prepareToolHistory}. */
export function buildToolConfig(
  req: ChatRequest,
  messages: Message[],
  caps: ModelCapabilities,
  warnings: string[],
): ToolPlan {
  const defined = req.tools ?? [];
  const choice = req.tool_choice ?? undefined;
  const historyUsesTools = hasToolBlocks(messages);

  if (defined.length === 0) {
    if (choice !== undefined && choice !== "none" && choice !== "auto") {
      throw new InvalidRequestError("tool_choice requires tools.", "tool_choice", "invalid_value");
    }
    if (!historyUsesTools) return {};
    // Bedrock rejects tool blocks without a toolConfig: declare the tools the history used.
    return { toolConfig: { tools: historyToolSpecs(messages) } };
  }
  if (!caps.tools) {
    throw new InvalidRequestError(
      "This model does not support tools.",
      "tools",
      "unsupported_parameter",
    );
  }
  checkUniqueNames(defined);
  // The history was flattened to text, so nothing needs declaring.
  if (choice === "none") return {};

  let specs: ChatTool[] = defined;
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
  const config: ToolConfiguration = {
    tools: specs.map((t) => toolSpec(t, defined.indexOf(t), caps, warnings)),
  };
  // Tools that only the history still references must be declared too.
  const declared = new Set(specs.map((t) => t.function.name));
  for (const extra of historyToolSpecs(messages)) {
    if (extra.toolSpec?.name && !declared.has(extra.toolSpec.name)) config.tools?.push(extra);
  }
  if (bedrockChoice) config.toolChoice = bedrockChoice;
  const plan: ToolPlan = { toolConfig: config };
  if (req.parallel_tool_calls === false) {
    if (caps.parallelToolControl) {
      // Bedrock merges this into Anthropic's tool_choice. With a toolConfig.toolChoice
      // the `type` must be absent (it conflicts); without one it is required.
      plan.additionalFields = {
        tool_choice: bedrockChoice
          ? { disable_parallel_tool_use: true }
          : { type: "auto", disable_parallel_tool_use: true },
      };
    } else {
      warnings.push("parallel_tool_calls false not enforced: this model has no such control");
    }
  }
  return plan;
}

function checkUniqueNames(defined: ChatTool[]): void {
  const seen = new Set<string>();
  defined.forEach((t, i) => {
    if (seen.has(t.function.name)) {
      throw new InvalidRequestError(
        `Tool name '${t.function.name}' is defined twice.`,
        `tools[${i}].function.name`,
        "invalid_value",
      );
    }
    seen.add(t.function.name);
  });
}

export function toolSpec(
  t: ChatTool,
  i: number,
  caps: ModelCapabilities,
  warnings: string[],
): Tool {
  const { name, description, parameters, strict } = t.function;
  if (!TOOL_NAME.test(name)) {
    throw new InvalidRequestError(
      `Tool name '${name}' is invalid: use 1-64 letters, digits, '_' or '-'.`,
      `tools[${i}].function.name`,
      "invalid_value",
    );
  }
  const schema = parameters ?? { type: "object", properties: {} };
  if (strict === true && !caps.nativeStructuredOutput) {
    warnings.push(`tools[${i}] strict ignored: this model has no strict tool use`);
  }
  return {
    toolSpec: {
      name,
      // Bedrock rejects an empty description; omit it instead.
      ...(description && description.trim() !== "" ? { description } : {}),
      inputSchema: { json: schema as JsonDoc },
      ...(strict === true && caps.nativeStructuredOutput ? { strict: true } : {}),
    },
  };
}

/** Declarations for tools the history calls; their schema is unknown, so permissive. */
export function historyToolSpecs(messages: Message[]): Tool[] {
  const names = new Set<string>();
  for (const m of messages)
    for (const b of m.content ?? []) if (b.toolUse?.name) names.add(b.toolUse.name);
  return [...names].map((name) => ({
    toolSpec: { name, inputSchema: { json: { type: "object", properties: {} } } },
  }));
}
