/**
 * @module
 * The default, deterministic answer to a conversation, independent of the wire dialect:
 * the Converse and Anthropic-Messages adapters reduce their request to a ConversationView,
 * and this module decides what the "model" says.
 */
import type { Directives } from "./directives";
import { stripDirectives } from "./directives";
import { countTextTokens } from "./tokens";
import type { ConverseReply } from "./types";

export interface ToolDef {
  name: string;
  /** JSON schema of the tool input. */
  schema: unknown;
}

export interface ConversationView {
  /** Text of the last user turn, directives included. */
  lastUserText: string;
  /** Text quoted from toolResult blocks of the last user turn (empty if none). */
  toolResultTexts: string[];
  hasToolResult: boolean;
  tools: ToolDef[];
  toolChoice: { kind: "auto" | "any" | "tool" | "none"; name?: string };
  /** Converse outputConfig.textFormat JSON schema (parsed), when structured output was asked. */
  outputSchema?: unknown;
  /** Number of messages; part of the tool-use id seed so ids differ between turns. */
  messageCount: number;
  inputTokens: number;
}

/** A reply plus, for `chunks=N`, the exact text deltas a stream must use. */
export interface PlannedReply {
  reply: ConverseReply;
  textDeltas?: string[];
}

const ECHO_LIMIT = 200;
const WORDS = [
  "alpha",
  "bravo",
  "charlie",
  "delta",
  "echo",
  "foxtrot",
  "golf",
  "hotel",
  "india",
  "juliet",
];
const REASONING_TEXT = "Let me think step by step about this request.";

/** Deterministic 22-hex-char id, e.g. for toolUse ids and reasoning signatures. */
export function deterministicId(seed: string): string {
  const hi = Bun.hash(seed).toString(16).padStart(16, "0");
  const lo = Bun.hash.crc32(seed).toString(16).padStart(8, "0");
  return `${hi}${lo}`.slice(0, 22);
}

function truncate(text: string, limit: number): string {
  return text.length > limit ? text.slice(0, limit) : text;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A typed placeholder for a JSON schema: required object properties filled recursively. */
export function placeholderFor(schema: unknown, name: string): unknown {
  const s = asRecord(schema) ?? {};
  if ("const" in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if ("default" in s) return s.default;
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case "string":
      return `example_${name}`;
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return true;
    case "null":
      return null;
    case "array":
      return [placeholderFor(s.items, name)];
    default: {
      const properties = asRecord(s.properties) ?? {};
      const required = Array.isArray(s.required)
        ? s.required.filter((r) => typeof r === "string")
        : [];
      const out: Record<string, unknown> = {};
      for (const key of required) out[key] = placeholderFor(properties[key], key);
      return out;
    }
  }
}

/**
 * Which tool the model "decides" to call, if any. A forced choice (`tool`, `any`) is
 * always obeyed, as on Bedrock, even after a tool result; `any` after a result picks
 * the last declared tool (a deterministic stand-in for "the tool that answers").
 */
function chooseTool(view: ConversationView, directives: Directives): ToolDef | undefined {
  if (view.tools.length === 0 || view.toolChoice.kind === "none") return undefined;
  if (directives.tool === "none" && view.toolChoice.kind === "auto") return undefined;
  const byName = (name: string | undefined) => view.tools.find((t) => t.name === name);
  if (view.toolChoice.kind === "tool") return byName(view.toolChoice.name) ?? view.tools[0];
  if (view.hasToolResult)
    return view.toolChoice.kind === "any" ? view.tools[view.tools.length - 1] : undefined;
  if (directives.tool !== undefined) return byName(directives.tool);
  const mentioned = view.tools.find((t) => view.lastUserText.includes(t.name));
  if (mentioned) return mentioned;
  return view.toolChoice.kind === "any" ? view.tools[0] : undefined;
}

function toolInput(tool: ToolDef, directives: Directives): unknown {
  const input = placeholderFor(tool.schema, tool.name);
  if (!directives.toolArgs || asRecord(input) === undefined) return input;
  return { ...(input as Record<string, unknown>), ...directives.toolArgs };
}

function wordDeltas(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const word = WORDS[i % WORDS.length] ?? "word";
    return i < count - 1 ? `${word} ` : word;
  });
}

function answerText(view: ConversationView): string {
  if (view.hasToolResult) {
    const quoted = truncate(view.toolResultTexts.join(" | "), ECHO_LIMIT);
    return `The tool returned: ${quoted}`;
  }
  return `Hello from the Bedrock emulator. You said: ${truncate(stripDirectives(view.lastUserText), ECHO_LIMIT)}`;
}

function outputTokensOf(content: ConverseReply["content"]): number {
  const parts = content.map((block) => JSON.stringify(Object.values(block)));
  return Math.max(1, countTextTokens(parts.join("")));
}

/** Plans the default reply for a conversation. */
export function planDefaultReply(view: ConversationView, directives: Directives): PlannedReply {
  const content: ConverseReply["content"] = [];
  if (directives.reasoning) {
    const signature = `Eq${deterministicId(`sig:${view.lastUserText}`)}`;
    content.push({ reasoningContent: { reasoningText: { text: REASONING_TEXT, signature } } });
  }
  let textDeltas: string[] | undefined;
  const tool = chooseTool(view, directives);
  if (tool) {
    const toolUseId = `tooluse_${deterministicId(`${tool.name}:${view.messageCount}:${view.lastUserText}`)}`;
    content.push({
      toolUse: { toolUseId, name: tool.name, input: toolInput(tool, directives) },
    });
  } else if (view.outputSchema !== undefined) {
    // Native structured output: the text is JSON that matches the schema.
    content.push({ text: JSON.stringify(placeholderFor(view.outputSchema, "value")) });
  } else if (directives.chunks !== undefined && directives.chunks > 0) {
    textDeltas = wordDeltas(directives.chunks);
    content.push({ text: textDeltas.join("") });
  } else {
    content.push({ text: answerText(view) });
  }
  const outputTokens = outputTokensOf(content);
  const reply: ConverseReply = {
    content,
    stopReason: directives.stop ?? (tool ? "tool_use" : "end_turn"),
    usage: {
      inputTokens: view.inputTokens,
      outputTokens,
      totalTokens: view.inputTokens + outputTokens,
    },
  };
  return textDeltas ? { reply, textDeltas } : { reply };
}

/** Fills what a scripted reply left out (stopReason, usage totals), as Bedrock always sends them. */
export function completeReply(reply: ConverseReply, inputTokens: number): ConverseReply {
  const hasToolUse = reply.content.some((b) => "toolUse" in b);
  const usage = reply.usage ?? { inputTokens, outputTokens: outputTokensOf(reply.content) };
  return {
    ...reply,
    stopReason: reply.stopReason ?? (hasToolUse ? "tool_use" : "end_turn"),
    usage: { ...usage, totalTokens: usage.totalTokens ?? usage.inputTokens + usage.outputTokens },
  };
}
