/**
 * Anthropic Messages request → the conversation model, for models served
 * through the Converse core (everything that is not Claude). Reads the wire and
 * keeps the client's words for errors; every Bedrock rule lives in src/converse/.
 *
 * - `cache_control` on a system block, a content block or a tool → a cache
 *   point right after it (the core keeps it where the model caches);
 * - `tool_choice` auto / any / tool / none (none: no tool may be called);
 *   `disable_parallel_tool_use` → at most one call per turn;
 * - `thinking` → a reasoning effort from its budget (Nova 2, gpt-oss… reason by
 *   effort; `thinking` itself is Claude's setting);
 * - `metadata.user_id` is never sent: Bedrock rejects such values in Converse's
 *   requestMetadata;
 * - mid-conversation `system` messages join the system prompt (Converse has no
 *   system turn), with a warning;
 * - `output_config.effort` → the reasoning effort (Claude Code sends it).
 *
 * @module
 */
import type {
  AssistantPart,
  Conversation,
  ImagePart,
  JsonObject,
  ReasoningEffort,
  SystemPart,
  TextPart,
  ToolChoice,
  ToolDefinition,
  Turn,
  UserPart,
} from "../../conversation";
import { emptyConversation } from "../../conversation";
import { InvalidRequestError } from "../../errors";
import { isRecord, type Json } from "../../json";
import { cachePointOf } from "../cache-control";
import type { MessagesRequest } from "./schema";

type Block = Json & { type: string };

function blocks(content: string | Block[]): Block[] {
  return typeof content === "string" ? [{ type: "text", text: content }] : content;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function unsupported(param: string, what: string): never {
  throw new InvalidRequestError(
    `${param}: ${what} is supported for Claude models only on this gateway.`,
    param,
    "unsupported_parameter",
  );
}

function imageOf(block: Block, param: string): ImagePart {
  const source = isRecord(block.source) ? block.source : {};
  if (source.type === "base64") {
    return {
      type: "image",
      source: {
        type: "base64",
        data: str(source.data),
        ...(typeof source.media_type === "string" ? { mediaType: source.media_type } : {}),
      },
      param,
    };
  }
  if (source.type === "url")
    return { type: "image", source: { type: "url", url: str(source.url) }, param };
  return unsupported(`${param}.source`, `image source ${String(source.type)}`);
}

function userPart(block: Block, param: string): UserPart {
  switch (block.type) {
    case "text":
      return { type: "text", text: str(block.text) };
    case "image":
      return imageOf(block, param);
    case "document": {
      const source = isRecord(block.source) ? block.source : {};
      const filename = typeof block.title === "string" ? block.title : undefined;
      const base = { type: "file" as const, param, fieldParam: `${param}.source` };
      if (source.type === "base64") {
        const media = typeof source.media_type === "string" ? source.media_type : "application/pdf";
        return {
          ...base,
          data: `data:${media};base64,${str(source.data)}`,
          ...(filename ? { filename } : {}),
        };
      }
      if (source.type === "text")
        return { ...base, text: str(source.data), ...(filename ? { filename } : {}) };
      return unsupported(`${param}.source`, `document source ${String(source.type)}`);
    }
    case "tool_result": {
      const content: Array<TextPart | ImagePart> = [];
      const raw = block.content;
      if (typeof raw === "string") content.push({ type: "text", text: raw });
      else if (Array.isArray(raw)) {
        raw.forEach((c, k) => {
          if (!isRecord(c)) return;
          if (c.type === "text") content.push({ type: "text", text: str(c.text) });
          else if (c.type === "image") content.push(imageOf(c as Block, `${param}.content[${k}]`));
        });
      }
      return {
        type: "tool-result",
        toolCallId: str(block.tool_use_id),
        content,
        ...(block.is_error === true ? { isError: true } : {}),
        param,
      };
    }
    default:
      return unsupported(param, `content type ${block.type}`);
  }
}

function assistantPart(block: Block, param: string): AssistantPart | undefined {
  switch (block.type) {
    case "text":
      return { type: "text", text: str(block.text) };
    case "thinking":
      return {
        type: "reasoning",
        text: str(block.thinking),
        ...(typeof block.signature === "string" ? { signature: block.signature } : {}),
      };
    case "redacted_thinking":
      return { type: "redacted-reasoning", data: str(block.data) };
    case "tool_use":
      return {
        type: "tool-call",
        id: str(block.id),
        name: str(block.name),
        input: (isRecord(block.input) ? block.input : {}) as JsonObject,
        param,
      };
    default:
      return unsupported(param, `content type ${block.type}`);
  }
}

type TurnMessage = MessagesRequest["messages"][number] & { role: "user" | "assistant" };

function decodeTurn(msg: TurnMessage, i: number): Turn {
  const param = `messages[${i}].content`;
  if (msg.role === "user") {
    const content: UserPart[] = [];
    blocks(msg.content as string | Block[]).forEach((b, j) => {
      content.push(userPart(b, `${param}[${j}]`));
      const mark = cachePointOf(b, `${param}[${j}]`);
      if (mark) content.push(mark);
    });
    return { role: "user", content };
  }
  const content: AssistantPart[] = [];
  blocks(msg.content as string | Block[]).forEach((b, j) => {
    const part = assistantPart(b, `${param}[${j}]`);
    if (part) content.push(part);
    const mark = cachePointOf(b, `${param}[${j}]`);
    if (mark) content.push(mark);
  });
  return { role: "assistant", content };
}

function decodeSystem(system: MessagesRequest["system"]): SystemPart[] {
  if (system === undefined) return [];
  if (typeof system === "string") return [{ type: "text", text: system }];
  const out: SystemPart[] = [];
  system.forEach((b, i) => {
    if (b.type !== "text") unsupported(`system[${i}]`, `system block type ${b.type}`);
    out.push({ type: "text", text: str(b.text) });
    const mark = cachePointOf(b, `system[${i}]`);
    if (mark) out.push(mark);
  });
  return out;
}

function decodeTool(tool: Json & { name: string }, i: number): ToolDefinition {
  const param = `tools[${i}]`;
  if (tool.type !== undefined && tool.type !== "custom") {
    unsupported(`${param}.type`, `the server tool ${String(tool.type)}`);
  }
  const mark = cachePointOf(tool, param);
  return {
    kind: "function",
    name: tool.name,
    ...(typeof tool.description === "string" ? { description: tool.description } : {}),
    ...(isRecord(tool.input_schema) ? { inputSchema: tool.input_schema } : {}),
    ...(tool.strict === true ? { strict: true } : {}),
    ...(mark ? { cache: mark.ttl ? { ttl: mark.ttl } : {} } : {}),
    param,
    fieldParam: param,
  };
}

function decodeToolChoice(choice: MessagesRequest["tool_choice"]): ToolChoice | undefined {
  if (!choice) return undefined;
  switch (choice.type) {
    case "auto":
      return { type: "auto" };
    case "any":
      return { type: "required" };
    case "none":
      return { type: "none" };
    case "tool":
      return { type: "tool", name: str(choice.name) };
  }
}

/** A thinking budget as an effort, for models that reason by effort. */
function effortOf(thinking: MessagesRequest["thinking"]): ReasoningEffort | undefined {
  if (!thinking) return undefined;
  if (thinking.type === "disabled") return undefined;
  if (thinking.type === "adaptive") return "medium";
  const budget = typeof thinking.budget_tokens === "number" ? thinking.budget_tokens : 0;
  if (budget <= 2048) return "low";
  if (budget <= 8192) return "medium";
  return "high";
}

const EFFORTS: readonly string[] = ["low", "medium", "high", "xhigh", "max"];

/**
 * The Messages request as a conversation.
 * @param warnings receives what was changed on the way (for x-gateway-warnings)
 * @throws InvalidRequestError
 */
export function decodeMessagesRequest(req: MessagesRequest, warnings: string[] = []): Conversation {
  const conv = emptyConversation(req.stream === true);
  conv.system = decodeSystem(req.system);
  req.messages.forEach((msg, i) => {
    if (msg.role !== "system") {
      conv.turns.push(decodeTurn(msg as TurnMessage, i));
      return;
    }
    for (const b of blocks(msg.content as string | Block[])) {
      if (b.type === "text") conv.system.push({ type: "text", text: str(b.text) });
    }
    warnings.push(`messages[${i}]: a system message joins the system prompt on this model`);
  });
  conv.tools = (req.tools ?? []).map(decodeTool);
  const choice = decodeToolChoice(req.tool_choice);
  if (choice) conv.toolChoice = choice;
  if (req.tool_choice?.disable_parallel_tool_use === true) conv.parallelToolCalls = false;
  const outputConfig = isRecord(req.output_config) ? req.output_config : {};
  const asked = typeof outputConfig.effort === "string" ? outputConfig.effort : undefined;
  const effort =
    asked && EFFORTS.includes(asked) ? (asked as ReasoningEffort) : effortOf(req.thinking);
  if (effort) conv.reasoning.effort = effort;
  conv.limits.maxTokens = req.max_tokens;
  conv.limits.maxTokensParam = "max_tokens";
  if (req.stop_sequences) {
    conv.limits.stopSequences = req.stop_sequences;
    conv.limits.stopSequencesParam = "stop_sequences";
  }
  if (req.temperature !== undefined) conv.sampling.temperature = req.temperature;
  if (req.top_p !== undefined) conv.sampling.topP = req.top_p;
  if (req.top_k !== undefined) conv.sampling.topK = { value: req.top_k, param: "top_k" };
  return conv;
}
