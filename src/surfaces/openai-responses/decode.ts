/**
 * Responses wire request → the gateway's conversation (today the chat
 * translator's request type, which owns every Bedrock rule: tool pairing,
 * cache points, thinking signatures, structured output). Pure apart from
 * opening sealed reasoning.
 *
 * What this module owns is the Responses-only part:
 * - input items (messages with or without `type`, function / custom tool calls
 *   and outputs, reasoning items) → turns; consecutive assistant-side items
 *   (reasoning, message, calls) form one assistant turn;
 * - `instructions` and system / developer items → system blocks, in order;
 * - tools: `function` as is, `custom` as a tool with one string field `input`
 *   (its grammar in the description), `namespace` flattened to Bedrock-valid
 *   names; hosted tools dropped with a warning (never a 400);
 * - `reasoning` items carrying our `encrypted_content` → signed thinking blocks.
 *
 * @module
 */
import type { ChatMessage, ChatRequest, UserContentPart } from "../../chat/schema";
import type { ThinkingBlock } from "../../chat/types";
import { InvalidRequestError } from "../../errors";
import type { ResponsesRequest, ResponsesTool } from "./schema";
import type { ReasoningSealer } from "./seal";

/** How a tool offered to Bedrock maps back to the Responses wire. */
export interface ToolTarget {
  kind: "function" | "custom";
  name: string;
  namespace?: string;
}

/** Bedrock tool name → Responses tool, and back. */
export class ToolNames {
  readonly byBedrock = new Map<string, ToolTarget>();
  readonly #toBedrock = new Map<string, string>();

  add(target: ToolTarget, bedrockName: string): void {
    this.byBedrock.set(bedrockName, target);
    this.#toBedrock.set(key(target.name, target.namespace), bedrockName);
  }

  /** The Bedrock name of a tool (as offered, or flattened the same way for history). */
  bedrockName(name: string, namespace: string | undefined): string {
    return this.#toBedrock.get(key(name, namespace)) ?? flatName(name, namespace);
  }

  target(bedrockName: string): ToolTarget {
    return this.byBedrock.get(bedrockName) ?? { kind: "function", name: bedrockName };
  }
}

function key(name: string, namespace: string | undefined): string {
  return namespace ? `${namespace}\u0000${name}` : name;
}

const VALID = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * A name Bedrock accepts (`[a-zA-Z0-9_-]{1,64}`): `namespace__name`, invalid
 * characters replaced, and a hash suffix when it had to be shortened or changed.
 */
export function flatName(name: string, namespace: string | undefined): string {
  const joined = namespace ? `${namespace}__${name}` : name;
  if (VALID.test(joined)) return joined;
  const hash = Bun.hash.crc32(joined).toString(16).padStart(8, "0");
  return `${joined.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 55)}_${hash}`;
}

/** Description of a custom tool's one string field. */
function customInputDescription(tool: Extract<ResponsesTool, { type: "custom" }>): string {
  const f = tool.format;
  if (f && f.type === "grammar" && "definition" in f) {
    return `The raw input for this tool, as plain text (not JSON). It must match this ${String(f.syntax)} grammar:\n${String(f.definition)}`;
  }
  return "The raw input for this tool, as plain text.";
}

/** Hosted tools run by OpenAI's servers: Bedrock cannot run them. */
const HOSTED = new Set([
  "web_search",
  "web_search_preview",
  "web_search_2025_08_26",
  "web_search_preview_2025_03_11",
  "file_search",
  "code_interpreter",
  "tool_search",
  "image_generation",
  "computer",
  "computer_use",
  "computer_use_preview",
  "mcp",
  "local_shell",
  "shell",
  "apply_patch",
]);

export interface Decoded {
  chat: ChatRequest;
  tools: ToolNames;
  warnings: string[];
  /** The input items of this request, normalised to objects (for input_items). */
  items: Record<string, unknown>[];
}

export interface DecodeContext {
  sealer: ReasoningSealer;
  /** Turns replayed from previous_response_id, placed before this request's input. */
  history?: ChatMessage[];
}

export function decodeRequest(req: ResponsesRequest, ctx: DecodeContext): Decoded {
  const warnings: string[] = [];
  const tools = new ToolNames();
  const chatTools = decodeTools(req.tools ?? [], tools, warnings);
  const items = normaliseInput(req.input);
  const messages: ChatMessage[] = [];
  if (req.instructions != null && req.instructions.trim() !== "") {
    messages.push({ role: "system", content: req.instructions });
  }
  messages.push(...(ctx.history ?? []));
  messages.push(...decodeItems(items, tools, ctx.sealer, warnings));
  if (messages.every((m) => m.role === "system" || m.role === "developer")) {
    throw new InvalidRequestError(
      "input must contain at least one message.",
      "input",
      "missing_input",
    );
  }

  const chat: ChatRequest = { messages };
  if (req.model) chat.model = req.model;
  if (req.stream) chat.stream = true;
  if (chatTools.length > 0) chat.tools = chatTools;
  const choice = decodeToolChoice(req.tool_choice, tools, warnings);
  if (choice !== undefined) chat.tool_choice = choice;
  if (req.parallel_tool_calls != null) chat.parallel_tool_calls = req.parallel_tool_calls;
  if (req.max_output_tokens != null) chat.max_completion_tokens = req.max_output_tokens;
  if (req.temperature != null) chat.temperature = req.temperature;
  if (req.top_p != null) chat.top_p = req.top_p;
  if (req.reasoning?.effort != null) chat.reasoning_effort = req.reasoning.effort;
  if (req.metadata != null && Object.keys(req.metadata).length > 0) chat.metadata = req.metadata;
  if (req.service_tier != null) chat.service_tier = req.service_tier;
  const format = req.text?.format;
  if (format && format.type !== "text") {
    chat.response_format =
      format.type === "json_object"
        ? { type: "json_object" }
        : {
            type: "json_schema",
            json_schema: {
              name: format.name,
              schema: format.schema,
              ...(format.description != null ? { description: format.description } : {}),
              ...(format.strict != null ? { strict: format.strict } : {}),
            },
          };
  }
  return { chat, tools, warnings, items };
}

// ---- tools --------------------------------------------------------------------------

type ChatTool = NonNullable<ChatRequest["tools"]>[number];

function decodeTools(defs: ResponsesTool[], names: ToolNames, warnings: string[]): ChatTool[] {
  const out: ChatTool[] = [];
  const dropped: string[] = [];
  const add = (tool: ResponsesTool, namespace: string | undefined) => {
    if (tool.type === "function" && "name" in tool) {
      const t = tool as Extract<ResponsesTool, { type: "function" }>;
      const name = flatName(t.name, namespace);
      names.add({ kind: "function", name: t.name, ...(namespace ? { namespace } : {}) }, name);
      out.push({
        type: "function",
        function: {
          name,
          ...(t.description != null ? { description: t.description } : {}),
          ...(t.parameters != null ? { parameters: t.parameters } : {}),
          ...(t.strict != null ? { strict: t.strict } : {}),
        },
      });
    } else if (tool.type === "custom" && "name" in tool) {
      const t = tool as Extract<ResponsesTool, { type: "custom" }>;
      const name = flatName(t.name, namespace);
      names.add({ kind: "custom", name: t.name, ...(namespace ? { namespace } : {}) }, name);
      out.push({
        type: "function",
        function: {
          name,
          ...(t.description != null ? { description: t.description } : {}),
          parameters: {
            type: "object",
            properties: { input: { type: "string", description: customInputDescription(t) } },
            required: ["input"],
            additionalProperties: false,
          },
        },
      });
    } else {
      dropped.push(tool.type);
    }
  };
  for (const tool of defs) {
    if (tool.type === "namespace" && "tools" in tool && Array.isArray(tool.tools)) {
      const ns = tool as Extract<ResponsesTool, { type: "namespace" }>;
      for (const inner of ns.tools) add(inner, ns.name);
    } else if (HOSTED.has(tool.type) || (tool.type !== "function" && tool.type !== "custom")) {
      dropped.push(tool.type);
    } else {
      add(tool, undefined);
    }
  }
  if (dropped.length > 0) {
    warnings.push(
      `hosted tools dropped (Bedrock cannot run them): ${[...new Set(dropped)].join(", ")}`,
    );
  }
  return out;
}

function decodeToolChoice(
  choice: ResponsesRequest["tool_choice"],
  names: ToolNames,
  warnings: string[],
): ChatRequest["tool_choice"] | undefined {
  if (choice == null) return undefined;
  if (typeof choice === "string") return choice;
  const c = choice as Record<string, unknown>;
  if ((c.type === "function" || c.type === "custom") && typeof c.name === "string") {
    return { type: "function", function: { name: names.bedrockName(c.name, undefined) } };
  }
  if (c.type === "allowed_tools" && Array.isArray(c.tools)) {
    const tools = (c.tools as Record<string, unknown>[])
      .filter((t) => (t.type === "function" || t.type === "custom") && typeof t.name === "string")
      .map((t) => ({
        type: "function" as const,
        function: { name: names.bedrockName(String(t.name), undefined) },
      }));
    if (tools.length === 0) return c.mode === "required" ? "required" : "auto";
    return {
      type: "allowed_tools",
      allowed_tools: { mode: c.mode === "required" ? "required" : "auto", tools },
    };
  }
  warnings.push(`tool_choice '${String(c.type)}' names a hosted tool; relaxed to auto`);
  return "auto";
}

// ---- input items --------------------------------------------------------------------

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function normaliseInput(input: ResponsesRequest["input"]): Record<string, unknown>[] {
  if (input === undefined) return [];
  if (typeof input === "string") {
    return [{ type: "message", role: "user", content: [{ type: "input_text", text: input }] }];
  }
  return input.map((item, i) => {
    if (!isRecord(item)) {
      throw new InvalidRequestError(
        "Each input item must be an object.",
        `input[${i}]`,
        "invalid_type",
      );
    }
    return item;
  });
}

function str(v: unknown, param: string): string {
  if (typeof v !== "string") {
    throw new InvalidRequestError(`'${param}' must be a string.`, param, "invalid_type");
  }
  return v;
}

type AssistantTurn = Extract<ChatMessage, { role: "assistant" }>;

function decodeItems(
  items: Record<string, unknown>[],
  names: ToolNames,
  sealer: ReasoningSealer,
  warnings: string[],
): ChatMessage[] {
  const out: ChatMessage[] = [];
  let assistant: AssistantTurn | undefined;
  let texts: string[] = [];
  let thinking: ThinkingBlock[] = [];
  const open = (): AssistantTurn => {
    assistant ??= { role: "assistant", content: null };
    return assistant;
  };
  const flush = () => {
    if (assistant) {
      if (texts.length > 0) assistant.content = texts.join("");
      if (thinking.length > 0) assistant.thinking_blocks = thinking;
      out.push(assistant);
    }
    assistant = undefined;
    texts = [];
    thinking = [];
  };
  const skipped = new Set<string>();

  items.forEach((item, i) => {
    const p = `input[${i}]`;
    const type = item.type ?? (item.role !== undefined ? "message" : undefined);
    switch (type) {
      case "message": {
        const role = item.role;
        if (role === "assistant") {
          open();
          texts.push(...assistantTexts(item.content, `${p}.content`));
          return;
        }
        flush();
        if (role === "system" || role === "developer") {
          out.push({ role, content: systemText(item.content, `${p}.content`) });
        } else if (role === "user") {
          out.push({ role: "user", content: userContent(item.content, `${p}.content`) });
        } else {
          throw new InvalidRequestError(
            `Unsupported role '${String(role)}'; use user, assistant, system or developer.`,
            `${p}.role`,
            "invalid_value",
          );
        }
        return;
      }
      case "reasoning": {
        const sealed = item.encrypted_content;
        if (typeof sealed === "string" && sealed !== "") {
          open();
          thinking.push(...sealer.open(sealed, `${p}.encrypted_content`));
        }
        return;
      }
      case "function_call":
      case "custom_tool_call": {
        const a = open();
        const name = str(item.name, `${p}.name`);
        const ns = typeof item.namespace === "string" ? item.namespace : undefined;
        const args =
          type === "function_call"
            ? typeof item.arguments === "string"
              ? item.arguments
              : ""
            : JSON.stringify({ input: typeof item.input === "string" ? item.input : "" });
        a.tool_calls = [
          ...(a.tool_calls ?? []),
          {
            id: str(item.call_id, `${p}.call_id`),
            type: "function",
            function: { name: names.bedrockName(name, ns), arguments: args },
          },
        ];
        return;
      }
      case "function_call_output":
      case "custom_tool_call_output": {
        flush();
        out.push({
          role: "tool",
          tool_call_id: str(item.call_id, `${p}.call_id`),
          content: toolOutput(item.output, `${p}.output`),
        });
        return;
      }
      case "item_reference":
        throw new InvalidRequestError(
          "item_reference input items are not supported; send the item itself or use previous_response_id.",
          `${p}.type`,
          "unsupported_value",
        );
      default:
        // Outputs of hosted tools (web_search_call …) and other items Bedrock has no use for.
        skipped.add(String(type));
    }
  });
  flush();
  if (skipped.size > 0) warnings.push(`input items ignored: ${[...skipped].join(", ")}`);
  return out;
}

function parts(content: unknown, param: string): Record<string, unknown>[] {
  if (typeof content === "string") return [{ type: "input_text", text: content }];
  if (!Array.isArray(content)) {
    throw new InvalidRequestError(
      `'${param}' must be a string or an array of parts.`,
      param,
      "invalid_type",
    );
  }
  return content.map((p, j) => {
    if (!isRecord(p))
      throw new InvalidRequestError(
        "Each content part must be an object.",
        `${param}[${j}]`,
        "invalid_type",
      );
    return p;
  });
}

function partText(p: Record<string, unknown>): string | undefined {
  if (typeof p.text === "string") return p.text;
  if (typeof p.refusal === "string") return p.refusal;
  return undefined;
}

function assistantTexts(content: unknown, param: string): string[] {
  if (content == null) return [];
  return parts(content, param)
    .map(partText)
    .filter((t): t is string => t !== undefined);
}

function systemText(content: unknown, param: string): string {
  return parts(content, param)
    .map((p, j) => {
      const t = partText(p);
      if (t === undefined) {
        throw new InvalidRequestError(
          "System and developer messages take text parts only.",
          `${param}[${j}]`,
          "invalid_value",
        );
      }
      return t;
    })
    .join("\n");
}

function userContent(content: unknown, param: string): UserContentPart[] {
  return parts(content, param).map((p, j) => userPart(p, `${param}[${j}]`));
}

function userPart(p: Record<string, unknown>, param: string): UserContentPart {
  switch (p.type) {
    case "input_text":
    case "output_text":
    case "text":
      return { type: "text", text: str(p.text, `${param}.text`) };
    case "input_image": {
      if (typeof p.image_url !== "string" || p.image_url === "") {
        throw new InvalidRequestError(
          "input_image needs image_url (a data: or http(s) URL); file_id is not supported.",
          param,
          "unsupported_value",
        );
      }
      const detail = p.detail === "low" || p.detail === "high" ? p.detail : undefined;
      return { type: "image_url", image_url: { url: p.image_url, ...(detail ? { detail } : {}) } };
    }
    case "input_file": {
      if (typeof p.file_data !== "string") {
        throw new InvalidRequestError(
          "input_file needs file_data (a base64 data: URL); file_id and file_url are not supported.",
          param,
          "unsupported_value",
        );
      }
      return {
        type: "file",
        file: {
          file_data: p.file_data,
          ...(typeof p.filename === "string" ? { filename: p.filename } : {}),
        },
      };
    }
    default:
      throw new InvalidRequestError(
        `Unsupported content part type '${String(p.type)}'.`,
        `${param}.type`,
        "unsupported_value",
      );
  }
}

type ToolContent = Extract<ChatMessage, { role: "tool" }>["content"];

function toolOutput(output: unknown, param: string): ToolContent {
  if (typeof output === "string") return output;
  const out: Exclude<ToolContent, string> = [];
  parts(output, param).forEach((p, j) => {
    const part = userPart(p, `${param}[${j}]`);
    if (part.type === "text" || part.type === "image_url") out.push(part);
    else {
      throw new InvalidRequestError(
        "Tool outputs take text and image parts.",
        `${param}[${j}]`,
        "unsupported_value",
      );
    }
  });
  return out;
}
