/**
 * Responses wire request → the conversation model. Reads the wire and keeps
 * the client's words for errors (`input[3].call_id`); decides nothing about
 * Bedrock (src/converse/ does: tool pairing, cache points, thinking
 * signatures, structured output).
 *
 * What this module owns is the Responses-only part:
 * - input items (messages with or without `type`, function / custom tool calls
 *   and outputs, reasoning items) → turns; consecutive assistant-side items
 *   (reasoning, message, calls) form one assistant turn;
 * - `instructions` and system / developer items → system parts, in order;
 * - tools: `function` as is, `custom` as a free-form tool (its grammar in the
 *   description), `namespace` flattened to Bedrock-valid names and mapped
 *   back; hosted tools dropped with a warning (never a 400);
 * - `reasoning` items carrying our `encrypted_content` → signed reasoning parts.
 *
 * @module
 */
import type {
  AssistantPart,
  Conversation,
  ImagePart,
  JsonObject,
  SystemPart,
  TextPart,
  ToolChoice,
  ToolDefinition,
  Turn,
  UserPart,
} from "../../conversation";
import { InvalidRequestError } from "../../errors";
import { isRecord, type Json } from "../../json";
import type { ResponsesRequest, ResponsesTool } from "./schema";
import type { ReasoningSealer, SealedReasoning } from "./seal";

/** How a tool offered to Bedrock maps back to the Responses wire. */
export interface ToolTarget {
  kind: "function" | "custom";
  name: string;
  namespace?: string;
}

/** Bedrock tool name ↔ Responses tool (name, namespace, kind). */
export class ToolNames {
  readonly #byBedrock = new Map<string, ToolTarget>();
  readonly #toBedrock = new Map<string, string>();

  add(target: ToolTarget, bedrockName: string): void {
    this.#byBedrock.set(bedrockName, target);
    this.#toBedrock.set(key(target.name, target.namespace), bedrockName);
  }

  /** The Bedrock name of a tool (as offered, or flattened the same way for history). */
  bedrockName(name: string, namespace: string | undefined): string {
    return this.#toBedrock.get(key(name, namespace)) ?? flatName(name, namespace);
  }

  target(bedrockName: string): ToolTarget {
    return this.#byBedrock.get(bedrockName) ?? { kind: "function", name: bedrockName };
  }
}

function key(name: string, namespace: string | undefined): string {
  return namespace ? `${namespace}\u0000${name}` : name;
}

const VALID = /^[a-zA-Z0-9_-]{1,64}$/;

/**
 * A name Bedrock accepts (`[a-zA-Z0-9_-]{1,64}`): `namespace__name`, with
 * invalid characters replaced and a hash suffix when it had to be changed.
 */
export function flatName(name: string, namespace: string | undefined): string {
  const joined = namespace ? `${namespace}__${name}` : name;
  if (VALID.test(joined)) return joined;
  const hash = Bun.hash.crc32(joined).toString(16).padStart(8, "0");
  return `${joined.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 55)}_${hash}`;
}

/** Hosted tools run by OpenAI's servers: Bedrock cannot run them. */
function isClientTool(type: string): boolean {
  return type === "function" || type === "custom" || type === "namespace";
}

export interface Decoded {
  conversation: Conversation;
  tools: ToolNames;
  warnings: string[];
  /** The input items of this request, as objects (for input_items). */
  items: Json[];
  /** What previous_response_id replays later (everything but `instructions`). */
  replay: Replay;
}

/** The stored part of a conversation: system items and turns (JSON-safe: URLs, not bytes). */
export interface Replay {
  system: SystemPart[];
  turns: Turn[];
}

export interface DecodeContext {
  sealer: ReasoningSealer;
  /** The stored conversation previous_response_id names, placed before this input. */
  history?: Replay;
}

export function decodeResponsesRequest(req: ResponsesRequest, ctx: DecodeContext): Decoded {
  const warnings: string[] = [];
  const names = new ToolNames();
  const tools = decodeTools(req.tools ?? [], names, warnings);
  const items = normaliseInput(req.input);
  const replay: Replay = {
    system: [...(ctx.history?.system ?? [])],
    turns: [...(ctx.history?.turns ?? [])],
  };
  decodeItems(items, names, ctx.sealer, replay, warnings);
  if (replay.turns.length === 0) {
    throw new InvalidRequestError(
      "input must contain at least one message.",
      "input",
      "missing_input",
    );
  }
  const system: SystemPart[] = [];
  if (req.instructions != null && req.instructions.trim() !== "")
    system.push({ type: "text", text: req.instructions });
  system.push(...replay.system);

  const conversation: Conversation = {
    system,
    turns: replay.turns,
    tools,
    reasoning: {},
    limits: {},
    sampling: {},
    bedrock: {},
    stream: req.stream === true,
  };
  const choice = decodeToolChoice(req.tool_choice, names, warnings);
  if (choice) conversation.toolChoice = choice;
  if (req.parallel_tool_calls === false) conversation.parallelToolCalls = false;
  if (req.max_output_tokens != null) conversation.limits.maxTokens = req.max_output_tokens;
  conversation.limits.maxTokensParam = "max_output_tokens";
  if (req.temperature != null) conversation.sampling.temperature = req.temperature;
  if (req.top_p != null) conversation.sampling.topP = req.top_p;
  if (req.reasoning?.effort != null) conversation.reasoning.effort = req.reasoning.effort;
  if (req.service_tier != null)
    conversation.bedrock.serviceTier = { value: req.service_tier, param: "service_tier" };
  if (req.metadata != null && Object.keys(req.metadata).length > 0)
    conversation.bedrock.requestMetadata = [{ value: req.metadata, param: "metadata" }];
  const format = req.text?.format;
  if (format?.type === "json_object") conversation.outputFormat = { type: "json-object" };
  else if (format?.type === "json_schema") {
    conversation.outputFormat = {
      type: "json-schema",
      name: format.name,
      schema: format.schema,
      ...(format.description != null ? { description: format.description } : {}),
      ...(format.strict != null ? { strict: format.strict } : {}),
    };
  }
  return { conversation, tools: names, warnings, items, replay };
}

// ---- tools --------------------------------------------------------------------------

type FunctionTool = Extract<ResponsesTool, { type: "function"; name: string }>;
type CustomTool = Extract<ResponsesTool, { type: "custom"; name: string }>;

/** A custom tool's description, with its grammar (the model sees only a string field). */
function customDescription(t: CustomTool): string | undefined {
  const f = t.format;
  const grammar =
    f && f.type === "grammar" && "definition" in f
      ? `Send the input as raw text in the \`input\` field. It must match this ${String(f.syntax)} grammar:\n${String(f.definition)}`
      : undefined;
  const parts = [t.description ?? undefined, grammar].filter(
    (s): s is string => !!s && s.trim() !== "",
  );
  return parts.length > 0 ? parts.join("\n\n") : undefined;
}

function decodeTools(
  defs: ResponsesTool[],
  names: ToolNames,
  warnings: string[],
): ToolDefinition[] {
  const out: ToolDefinition[] = [];
  const dropped = new Set<string>();
  const add = (tool: ResponsesTool, param: string, namespace: string | undefined) => {
    const ns = namespace ? { namespace } : {};
    if (tool.type === "function" && "name" in tool) {
      const t = tool as FunctionTool;
      const name = flatName(t.name, namespace);
      names.add({ kind: "function", name: t.name, ...ns }, name);
      out.push({
        kind: "function",
        name,
        ...(t.description != null ? { description: t.description } : {}),
        ...(t.parameters != null ? { inputSchema: t.parameters as JsonObject } : {}),
        ...(t.strict != null ? { strict: t.strict } : {}),
        param,
        fieldParam: param,
      });
    } else if (tool.type === "custom" && "name" in tool) {
      const t = tool as CustomTool;
      const name = flatName(t.name, namespace);
      names.add({ kind: "custom", name: t.name, ...ns }, name);
      const description = customDescription(t);
      out.push({
        kind: "custom",
        name,
        ...(description ? { description } : {}),
        ...(t.format != null ? { format: t.format } : {}),
        param,
        fieldParam: param,
      });
    } else {
      dropped.add(tool.type);
    }
  };
  defs.forEach((tool, i) => {
    if (tool.type === "namespace" && "tools" in tool && Array.isArray(tool.tools)) {
      tool.tools.forEach((inner, j) => {
        add(inner as ResponsesTool, `tools[${i}].tools[${j}]`, String(tool.name));
      });
    } else if (!isClientTool(tool.type)) dropped.add(tool.type);
    else add(tool, `tools[${i}]`, undefined);
  });
  if (dropped.size > 0)
    warnings.push(`hosted tools dropped (Bedrock cannot run them): ${[...dropped].join(", ")}`);
  return out;
}

function decodeToolChoice(
  choice: ResponsesRequest["tool_choice"],
  names: ToolNames,
  warnings: string[],
): ToolChoice | undefined {
  if (choice == null) return undefined;
  if (typeof choice === "string") return { type: choice };
  const c = choice as Json;
  if ((c.type === "function" || c.type === "custom") && typeof c.name === "string")
    return { type: "tool", name: names.bedrockName(c.name, undefined) };
  if (c.type === "allowed_tools" && Array.isArray(c.tools)) {
    const picked = (c.tools as Json[])
      .filter((t) => (t.type === "function" || t.type === "custom") && typeof t.name === "string")
      .map((t) => names.bedrockName(String(t.name), undefined));
    const mode = c.mode === "required" ? "required" : "auto";
    return picked.length > 0 ? { type: "allowed", names: picked, mode } : { type: mode };
  }
  warnings.push(`tool_choice '${String(c.type)}' names a hosted tool; relaxed to auto`);
  return { type: "auto" };
}

// ---- input items --------------------------------------------------------------------

function normaliseInput(input: ResponsesRequest["input"]): Json[] {
  if (input === undefined) return [];
  if (typeof input === "string")
    return [{ type: "message", role: "user", content: [{ type: "input_text", text: input }] }];
  return input.map((item, i) => {
    if (!isRecord(item))
      throw new InvalidRequestError(
        "Each input item must be an object.",
        `input[${i}]`,
        "invalid_type",
      );
    return item;
  });
}

function str(v: unknown, param: string): string {
  if (typeof v !== "string")
    throw new InvalidRequestError(`'${param}' must be a string.`, param, "invalid_type");
  return v;
}

function decodeItems(
  items: Json[],
  names: ToolNames,
  sealer: ReasoningSealer,
  into: Replay,
  warnings: string[],
): void {
  // The assistant turn being built: reasoning first (Claude requires it), then text, then calls.
  let reasoning: SealedReasoning[] = [];
  let texts: TextPart[] = [];
  let calls: AssistantPart[] = [];
  let open = false;
  const flush = () => {
    if (open) into.turns.push({ role: "assistant", content: [...reasoning, ...texts, ...calls] });
    reasoning = [];
    texts = [];
    calls = [];
    open = false;
  };
  const skipped = new Set<string>();

  items.forEach((item, i) => {
    const p = `input[${i}]`;
    const type = item.type ?? (item.role !== undefined ? "message" : undefined);
    switch (type) {
      case "message": {
        if (item.role === "assistant") {
          open = true;
          for (const t of assistantTexts(item.content, `${p}.content`))
            texts.push({ type: "text", text: t });
          return;
        }
        flush();
        if (item.role === "system" || item.role === "developer") {
          into.system.push({ type: "text", text: systemText(item.content, `${p}.content`) });
        } else if (item.role === "user") {
          into.turns.push({ role: "user", content: userParts(item.content, `${p}.content`) });
        } else {
          throw new InvalidRequestError(
            `Unsupported role '${String(item.role)}'; use user, assistant, system or developer.`,
            `${p}.role`,
            "invalid_value",
          );
        }
        return;
      }
      case "reasoning": {
        const sealed = item.encrypted_content;
        if (typeof sealed === "string" && sealed !== "") {
          open = true;
          reasoning.push(...sealer.open(sealed, `${p}.encrypted_content`));
        }
        return;
      }
      case "function_call":
      case "custom_tool_call": {
        open = true;
        const name = str(item.name, `${p}.name`);
        const ns = typeof item.namespace === "string" ? item.namespace : undefined;
        calls.push({
          type: "tool-call",
          id: str(item.call_id, `${p}.call_id`),
          name: names.bedrockName(name, ns),
          input:
            type === "function_call"
              ? parseArguments(item.arguments, `${p}.arguments`)
              : typeof item.input === "string"
                ? item.input
                : "",
          param: p,
        });
        return;
      }
      case "function_call_output":
      case "custom_tool_call_output": {
        flush();
        into.turns.push({
          role: "user",
          content: [
            {
              type: "tool-result",
              toolCallId: str(item.call_id, `${p}.call_id`),
              content: toolOutput(item.output, `${p}.output`),
              param: p,
            },
          ],
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
}

function parseArguments(args: unknown, param: string): JsonObject {
  if (typeof args !== "string" || args.trim() === "") return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (isRecord(parsed)) return parsed;
  } catch {
    // the error below
  }
  throw new InvalidRequestError(
    "Function call arguments must be a JSON object.",
    param,
    "invalid_tool_arguments",
  );
}

function parts(content: unknown, param: string): Json[] {
  if (typeof content === "string") return [{ type: "input_text", text: content }];
  if (!Array.isArray(content))
    throw new InvalidRequestError(
      `'${param}' must be a string or an array of parts.`,
      param,
      "invalid_type",
    );
  return content.map((part, j) => {
    if (!isRecord(part))
      throw new InvalidRequestError(
        "Each content part must be an object.",
        `${param}[${j}]`,
        "invalid_type",
      );
    return part;
  });
}

function partText(p: Json): string | undefined {
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
      if (t === undefined)
        throw new InvalidRequestError(
          "System and developer messages take text parts only.",
          `${param}[${j}]`,
          "invalid_value",
        );
      return t;
    })
    .join("\n");
}

function userParts(content: unknown, param: string): UserPart[] {
  return parts(content, param).map((p, j) => userPart(p, `${param}[${j}]`));
}

function userPart(
  p: Json,
  param: string,
): TextPart | ImagePart | Extract<UserPart, { type: "file" }> {
  switch (p.type) {
    case "input_text":
    case "output_text":
    case "text":
      return { type: "text", text: str(p.text, `${param}.text`) };
    case "input_image":
      if (typeof p.image_url !== "string" || p.image_url === "")
        throw new InvalidRequestError(
          "input_image needs image_url (a data: or http(s) URL); file_id is not supported.",
          param,
          "unsupported_value",
        );
      return { type: "image", source: { type: "url", url: p.image_url }, param };
    case "input_file":
      return {
        type: "file",
        ...(typeof p.file_data === "string" ? { data: p.file_data } : {}),
        ...(typeof p.file_id === "string" ? { fileId: p.file_id } : {}),
        ...(typeof p.filename === "string" ? { filename: p.filename } : {}),
        param,
        fieldParam: param,
      };
    default:
      throw new InvalidRequestError(
        `Unsupported content part type '${String(p.type)}'.`,
        `${param}.type`,
        "unsupported_value",
      );
  }
}

function toolOutput(output: unknown, param: string): Array<TextPart | ImagePart> {
  if (typeof output === "string") return [{ type: "text", text: output }];
  return parts(output, param).map((p, j) => {
    const part = userPart(p, `${param}[${j}]`);
    if (part.type === "file")
      throw new InvalidRequestError(
        "Tool outputs take text and image parts.",
        `${param}[${j}]`,
        "unsupported_value",
      );
    return part;
  });
}
