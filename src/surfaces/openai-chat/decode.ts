/**
 * OpenAI chat completions request → the conversation model. Reads the wire
 * and keeps the client's words for errors; decides nothing about Bedrock
 * (src/converse/ does).
 *
 * Bedrock-native controls may come at the top level (the OpenAI SDKs merge
 * `extra_body` keys there) or in a literal `extra_body` object (some clients,
 * the reference gateway's docs); the top-level one wins. Bedrock's camelCase
 * name and a snake_case alias are both accepted.
 *
 * @module
 */
import type {
  AssistantPart,
  CachePointPart,
  Conversation,
  JsonObject,
  NativeValue,
  SystemPart,
  ToolChoice,
  ToolDefinition,
  Turn,
  UserPart,
} from "../../conversation";
import { InvalidRequestError } from "../../errors";
import { isRecord, type Json } from "../../json";
import { cachePointOf } from "../cache-control";
import type { ChatMessage, ChatRequest, UserContentPart } from "./schema";

/**
 * Reads a Bedrock-native control: top level first, then `extra_body`; each
 * under any of `names`. Null counts as absent.
 */
export function nativeParam(req: ChatRequest, ...names: string[]): NativeValue | undefined {
  const top = req as unknown as Json;
  for (const name of names) if (top[name] != null) return { value: top[name], param: name };
  const extra = extraBody(req);
  for (const name of names)
    if (extra[name] != null) return { value: extra[name], param: `extra_body.${name}` };
  return undefined;
}

function extraBody(req: ChatRequest): Json {
  const raw = (req as unknown as Json).extra_body;
  if (raw == null) return {};
  if (!isRecord(raw))
    throw new InvalidRequestError("extra_body must be an object.", "extra_body", "invalid_type");
  return raw;
}

function pushMark<T>(parts: T[], holder: unknown, param: string): void {
  const mark = cachePointOf(holder, param);
  if (mark) parts.push(mark as T);
}

/** The chat request as a conversation. @throws InvalidRequestError */
export function decodeChatRequest(req: ChatRequest): Conversation {
  const system: SystemPart[] = [];
  const turns: Turn[] = [];
  req.messages.forEach((msg, i) => {
    const turn = decodeMessage(msg, i, system);
    if (turn) turns.push(turn);
  });
  const conv: Conversation = {
    system,
    turns,
    tools: (req.tools ?? []).map(decodeTool),
    reasoning: {},
    limits: {},
    sampling: {},
    bedrock: {},
    stream: req.stream === true,
  };
  const choice = decodeToolChoice(req.tool_choice ?? undefined);
  if (choice) conv.toolChoice = choice;
  if (req.parallel_tool_calls === false) conv.parallelToolCalls = false;
  const rf = req.response_format;
  if (rf?.type === "json_object") conv.outputFormat = { type: "json-object" };
  else if (rf?.type === "json_schema") {
    const js = rf.json_schema;
    conv.outputFormat = {
      type: "json-schema",
      name: js.name,
      ...(js.description !== undefined ? { description: js.description } : {}),
      ...(js.schema !== undefined ? { schema: js.schema } : {}),
      ...(js.strict != null ? { strict: js.strict } : {}),
    };
  }
  decodeSettings(req, conv);
  return conv;
}

function decodeSettings(req: ChatRequest, conv: Conversation): void {
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  if (maxTokens != null) conv.limits.maxTokens = maxTokens;
  conv.limits.maxTokensParam =
    req.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens";
  if (req.stop != null) {
    conv.limits.stopSequences = (typeof req.stop === "string" ? [req.stop] : req.stop).filter(
      (s) => s !== "",
    );
    conv.limits.stopSequencesParam = "stop";
  }
  if (req.temperature != null) conv.sampling.temperature = req.temperature;
  if (req.top_p != null) conv.sampling.topP = req.top_p;
  const topK = nativeParam(req, "top_k", "topK");
  if (topK) conv.sampling.topK = topK;
  if (req.reasoning_effort != null) conv.reasoning.effort = req.reasoning_effort;
  const thinking = nativeParam(req, "thinking");
  if (thinking) conv.reasoning.thinking = thinking;

  const b = conv.bedrock;
  const guardrail = nativeParam(req, "guardrailConfig", "guardrail_config");
  if (guardrail) b.guardrail = guardrail;
  const performance = nativeParam(req, "performanceConfig", "performance_config");
  if (performance) b.performance = performance;
  const tier =
    req.service_tier != null
      ? { value: req.service_tier, param: "service_tier" }
      : nativeParam(req, "serviceTier", "service_tier");
  if (tier) b.serviceTier = tier;
  const metadata: NativeValue[] = [];
  if (req.metadata != null) metadata.push({ value: req.metadata, param: "metadata" });
  const native = nativeParam(req, "requestMetadata", "request_metadata");
  if (native) metadata.push(native);
  if (metadata.length > 0) b.requestMetadata = metadata;
  const paths = nativeParam(
    req,
    "additionalModelResponseFieldPaths",
    "additional_model_response_field_paths",
  );
  if (paths) b.additionalModelResponseFieldPaths = paths;
  const fields = nativeParam(
    req,
    "additionalModelRequestFields",
    "additional_model_request_fields",
  );
  if (fields) b.additionalModelRequestFields = fields;
  const beta = nativeParam(req, "anthropic_beta");
  if (beta) b.anthropicBeta = beta;
  const caching = nativeParam(req, "prompt_caching");
  if (caching) b.promptCaching = caching;
}

function decodeMessage(msg: ChatMessage, i: number, system: SystemPart[]): Turn | undefined {
  switch (msg.role) {
    case "system":
    case "developer": {
      if (typeof msg.content === "string") system.push({ type: "text", text: msg.content });
      else {
        msg.content.forEach((part, j) => {
          system.push({ type: "text", text: part.text });
          pushMark(system, part, `messages[${i}].content[${j}]`);
        });
      }
      pushMark(system, msg, `messages[${i}]`);
      return undefined;
    }
    case "user": {
      const content: UserPart[] = [];
      if (typeof msg.content === "string") content.push({ type: "text", text: msg.content });
      else {
        msg.content.forEach((part, j) => {
          const param = `messages[${i}].content[${j}]`;
          content.push(userPart(part, param));
          pushMark(content, part, param);
        });
      }
      pushMark(content, msg, `messages[${i}]`);
      return { role: "user", content };
    }
    case "assistant":
      return { role: "assistant", content: assistantParts(msg, i) };
    case "tool": {
      const parts =
        typeof msg.content === "string"
          ? [{ type: "text" as const, text: msg.content }]
          : msg.content;
      const content: UserPart[] = [
        {
          type: "tool-result",
          toolCallId: msg.tool_call_id,
          content: parts.map((part, j) =>
            part.type === "text"
              ? { type: "text" as const, text: part.text }
              : {
                  type: "image" as const,
                  source: { type: "url" as const, url: part.image_url.url },
                  param: `messages[${i}].content[${j}]`,
                },
          ),
          // Non-standard error marks: Anthropic's is_error, LangChain's status.
          isError: msg.is_error === true || msg.status === "error",
          param: `messages[${i}]`,
        },
      ];
      if (Array.isArray(msg.content)) {
        msg.content.forEach((part, j) => {
          pushMark(content, part, `messages[${i}].content[${j}]`);
        });
      }
      pushMark(content, msg, `messages[${i}]`);
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

function userPart(part: UserContentPart, param: string): UserPart {
  switch (part.type) {
    case "text":
      return { type: "text", text: part.text };
    case "image_url":
      return { type: "image", source: { type: "url", url: part.image_url.url }, param };
    case "input_audio":
      throw new InvalidRequestError(
        "Audio input is not supported by Bedrock's Converse API.",
        param,
        "unsupported_content",
      );
    case "file": {
      const { file_data: data, file_id: fileId, filename } = part.file;
      return {
        type: "file",
        ...(data != null ? { data } : {}),
        ...(fileId != null ? { fileId } : {}),
        ...(filename != null ? { filename } : {}),
        param,
        fieldParam: `${param}.file`,
      };
    }
  }
}

type AssistantMessage = Extract<ChatMessage, { role: "assistant" }>;

/**
 * In the order the Converse history wants them: signed thinking first (Claude
 * requires it to lead the turn), the text, the parts' cache marks, the tool
 * calls, the message's cache mark.
 */
function assistantParts(msg: AssistantMessage, i: number): AssistantPart[] {
  const content: AssistantPart[] = [];
  for (const b of msg.thinking_blocks ?? []) {
    if (b.type === "thinking")
      content.push(
        b.signature
          ? { type: "reasoning", text: b.thinking, signature: b.signature }
          : { type: "reasoning", text: b.thinking },
      );
    else content.push({ type: "redacted-reasoning", data: b.data });
  }
  if (typeof msg.content === "string") content.push({ type: "text", text: msg.content });
  else
    for (const p of msg.content ?? [])
      content.push({ type: "text", text: p.type === "text" ? p.text : p.refusal });
  if (Array.isArray(msg.content)) {
    msg.content.forEach((part, j) => {
      pushMark(content, part, `messages[${i}].content[${j}]`);
    });
  }
  (msg.tool_calls ?? []).forEach((call, j) => {
    const param = `messages[${i}].tool_calls[${j}].function`;
    content.push({
      type: "tool-call",
      id: call.id,
      name: call.function.name,
      input: parseArguments(call.function.arguments, `${param}.arguments`),
      param,
    });
  });
  pushMark(content, msg, `messages[${i}]`);
  return content;
}

function parseArguments(args: string, param: string): JsonObject {
  if (args.trim() === "") return {};
  try {
    const parsed: unknown = JSON.parse(args);
    if (isRecord(parsed)) return parsed;
  } catch {
    // fall through to the error below
  }
  throw new InvalidRequestError(
    "Tool call arguments must be a JSON object.",
    param,
    "invalid_tool_arguments",
  );
}

function decodeTool(tool: NonNullable<ChatRequest["tools"]>[number], i: number): ToolDefinition {
  const { name, description, parameters, strict } = tool.function;
  const cache: CachePointPart | undefined =
    cachePointOf(tool, `tools[${i}]`) ?? cachePointOf(tool.function, `tools[${i}].function`);
  return {
    kind: "function",
    name,
    ...(description !== undefined ? { description } : {}),
    ...(parameters !== undefined ? { inputSchema: parameters } : {}),
    ...(strict != null ? { strict } : {}),
    ...(cache ? { cache: cache.ttl ? { ttl: cache.ttl } : {} } : {}),
    param: `tools[${i}]`,
    fieldParam: `tools[${i}].function`,
  };
}

function decodeToolChoice(choice: ChatRequest["tool_choice"]): ToolChoice | undefined {
  if (choice == null) return undefined;
  if (typeof choice === "string") return { type: choice };
  if (choice.type === "function") return { type: "tool", name: choice.function.name };
  return {
    type: "allowed",
    names: choice.allowed_tools.tools.map((t) => t.function.name),
    mode: choice.allowed_tools.mode,
  };
}
