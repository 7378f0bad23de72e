/**
 * Tools: tool definitions, tool choice, parallel tool calls and the tool
 * history → Converse. Pure.
 *
 * Decisions (README "Tools"):
 * - tool choice "none" and models without tool support: the tool history is
 *   rewritten as plain text and no toolConfig is sent, so the model really
 *   cannot call a tool (Bedrock has no "none" choice).
 * - A tool error is what the client marked as one (`isError`); we never
 *   guess from the text.
 * - A tool result whose text is a JSON object goes as a `json` block to models
 *   that accept rich tool results; everywhere else it stays text.
 * - Orphans are repaired: a result with no matching call in the previous
 *   assistant turn becomes text; a call with no result gets a placeholder
 *   error result. Bedrock rejects both otherwise.
 * - Client tool-call ids that break Bedrock's id pattern are mapped to a
 *   deterministic valid id (the same on both sides of the pair).
 * - Free-form (custom) tools become a tool with one string argument, `input`.
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
import type { ToolCallPart, ToolDefinition, ToolResultPart } from "../conversation";
import { InvalidRequestError } from "../errors";
import { isRecord } from "../json";
import type { ModelCapabilities } from "../models/capabilities";
import { imageBlock } from "./images";
import { additionalFields, copyInput, type Pass } from "./input";

/** Bedrock's tool-name pattern. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
/** Bedrock's toolUseId pattern. */
const TOOL_USE_ID = /^[a-zA-Z0-9_-]{1,64}$/;

/** Sent as the result of a call the client never answered. */
export const MISSING_RESULT_TEXT = "No result was provided for this tool call.";

/** The argument a free-form (custom) tool's text travels in. */
export const CUSTOM_TOOL_INPUT = "input";

type JsonDoc = NonNullable<ContentBlock.ToolUseMember["toolUse"]["input"]>;

/** A client id Bedrock accepts is kept as is; any other maps to a stable valid one. */
export function bedrockToolUseId(id: string): string {
  if (TOOL_USE_ID.test(id)) return id;
  const hash = Bun.hash(id).toString(36);
  return `${id.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 40)}_${hash}`.slice(0, 64);
}

/** A tool call of the history → a toolUse block. */
export function toolUseBlock(call: ToolCallPart): ContentBlock {
  if (!TOOL_NAME.test(call.name)) {
    throw new InvalidRequestError(
      `Tool name '${call.name}' is invalid: use 1-64 letters, digits, '_' or '-'.`,
      call.param ? `${call.param}.name` : null,
      "invalid_value",
    );
  }
  const input = typeof call.input === "string" ? { [CUSTOM_TOOL_INPUT]: call.input } : call.input;
  return {
    toolUse: { toolUseId: bedrockToolUseId(call.id), name: call.name, input: input as JsonDoc },
  };
}

function textResult(text: string, caps: ModelCapabilities): ToolResultContentBlock {
  if (caps.richToolResults && /^\s*\{/.test(text)) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (isRecord(parsed)) return { json: parsed as JsonDoc };
    } catch {
      // not JSON: plain text
    }
  }
  return { text };
}

/** A tool result → one toolResult block (text, JSON, images; error status when marked). */
export function toolResultBlock(part: ToolResultPart, caps: ModelCapabilities): ContentBlock {
  const content: ToolResultContentBlock[] = [];
  for (const item of part.content) {
    if (item.type === "text") {
      if (item.text.trim() !== "") content.push(textResult(item.text, caps));
      continue;
    }
    if (!caps.richToolResults || !caps.imageInput) {
      throw new InvalidRequestError(
        "This model does not accept images in tool results.",
        item.param,
        "unsupported_content",
      );
    }
    const block = imageBlock(item);
    if (block.image) content.push({ image: block.image });
  }
  const error = part.isError === true;
  if (error && !caps.richToolResults) content.unshift({ text: "The tool call failed." });
  return {
    toolResult: {
      toolUseId: bedrockToolUseId(part.toolCallId),
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

/**
 * Repairs or flattens the tool history, as the tool settings require. After
 * the messages pass.
 */
export const toolHistoryPass: Pass = (input, conv, ctx) => {
  const warnings: string[] = [];
  const { caps } = ctx;
  if (!hasToolBlocks(input.messages ?? [])) return { input, warnings };
  const next = copyInput(input);
  const messages = next.messages ?? [];
  if (conv.toolChoice?.type === "none" || !caps.tools) {
    flattenToolHistory(messages);
    warnings.push(
      caps.tools
        ? "tool_choice none: tool history sent as text so no tool can be called"
        : "this model does not support tools; tool history sent as text",
    );
    return { input: next, warnings };
  }
  repairToolPairs(messages, caps, warnings);
  return { input: next, warnings };
};

/**
 * toolConfig for the request (and Anthropic's parallel tool control in
 * additionalModelRequestFields). After {@link toolHistoryPass}: the tools the
 * history still uses must be declared.
 */
export const toolConfigPass: Pass = (input, conv, ctx) => {
  const warnings: string[] = [];
  const { caps } = ctx;
  const messages = input.messages ?? [];
  const defined = conv.tools;
  const choice = conv.toolChoice;
  const historyUsesTools = hasToolBlocks(messages);

  if (defined.length === 0) {
    if (choice !== undefined && choice.type !== "none" && choice.type !== "auto") {
      throw new InvalidRequestError("tool_choice requires tools.", "tool_choice", "invalid_value");
    }
    if (!historyUsesTools) return { input, warnings };
    // Bedrock rejects tool blocks without a toolConfig: declare the tools the history used.
    return { input: { ...input, toolConfig: { tools: historyToolSpecs(messages) } }, warnings };
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
  if (choice?.type === "none") return { input, warnings };

  let specs: ToolDefinition[] = defined;
  let bedrockChoice: BedrockToolChoice | undefined;
  if (choice?.type === "required") bedrockChoice = { any: {} };
  else if (choice?.type === "tool") {
    const name = choice.name;
    if (!defined.some((t) => t.name === name)) {
      throw new InvalidRequestError(
        `tool_choice names '${name}', which is not in tools.`,
        "tool_choice",
        "invalid_value",
      );
    }
    bedrockChoice = { tool: { name } };
  } else if (choice?.type === "allowed") {
    const allowed = new Set(choice.names);
    specs = defined.filter((t) => allowed.has(t.name));
    if (specs.length === 0) {
      throw new InvalidRequestError(
        "allowed_tools matches none of the tools.",
        "tool_choice",
        "invalid_value",
      );
    }
    if (choice.mode === "required") bedrockChoice = { any: {} };
  }
  if (bedrockChoice && !caps.toolChoice) {
    warnings.push("this model only supports tool_choice auto; the requested choice was relaxed");
    bedrockChoice = undefined;
  }
  const config: ToolConfiguration = {
    tools: specs.map((t) => toolSpec(t, caps, warnings)),
  };
  // Tools that only the history still references must be declared too.
  const declared = new Set(specs.map((t) => t.name));
  for (const extra of historyToolSpecs(messages)) {
    if (extra.toolSpec?.name && !declared.has(extra.toolSpec.name)) config.tools?.push(extra);
  }
  if (bedrockChoice) config.toolChoice = bedrockChoice;
  const next: typeof input = { ...input, toolConfig: config };
  if (conv.parallelToolCalls === false) {
    if (caps.parallelToolControl) {
      // Bedrock merges this into Anthropic's tool_choice. With a toolConfig.toolChoice
      // the `type` must be absent (it conflicts); without one it is required.
      next.additionalModelRequestFields = copyInput(input.additionalModelRequestFields);
      Object.assign(additionalFields(next), {
        tool_choice: bedrockChoice
          ? { disable_parallel_tool_use: true }
          : { type: "auto", disable_parallel_tool_use: true },
      });
    } else {
      warnings.push("parallel_tool_calls false not enforced: this model has no such control");
    }
  }
  return { input: next, warnings };
};

function checkUniqueNames(defined: readonly ToolDefinition[]): void {
  const seen = new Set<string>();
  for (const t of defined) {
    if (seen.has(t.name)) {
      throw new InvalidRequestError(
        `Tool name '${t.name}' is defined twice.`,
        `${t.fieldParam}.name`,
        "invalid_value",
      );
    }
    seen.add(t.name);
  }
}

/** The Converse toolSpec of a tool definition. */
export function toolSpec(t: ToolDefinition, caps: ModelCapabilities, warnings: string[]): Tool {
  const { name, description } = t;
  if (!TOOL_NAME.test(name)) {
    throw new InvalidRequestError(
      `Tool name '${name}' is invalid: use 1-64 letters, digits, '_' or '-'.`,
      `${t.fieldParam}.name`,
      "invalid_value",
    );
  }
  const schema =
    t.kind === "custom"
      ? {
          type: "object",
          properties: { [CUSTOM_TOOL_INPUT]: { type: "string" } },
          required: [CUSTOM_TOOL_INPUT],
        }
      : (t.inputSchema ?? { type: "object", properties: {} });
  const strict = t.kind === "function" && t.strict === true;
  if (strict && !caps.nativeStructuredOutput) {
    warnings.push(`${t.param} strict ignored: this model has no strict tool use`);
  }
  return {
    toolSpec: {
      name,
      // Bedrock rejects an empty description; omit it instead.
      ...(description && description.trim() !== "" ? { description } : {}),
      inputSchema: { json: schema as JsonDoc },
      ...(strict && caps.nativeStructuredOutput ? { strict: true } : {}),
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
