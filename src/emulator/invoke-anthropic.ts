/**
 * @module
 * Built-in InvokeModel handler for Anthropic Messages bodies on Bedrock
 * (`anthropic_version: "bedrock-2023-05-31"`): a Messages JSON response, or the Messages SSE
 * events (one per `chunk`), the last carrying `amazon-bedrock-invocationMetrics`.
 */
import { anthropicThinking, checkAnthropicBody } from "./anthropic-rules";
import { chunkString, DEFAULT_CHUNK_SIZE } from "./converse";
import { validationError } from "./errors";
import type { InvokeHandler, InvokeRequest, InvokeResult } from "./invoke-types";
import {
  type ConversationView,
  completeReply,
  deterministicId,
  planDefaultReply,
  type ToolDef,
} from "./reply";
import { collectStrings, countInvokeInputTokens, countTextTokens } from "./tokens";
import type { ConverseReply } from "./types";

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** Bedrock's wording for a body that fails the model's JSON schema. */
function malformed(detail: string): Error {
  return validationError(
    `Malformed input request: ${detail}, please reformat your input and try again.`,
  );
}

function checkedBody(body: unknown): Json {
  if (!isRecord(body)) throw malformed("#: expected type: JSONObject");
  for (const key of ["anthropic_version", "max_tokens", "messages"]) {
    if (!(key in body)) throw malformed(`#: required key [${key}] not found`);
  }
  const broken = checkAnthropicBody(body);
  if (broken) throw validationError(broken);
  return body;
}

/** Content of a message as blocks (Anthropic allows a bare string). */
function blocksOf(message: Json | undefined): Json[] {
  if (typeof message?.content === "string") return [{ type: "text", text: message.content }];
  return records(message?.content);
}

function lastUserMessage(body: Json): Json | undefined {
  return [...records(body.messages)].reverse().find((m) => m.role === "user");
}

function toolResultText(block: Json): string {
  if (typeof block.content === "string") return block.content;
  return records(block.content)
    .map((c) => (typeof c.text === "string" ? c.text : ""))
    .join(" ");
}

function viewOf(body: Json): ConversationView {
  const blocks = blocksOf(lastUserMessage(body));
  const results = blocks.filter((b) => b.type === "tool_result");
  const tools: ToolDef[] = records(body.tools).flatMap((t) =>
    typeof t.name === "string" ? [{ name: t.name, schema: t.input_schema }] : [],
  );
  const choice = isRecord(body.tool_choice) ? body.tool_choice : {};
  const kind =
    choice.type === "any" || choice.type === "tool" || choice.type === "none"
      ? choice.type
      : "auto";
  const text = blocks.flatMap((b) =>
    b.type === "text" && typeof b.text === "string" ? [b.text] : [],
  );
  return {
    lastUserText: text.join("\n"),
    toolResultTexts: results.map(toolResultText),
    hasToolResult: results.length > 0,
    tools,
    toolChoice: { kind, ...(typeof choice.name === "string" ? { name: choice.name } : {}) },
    messageCount: records(body.messages).length,
    inputTokens: countInvokeInputTokens(body),
  };
}

/** Converse block → Anthropic content block. */
function toAnthropicBlock(block: Json): Json {
  if (typeof block.text === "string") return { type: "text", text: block.text };
  if (isRecord(block.toolUse)) {
    const { toolUseId, name, input } = block.toolUse;
    return { type: "tool_use", id: toolUseId, name, input };
  }
  const reasoning = isRecord(block.reasoningContent) ? block.reasoningContent : {};
  if (isRecord(reasoning.reasoningText)) {
    return {
      type: "thinking",
      thinking: reasoning.reasoningText.text,
      signature: reasoning.reasoningText.signature ?? "",
    };
  }
  return { type: "redacted_thinking", data: reasoning.redactedContent };
}

interface Rendered {
  reply: ConverseReply;
  textDeltas?: string[];
  messageId: string;
  model: string;
}

/**
 * Cache usage for a body with `cache_control` marks: the tokens up to and including
 * the last marked block (tools, then system, then messages) are written the first
 * time that prefix is seen and read after that.
 */
function cacheUsage(body: Json, modelId: string, seen: Set<string> | undefined) {
  const prefix: unknown[] = [];
  let cached: unknown[] | undefined;
  const walk = (blocks: Json[]) => {
    for (const b of blocks) {
      prefix.push(b);
      if (isRecord(b.cache_control)) cached = [...prefix];
    }
  };
  walk(records(body.tools));
  walk(typeof body.system === "string" ? [{ text: body.system }] : records(body.system));
  for (const m of records(body.messages)) walk(blocksOf(m));
  if (!cached || !seen) return undefined;
  const text = collectStrings(cached).join("");
  const tokens = Math.max(1, countTextTokens(text));
  const key = `${modelId}|${text}`;
  const hit = seen.has(key);
  seen.add(key);
  return { cached: tokens, read: hit ? tokens : 0, write: hit ? 0 : tokens };
}

function render(req: InvokeRequest): Rendered {
  const body = checkedBody(req.body);
  const view = viewOf(body);
  // A request that turns thinking on gets a signed thinking block, as with `[emu reasoning=1]`.
  const directives = anthropicThinking(body)
    ? { ...req.directives, reasoning: true }
    : req.directives;
  const planned = req.scriptedReply
    ? { reply: completeReply(req.scriptedReply, view.inputTokens) }
    : planDefaultReply(view, directives);
  const cache = req.scriptedReply?.usage
    ? undefined
    : cacheUsage(body, req.foundationModelId, req.promptCache);
  if (cache && planned.reply.usage) {
    const u = planned.reply.usage;
    u.inputTokens = Math.max(1, u.inputTokens - cache.cached);
    u.cacheReadInputTokens = cache.read;
    u.cacheWriteInputTokens = cache.write;
  }
  return {
    ...planned,
    messageId: `msg_bdrk_${deterministicId(`${req.modelId}:${view.lastUserText}:${view.messageCount}`)}`,
    model: req.foundationModelId,
  };
}

interface Usage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

function usageOf(reply: ConverseReply): Usage {
  return {
    input: reply.usage?.inputTokens ?? 1,
    output: reply.usage?.outputTokens ?? 1,
    cacheRead: reply.usage?.cacheReadInputTokens ?? 0,
    cacheWrite: reply.usage?.cacheWriteInputTokens ?? 0,
  };
}

/** Anthropic's usage object (Bedrock always sends the cache fields). */
function anthropicUsage(u: Usage, output: number): Json {
  return {
    input_tokens: u.input,
    cache_creation_input_tokens: u.cacheWrite,
    cache_read_input_tokens: u.cacheRead,
    output_tokens: output,
  };
}

function respond(req: InvokeRequest): InvokeResult {
  const { reply, messageId, model } = render(req);
  const usage = usageOf(reply);
  return {
    body: {
      id: messageId,
      type: "message",
      role: "assistant",
      model,
      content: reply.content.map(toAnthropicBlock),
      stop_reason: reply.stopReason ?? "end_turn",
      stop_sequence: null,
      usage: anthropicUsage(usage, usage.output),
    },
    inputTokens: usage.input,
    outputTokens: usage.output,
  };
}

/** content_block_start / deltas / stop for one block. */
function blockChunks(block: Json, index: number, chunkSize: number, textDeltas?: string[]): Json[] {
  const anthropic = toAnthropicBlock(block);
  const deltas: Json[] = [];
  let start: Json;
  if (anthropic.type === "text") {
    start = { type: "text", text: "" };
    for (const text of textDeltas ?? chunkString(String(anthropic.text), chunkSize))
      deltas.push({ type: "text_delta", text });
  } else if (anthropic.type === "tool_use") {
    start = { type: "tool_use", id: anthropic.id, name: anthropic.name, input: {} };
    for (const partial_json of chunkString(JSON.stringify(anthropic.input ?? {}), chunkSize))
      deltas.push({ type: "input_json_delta", partial_json });
  } else if (anthropic.type === "thinking") {
    start = { type: "thinking", thinking: "" };
    for (const thinking of chunkString(String(anthropic.thinking), chunkSize))
      deltas.push({ type: "thinking_delta", thinking });
    deltas.push({ type: "signature_delta", signature: anthropic.signature });
  } else {
    start = anthropic;
  }
  return [
    { type: "content_block_start", index, content_block: start },
    ...deltas.map((delta) => ({ type: "content_block_delta", index, delta })),
    { type: "content_block_stop", index },
  ];
}

function streamChunks(req: InvokeRequest, chunkSize: number): unknown[] {
  const { reply, textDeltas, messageId, model } = render(req);
  const usage = usageOf(reply);
  const size = chunkSize > 0 ? chunkSize : DEFAULT_CHUNK_SIZE;
  return [
    {
      type: "message_start",
      message: {
        id: messageId,
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: anthropicUsage(usage, 1),
      },
    },
    ...reply.content.flatMap((block, index) => blockChunks(block, index, size, textDeltas)),
    {
      type: "message_delta",
      delta: { stop_reason: reply.stopReason ?? "end_turn", stop_sequence: null },
      usage: { output_tokens: usage.output },
    },
    {
      type: "message_stop",
      "amazon-bedrock-invocationMetrics": {
        inputTokenCount: usage.input,
        outputTokenCount: usage.output,
        invocationLatency: 1,
        firstByteLatency: 1,
      },
    },
  ];
}

function promptText(req: { body: unknown }): string {
  const body = checkedBody(req.body);
  return blocksOf(lastUserMessage(body))
    .flatMap((b) => (b.type === "text" && typeof b.text === "string" ? [b.text] : []))
    .join("\n");
}

export const anthropicHandler: InvokeHandler = { promptText, respond, streamChunks };
