/**
 * `response_format` (json_object, json_schema) → Bedrock, and back.
 *
 * Three ways, best first, chosen from the capability table:
 * 1. native: Converse `outputConfig.textFormat` (json_schema on models marked
 *    `nativeStructuredOutput`); the model's text is the JSON, nothing to undo.
 * 2. tool: a single tool whose input schema is the requested schema, forced
 *    with toolChoice; its input comes back to the client as message content
 *    (non-stream) or content deltas (stream), with finish_reason "stop". The
 *    client never sees that tool. json_object always goes this way, as any
 *    object is a valid tool input while native mode needs a closed schema.
 *    When the client also offers tools, the model must call one of them or
 *    the response tool (toolChoice any), so a real tool call still surfaces.
 * 3. prompt: models without tools get an instruction and a warning header;
 *    the output is not guaranteed.
 *
 * @module
 */
import type {
  ContentBlock,
  ConverseStreamOutput,
  Message,
  Tool,
} from "@aws-sdk/client-bedrock-runtime";
import { InvalidRequestError } from "../errors";
import type { ModelCapabilities } from "../models/capabilities";
import type { ConverseResult } from "./from-converse";
import type { ChatRequest } from "./schema";
import type { EventAdapter } from "./stream";
import type { ConverseInput } from "./to-converse";

export type StructuredOutputPlan =
  | { mode: "none" | "native" | "prompt" }
  | { mode: "tool"; toolName: string };

/** Name of the hidden response tool (suffixed if the client uses it). */
export const RESPONSE_TOOL = "json_response";

type JsonDoc = NonNullable<ContentBlock.ToolUseMember["toolUse"]["input"]>;

interface Requested {
  schema: Record<string, unknown> | undefined;
  name: string;
  description: string | undefined;
}

function requested(req: ChatRequest): Requested | undefined {
  const rf = req.response_format;
  if (!rf || rf.type === "text") return undefined;
  if (rf.type === "json_object")
    return { schema: undefined, name: "json_object", description: undefined };
  return {
    schema: rf.json_schema.schema,
    name: rf.json_schema.name,
    description: rf.json_schema.description,
  };
}

/** Mutates `input` to deliver response_format; returns how the answer must be read. */
export function applyResponseFormat(
  req: ChatRequest,
  input: ConverseInput,
  caps: ModelCapabilities,
  warnings: string[],
): StructuredOutputPlan {
  const want = requested(req);
  if (!want) return { mode: "none" };
  if (want.schema && caps.nativeStructuredOutput) {
    input.outputConfig = {
      ...input.outputConfig,
      textFormat: {
        type: "json_schema",
        structure: {
          jsonSchema: {
            // Bedrock takes the schema as a JSON string.
            schema: JSON.stringify(want.schema),
            name: want.name,
            ...(want.description ? { description: want.description } : {}),
          },
        },
      },
    };
    return { mode: "native" };
  }
  const schema = want.schema ?? { type: "object" };
  if (!caps.tools) {
    promptForJson(input.messages ?? [], want.schema);
    warnings.push(
      "response_format not enforceable on this model: JSON was requested in the prompt",
    );
    return { mode: "prompt" };
  }
  if (schema.type !== undefined && schema.type !== "object") {
    throw new InvalidRequestError(
      "The response_format schema must have an object at its root.",
      "response_format.json_schema.schema",
      "invalid_value",
    );
  }
  // Client tools that are really offered (not mere declarations for the history).
  const clientOffers = (req.tools ?? []).length > 0 && req.tool_choice !== "none";
  return forceResponseTool(input, schema, want, clientOffers, caps, warnings);
}

function forceResponseTool(
  input: ConverseInput,
  schema: Record<string, unknown>,
  want: Requested,
  clientOffers: boolean,
  caps: ModelCapabilities,
  warnings: string[],
): StructuredOutputPlan {
  const config = input.toolConfig ?? { tools: [] };
  const tools = config.tools ?? [];
  const taken = new Set(tools.map((t) => t.toolSpec?.name));
  let toolName = RESPONSE_TOOL;
  for (let n = 1; taken.has(toolName); n++) toolName = `${RESPONSE_TOOL}_${n}`;
  const responseTool: Tool = {
    toolSpec: {
      name: toolName,
      description:
        want.description ??
        `Give the final answer (${want.name}) by calling this tool with it as the input. Do not answer in text.`,
      inputSchema: { json: schema as JsonDoc },
    },
  };
  if (!caps.toolChoice) {
    warnings.push(
      "response_format: this model cannot be forced to call a tool; JSON is likely but not guaranteed",
    );
    promptForJson(input.messages ?? [], undefined, toolName);
    input.toolConfig = { tools: [...tools, responseTool] };
  } else if (config.toolChoice?.tool) {
    // The client forced one of its own tools: that call comes first.
    input.toolConfig = { ...config, tools: [...tools, responseTool] };
  } else {
    input.toolConfig = {
      tools: [...tools, responseTool],
      toolChoice: clientOffers ? { any: {} } : { tool: { name: toolName } },
    };
  }
  return { mode: "tool", toolName };
}

function promptForJson(
  messages: Message[],
  schema: Record<string, unknown> | undefined,
  toolName?: string,
): void {
  const last = [...messages].reverse().find((m) => m.role === "user");
  if (!last) return;
  const text = toolName
    ? `Give your final answer by calling the ${toolName} tool.`
    : schema
      ? `Respond only with a JSON object that matches this JSON schema: ${JSON.stringify(schema)}`
      : "Respond only with a JSON object.";
  last.content = [...(last.content ?? []), { text }];
}

function isResponseTool(b: ContentBlock, plan: StructuredOutputPlan): boolean {
  return plan.mode === "tool" && b.toolUse?.name === plan.toolName;
}

/** Non-stream: the response tool's input becomes the text; any preamble is dropped. */
export function adaptConverseOutput<T extends ConverseResult>(
  out: T,
  plan: StructuredOutputPlan,
): T {
  if (plan.mode !== "tool") return out;
  const blocks = out.output?.message?.content ?? [];
  const answer = blocks.find((b) => isResponseTool(b, plan));
  if (!answer) return out;
  const otherCalls = blocks.some((b) => b.toolUse && !isResponseTool(b, plan));
  const content = blocks.flatMap((b): ContentBlock[] => {
    if (isResponseTool(b, plan)) return [{ text: JSON.stringify(b.toolUse?.input ?? {}) }];
    if (b.text !== undefined && !otherCalls) return [];
    return [b];
  });
  const stopReason = out.stopReason === "tool_use" && !otherCalls ? "end_turn" : out.stopReason;
  return {
    ...out,
    stopReason,
    output: { ...out.output, message: { ...out.output?.message, content } },
  };
}

/**
 * Stream: the response tool's input deltas become text deltas. Text that comes
 * before it is held back until we know whether it is a preamble (dropped) or
 * the answer itself (released at messageStop). Synchronous: one event in, the
 * events it releases out through `emit`.
 */
export class StructuredStreamAdapter implements EventAdapter {
  readonly #answerBlocks = new Set<number>();
  #held: ConverseStreamOutput[] = [];
  #answered = false;
  #otherCalls = false;

  constructor(private readonly toolName: string) {}

  push(ev: ConverseStreamOutput, emit: (ev: ConverseStreamOutput) => void): void {
    const start = ev.contentBlockStart;
    const delta = ev.contentBlockDelta;
    if (start?.start?.toolUse) {
      if (start.start.toolUse.name === this.toolName) {
        this.#answered = true;
        this.#held = [];
        this.#answerBlocks.add(start.contentBlockIndex ?? -1);
        return;
      }
      this.#otherCalls = true;
      this.#release(emit);
      emit(ev);
    } else if (delta && this.#answerBlocks.has(delta.contentBlockIndex ?? -1)) {
      const input = delta.delta?.toolUse?.input;
      if (input) {
        emit({
          contentBlockDelta: { contentBlockIndex: delta.contentBlockIndex, delta: { text: input } },
        });
      }
    } else if (delta?.delta?.text !== undefined && !this.#otherCalls) {
      if (!this.#answered) this.#held.push(ev);
    } else if (ev.messageStop) {
      if (this.#answered) this.#held = [];
      else this.#release(emit);
      const stop = ev.messageStop.stopReason;
      emit(
        this.#answered && !this.#otherCalls && stop === "tool_use"
          ? { messageStop: { ...ev.messageStop, stopReason: "end_turn" } }
          : ev,
      );
    } else {
      emit(ev);
    }
  }

  end(emit: (ev: ConverseStreamOutput) => void): void {
    this.#release(emit);
  }

  #release(emit: (ev: ConverseStreamOutput) => void): void {
    const held = this.#held;
    this.#held = [];
    for (const ev of held) emit(ev);
  }
}

/** The adapter a plan needs on the stream, if any (only the tool mode rewrites events). */
export function streamAdapterFor(plan: StructuredOutputPlan): StructuredStreamAdapter | undefined {
  return plan.mode === "tool" ? new StructuredStreamAdapter(plan.toolName) : undefined;
}
