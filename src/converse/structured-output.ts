/**
 * The output format (JSON object, JSON schema) → Bedrock, and back.
 *
 * Three ways, best first, chosen from the capability table:
 * 1. native: Converse `outputConfig.textFormat` (json_schema on models marked
 *    `nativeStructuredOutput`); the model's text is the JSON, nothing to undo.
 * 2. tool: a single tool whose input schema is the requested schema, forced
 *    with toolChoice; its input comes back to the client as message content
 *    (non-stream) or text deltas (stream), finishing as an end of turn. The
 *    client never sees that tool. json_object always goes this way, as any
 *    object is a valid tool input while native mode needs a closed schema.
 *    When the client also offers tools, the model must call one of them or
 *    the response tool (toolChoice any), so a real tool call still surfaces.
 * 3. prompt: models without tools get an instruction and a warning header;
 *    the output is not guaranteed.
 *
 * @module
 */
import type { ContentBlock, Message, Tool } from "@aws-sdk/client-bedrock-runtime";
import type {
  AssistantPart,
  Conversation,
  ConversationResult,
  EventSink,
  OutputFormat,
  StreamEvent,
} from "../conversation";
import { InvalidRequestError } from "../errors";
import type { ModelCapabilities } from "../models/capabilities";
import { type ConverseInput, copyInput, type PassResult, type TranslateContext } from "./input";

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

function requested(format: OutputFormat | undefined): Requested | undefined {
  if (!format) return undefined;
  if (format.type === "json-object")
    return { schema: undefined, name: "json_object", description: undefined };
  return { schema: format.schema, name: format.name, description: format.description };
}

/**
 * Delivers the output format; after the tool passes (it adds to their tools).
 * @returns also how the answer must be read back
 */
export function outputFormatPass(
  input: ConverseInput,
  conv: Conversation,
  ctx: TranslateContext,
): PassResult & { plan: StructuredOutputPlan } {
  const warnings: string[] = [];
  const { caps } = ctx;
  const want = requested(conv.outputFormat);
  if (!want) return { input, warnings, plan: { mode: "none" } };
  const next = copyInput(input);
  if (want.schema && caps.nativeStructuredOutput) {
    next.outputConfig = {
      ...next.outputConfig,
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
    return { input: next, warnings, plan: { mode: "native" } };
  }
  const schema = want.schema ?? { type: "object" };
  if (!caps.tools) {
    promptForJson(next.messages ?? [], want.schema);
    warnings.push(
      "response_format not enforceable on this model: JSON was requested in the prompt",
    );
    return { input: next, warnings, plan: { mode: "prompt" } };
  }
  if (schema.type !== undefined && schema.type !== "object") {
    throw new InvalidRequestError(
      "The response_format schema must have an object at its root.",
      "response_format.json_schema.schema",
      "invalid_value",
    );
  }
  // Client tools that are really offered (not mere declarations for the history).
  const clientOffers = conv.tools.length > 0 && conv.toolChoice?.type !== "none";
  const plan = forceResponseTool(next, schema, want, clientOffers, caps, warnings);
  return { input: next, warnings, plan };
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

function isResponseCall(p: AssistantPart, plan: StructuredOutputPlan): boolean {
  return plan.mode === "tool" && p.type === "tool-call" && p.name === plan.toolName;
}

/** Non-stream: the response tool's input becomes the text; any preamble is dropped. */
export function adaptResult(
  result: ConversationResult,
  plan: StructuredOutputPlan,
): ConversationResult {
  if (plan.mode !== "tool") return result;
  const parts = result.content;
  const answer = parts.find((p) => isResponseCall(p, plan));
  if (!answer) return result;
  const otherCalls = parts.some((p) => p.type === "tool-call" && !isResponseCall(p, plan));
  const content = parts.flatMap((p): AssistantPart[] => {
    if (p.type === "tool-call" && isResponseCall(p, plan))
      return [{ type: "text", text: JSON.stringify(p.input ?? {}) }];
    if (p.type === "text" && !otherCalls) return [];
    return [p];
  });
  const reason = result.reason === "tool-use" && !otherCalls ? "end-turn" : result.reason;
  return { ...result, reason, content };
}

/**
 * Stream: the response tool's argument deltas become text deltas. Text that
 * comes before it is held back (with its block's end) until we know whether
 * it is a preamble (dropped) or the answer itself (released before the
 * finish). Synchronous: one event in, the events it releases out to `sink`.
 */
export class StructuredStreamAdapter implements EventSink {
  readonly #answerBlocks = new Set<number>();
  readonly #heldBlocks = new Set<number>();
  #held: StreamEvent[] = [];
  #answered = false;
  #otherCalls = false;

  constructor(
    private readonly toolName: string,
    private readonly sink: EventSink,
  ) {}

  push(ev: StreamEvent): void {
    switch (ev.type) {
      case "tool-call-start":
        if (ev.name === this.toolName) {
          this.#answered = true;
          this.#held = [];
          this.#answerBlocks.add(ev.index);
          return;
        }
        this.#otherCalls = true;
        this.#release();
        this.sink.push(ev);
        return;
      case "tool-call-delta":
        if (this.#answerBlocks.has(ev.index)) {
          this.sink.push({ type: "text-delta", index: ev.index, text: ev.delta });
        } else {
          this.sink.push(ev);
        }
        return;
      case "text-delta":
        if (this.#otherCalls) this.sink.push(ev);
        else if (!this.#answered) {
          this.#held.push(ev);
          this.#heldBlocks.add(ev.index);
        }
        return;
      case "block-end":
        if (this.#heldBlocks.has(ev.index) && !this.#otherCalls) {
          if (!this.#answered) this.#held.push(ev);
          return;
        }
        this.sink.push(ev);
        return;
      case "finish":
        if (this.#answered) this.#held = [];
        else this.#release();
        this.sink.push(
          this.#answered && !this.#otherCalls && ev.reason === "tool-use"
            ? { ...ev, reason: "end-turn" }
            : ev,
        );
        return;
      default:
        this.sink.push(ev);
    }
  }

  /** The stream ended (without a finish: it is about to fail); let held text out first. */
  end(): void {
    this.#release();
  }

  #release(): void {
    const held = this.#held;
    this.#held = [];
    for (const ev of held) this.sink.push(ev);
  }
}

/** The adapter a plan needs on the stream, if any (only the tool mode rewrites events). */
export function streamAdapterFor(
  plan: StructuredOutputPlan,
  sink: EventSink,
): EventSink & {
  end?: () => void;
} {
  return plan.mode === "tool" ? new StructuredStreamAdapter(plan.toolName, sink) : sink;
}
