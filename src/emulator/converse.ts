/**
 * @module
 * The Converse dialect: reduce a Converse request to a ConversationView, and render a
 * ConverseReply as a Converse JSON body or as the ConverseStream event sequence
 * (messageStart, blocks, messageStop, metadata).
 */

import { isRecord, type Json } from "../json";
import type { ConversationView, PlannedReply, ToolDef } from "./reply";
import { countConverseInputTokens } from "./tokens";
import type { ConverseReply } from "./types";

/** One event of a stream, before framing. */
export interface StreamEvent {
  type: string;
  payload: Json;
}

export const DEFAULT_CHUNK_SIZE = 16;

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function textsOf(blocks: Json[]): string[] {
  return blocks.flatMap((b) => (typeof b.text === "string" ? [b.text] : []));
}

/** Text quoted from a toolResult block: its text and json content items. */
function toolResultText(block: Json): string {
  const result = isRecord(block.toolResult) ? block.toolResult : {};
  return records(result.content)
    .map((c) =>
      typeof c.text === "string" ? c.text : c.json !== undefined ? JSON.stringify(c.json) : "",
    )
    .join(" ");
}

function toolsOf(toolConfig: unknown): ToolDef[] {
  const config = isRecord(toolConfig) ? toolConfig : {};
  return records(config.tools).flatMap((t) => {
    const spec = isRecord(t.toolSpec) ? t.toolSpec : undefined;
    if (!spec || typeof spec.name !== "string") return [];
    const schema = isRecord(spec.inputSchema) ? spec.inputSchema.json : undefined;
    return [{ name: spec.name, schema }];
  });
}

function toolChoiceOf(toolConfig: unknown): ConversationView["toolChoice"] {
  const choice =
    isRecord(toolConfig) && isRecord(toolConfig.toolChoice) ? toolConfig.toolChoice : {};
  if ("any" in choice) return { kind: "any" };
  if (isRecord(choice.tool) && typeof choice.tool.name === "string")
    return { kind: "tool", name: choice.tool.name };
  return { kind: "auto" };
}

/** The JSON schema of outputConfig.textFormat (a JSON string on the wire), if any. */
function outputSchemaOf(body: Json): unknown {
  const config = isRecord(body.outputConfig) ? body.outputConfig : {};
  const format = isRecord(config.textFormat) ? config.textFormat : {};
  const structure = isRecord(format.structure) ? format.structure : {};
  const jsonSchema = isRecord(structure.jsonSchema) ? structure.jsonSchema : {};
  if (typeof jsonSchema.schema !== "string") return undefined;
  try {
    return JSON.parse(jsonSchema.schema);
  } catch {
    return undefined;
  }
}

/** Reduces a (validated) Converse request body to what the reply generator needs. */
export function converseView(body: Json): ConversationView {
  const messages = records(body.messages);
  const lastUser = [...messages].reverse().find((m) => m.role === "user");
  const blocks = records(lastUser?.content);
  const results = blocks.filter((b) => isRecord(b.toolResult));
  return {
    lastUserText: textsOf(blocks).join("\n"),
    toolResultTexts: results.map(toolResultText),
    hasToolResult: results.length > 0,
    tools: toolsOf(body.toolConfig),
    toolChoice: toolChoiceOf(body.toolConfig),
    ...(outputSchemaOf(body) !== undefined ? { outputSchema: outputSchemaOf(body) } : {}),
    messageCount: messages.length,
    inputTokens: countConverseInputTokens(body),
  };
}

/** The Converse response body (output, stopReason, usage and metrics are required). */
export function converseResponseBody(reply: ConverseReply): Json {
  const body: Json = {
    metrics: reply.metrics ?? { latencyMs: 1 },
    output: { message: { role: "assistant", content: reply.content } },
    stopReason: reply.stopReason ?? "end_turn",
    usage: reply.usage,
  };
  if (reply.additionalModelResponseFields !== undefined)
    body.additionalModelResponseFields = reply.additionalModelResponseFields;
  if (reply.trace !== undefined) body.trace = reply.trace;
  if (reply.serviceTier !== undefined) body.serviceTier = reply.serviceTier;
  return body;
}

/** Splits a string into pieces of at most `size` characters (at least one piece). */
export function chunkString(text: string, size: number): string[] {
  if (text.length === 0) return [""];
  const step = Math.max(1, size);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += step) out.push(text.slice(i, i + step));
  return out;
}

function delta(index: number, d: Json): StreamEvent {
  return { type: "contentBlockDelta", payload: { contentBlockIndex: index, delta: d } };
}

/** Delta events of one block. Text and reasoning get no contentBlockStart, as on Bedrock. */
function blockEvents(
  block: Json,
  index: number,
  chunkSize: number,
  textDeltas?: string[],
): StreamEvent[] {
  const events: StreamEvent[] = [];
  const reasoning = isRecord(block.reasoningContent) ? block.reasoningContent : undefined;
  if (typeof block.text === "string") {
    for (const text of textDeltas ?? chunkString(block.text, chunkSize))
      events.push(delta(index, { text }));
  } else if (reasoning && isRecord(reasoning.reasoningText)) {
    const { text, signature } = reasoning.reasoningText;
    for (const piece of chunkString(String(text ?? ""), chunkSize))
      events.push(delta(index, { reasoningContent: { text: piece } }));
    if (typeof signature === "string")
      events.push(delta(index, { reasoningContent: { signature } }));
  } else if (reasoning && typeof reasoning.redactedContent === "string") {
    events.push(delta(index, { reasoningContent: { redactedContent: reasoning.redactedContent } }));
  } else if (isRecord(block.toolUse)) {
    const { toolUseId, name, input } = block.toolUse;
    events.push({
      type: "contentBlockStart",
      payload: { contentBlockIndex: index, start: { toolUse: { toolUseId, name } } },
    });
    for (const piece of chunkString(JSON.stringify(input ?? {}), chunkSize))
      events.push(delta(index, { toolUse: { input: piece } }));
  }
  events.push({ type: "contentBlockStop", payload: { contentBlockIndex: index } });
  return events;
}

/** The full ConverseStream event sequence for a reply. */
export function converseStreamEvents(
  planned: PlannedReply,
  chunkSize: number,
  omitMetadata = false,
): StreamEvent[] {
  const { reply, textDeltas } = planned;
  const events: StreamEvent[] = [{ type: "messageStart", payload: { role: "assistant" } }];
  reply.content.forEach((block, index) => {
    events.push(...blockEvents(block, index, chunkSize, textDeltas));
  });
  const stop: Json = { stopReason: reply.stopReason ?? "end_turn" };
  if (reply.additionalModelResponseFields !== undefined)
    stop.additionalModelResponseFields = reply.additionalModelResponseFields;
  events.push({ type: "messageStop", payload: stop });
  if (!omitMetadata) {
    const metadata: Json = { usage: reply.usage, metrics: reply.metrics ?? { latencyMs: 1 } };
    if (reply.trace !== undefined) metadata.trace = reply.trace;
    if (reply.serviceTier !== undefined) metadata.serviceTier = reply.serviceTier;
    events.push({ type: "metadata", payload: metadata });
  }
  return events;
}
