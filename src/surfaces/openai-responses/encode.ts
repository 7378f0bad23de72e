/**
 * Neutral stream events → Responses stream events and the Response object. A
 * synchronous encoder the Converse core's event loop drives (one event in, the
 * events it makes appended to the batch); the same machine builds the
 * non-stream Response (fed the result as events), so both shapes always agree.
 *
 * Rules it enforces (what the openai SDK, the Agents SDK and Codex check):
 * - `response.created` then `response.in_progress` first; `sequence_number`
 *   strictly increasing from 0;
 * - one output item open at a time, indexes appended in order, every item with
 *   a non-empty id (and `call_id` for calls), each closed with its `.done`
 *   events before the next opens;
 * - exactly one terminal event: `response.completed`, `response.incomplete`
 *   (max_output_tokens / content_filter) or, on a failure, an `error` event
 *   (never a quiet end: the SDK's finalResponse() resolves without one).
 *
 * @module
 */
import type {
  AssistantTurn,
  ConversationResult,
  FinishReason,
  StreamEvent,
  Usage,
} from "../../conversation";
import type { StreamEncoder } from "../../converse/events";
import type { GatewayError } from "../../errors";
import { CustomInputStream } from "./custom-input";
import type { ToolNames } from "./decode";
import type { ReasoningSealer, SealedReasoning } from "./seal";

export type ResponseStatus = "in_progress" | "completed" | "incomplete" | "failed";

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens?: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type OutputItem =
  | {
      type: "reasoning";
      id: string;
      summary: Array<{ type: "summary_text"; text: string }>;
      encrypted_content?: string;
      status?: "completed";
    }
  | {
      type: "message";
      id: string;
      role: "assistant";
      status: "in_progress" | "completed" | "incomplete";
      content: Array<{ type: "output_text"; text: string; annotations: []; logprobs: [] }>;
    }
  | {
      type: "function_call";
      id: string;
      call_id: string;
      name: string;
      namespace?: string;
      arguments: string;
      status: "in_progress" | "completed";
    }
  | {
      type: "custom_tool_call";
      id: string;
      call_id: string;
      name: string;
      namespace?: string;
      input: string;
      status?: "in_progress" | "completed";
    };

/** The Response object; `settings` echoes the request's own fields. */
export interface ResponseObject {
  id: string;
  object: "response";
  created_at: number;
  status: ResponseStatus;
  completed_at?: number | null;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: "max_output_tokens" | "content_filter" } | null;
  model: string;
  output: OutputItem[];
  usage: ResponseUsage | null;
  [setting: string]: unknown;
}

export type ResponseEvent = { type: string; sequence_number: number; [k: string]: unknown };

function randomId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return prefix + Buffer.from(bytes).toString("hex");
}

export const newResponseId = () => randomId("resp_");

export interface EncoderOptions {
  id: string;
  createdAt: number;
  model: string;
  /** Echoed request settings (instructions, tools, tool_choice, temperature …). */
  settings: Record<string, unknown>;
  tools: ToolNames;
  sealer: ReasoningSealer;
  /** include: ["reasoning.encrypted_content"] */
  includeEncrypted: boolean;
}

type OpenItem =
  | {
      kind: "reasoning";
      index: number;
      item: Extract<OutputItem, { type: "reasoning" }>;
      text: string;
      blocks: SealedReasoning[];
      partOpen: boolean;
    }
  | { kind: "message"; index: number; item: Extract<OutputItem, { type: "message" }>; text: string }
  | {
      kind: "call";
      index: number;
      item: Extract<OutputItem, { type: "function_call" | "custom_tool_call" }>;
      args: string;
      block: number;
      /** Custom tools: the raw text decoded as the arguments stream. */
      custom?: CustomInputStream;
    };

export class ResponseEncoder implements StreamEncoder<ResponseEvent> {
  #seq = 0;
  readonly response: ResponseObject;
  #open: OpenItem | undefined;
  /** Reasoning of the whole answer, in order (for stored conversations). */
  readonly #reasoning: SealedReasoning[] = [];
  /** Reasoning text so far per block, for its signed part. */
  readonly #reasoningText = new Map<number, string>();
  #done = false;

  constructor(private readonly opts: EncoderOptions) {
    this.response = {
      id: opts.id,
      object: "response",
      created_at: opts.createdAt,
      status: "in_progress",
      background: false,
      error: null,
      incomplete_details: null,
      model: opts.model,
      output: [],
      usage: null,
      ...opts.settings,
    };
  }

  /** True once a terminal event was produced. */
  get done(): boolean {
    return this.#done;
  }

  /** Building a non-stream Response: no events are kept, so none are made. */
  #quiet = false;

  /** The item as it stands, for an event (the encoder changes it later). */
  #copy(item: OutputItem): OutputItem {
    return this.#quiet ? item : copyItem(item);
  }

  #ev(type: string, fields: Record<string, unknown>, out: ResponseEvent[]): void {
    if (this.#quiet) return;
    out.push({ type, sequence_number: this.#seq++, ...fields });
  }

  /**
   * The Response as it stands, for a lifecycle event. Before any output a
   * shallow copy is enough (only `output`, `status` and `usage` change later,
   * never the echoed settings, which can be large: Codex sends ~20 KB of tools);
   * the terminal event carries the final object itself (nothing changes after).
   */
  #snapshot(): ResponseObject {
    return this.#done ? this.response : { ...this.response, output: [] };
  }

  /** The first two events (one snapshot: nothing changes between them). */
  start(out: ResponseEvent[]): void {
    const response = this.#snapshot();
    this.#ev("response.created", { response }, out);
    this.#ev("response.in_progress", { response }, out);
  }

  /** One neutral stream event. */
  push(ev: StreamEvent, out: ResponseEvent[]): void {
    switch (ev.type) {
      case "text-delta":
        this.#text(ev.text, out);
        return;
      case "reasoning-delta":
        this.#reasoningText.set(ev.index, (this.#reasoningText.get(ev.index) ?? "") + ev.text);
        this.#reasoningDelta(ev.text, out);
        return;
      case "reasoning-signature": {
        const text = this.#reasoningText.get(ev.index) ?? "";
        this.#reasoningText.delete(ev.index);
        this.#reasoningPart({ type: "reasoning", text, signature: ev.signature }, out);
        return;
      }
      case "redacted-reasoning":
        this.#reasoningPart({ type: "redacted-reasoning", data: ev.data }, out);
        return;
      case "tool-call-start":
        this.#toolStart(ev.index, ev.id, ev.name, out);
        return;
      case "tool-call-delta":
        this.#toolDelta(ev.index, ev.delta, out);
        return;
      case "finish":
        // The tier that served the request, in OpenAI's words (Bedrock's "reserved" is "scale").
        if (ev.provider.serviceTier) {
          this.response.service_tier =
            ev.provider.serviceTier === "reserved" ? "scale" : ev.provider.serviceTier;
        }
        this.#complete(ev.reason, ev.usage, out);
        return;
      case "message-start":
      case "block-end":
      case "error":
        // Items close when the next one opens (or at the finish); errors are thrown, not pushed.
        return;
    }
  }

  /** A whole (non-streamed) answer, as the events a stream would have carried. */
  pushResult(result: ConversationResult, out?: ResponseEvent[]): void {
    // No one reads the events of a non-stream Response: skip making them.
    this.#quiet = out === undefined;
    const sink = out ?? [];
    result.content.forEach((part, index) => {
      switch (part.type) {
        case "reasoning":
          if (part.text !== "")
            this.push({ type: "reasoning-delta", index, text: part.text }, sink);
          if (part.signature)
            this.push({ type: "reasoning-signature", index, signature: part.signature }, sink);
          return;
        case "redacted-reasoning":
          this.push({ type: "redacted-reasoning", index, data: part.data }, sink);
          return;
        case "text":
          if (part.text !== "") this.push({ type: "text-delta", index, text: part.text }, sink);
          return;
        case "tool-call":
          this.push({ type: "tool-call-start", index, id: part.id, name: part.name }, sink);
          this.push(
            {
              type: "tool-call-delta",
              index,
              delta: typeof part.input === "string" ? part.input : JSON.stringify(part.input),
            },
            sink,
          );
          return;
        case "cache-point":
          return;
      }
    });
    const { content: _content, ...finish } = result;
    this.push({ type: "finish", ...finish }, sink);
  }

  // ---- items ----

  #close(out: ResponseEvent[]): void {
    const o = this.#open;
    if (!o) return;
    this.#open = undefined;
    const base = { item_id: o.item.id, output_index: o.index };
    if (o.kind === "reasoning") {
      if (o.partOpen) {
        this.#ev(
          "response.reasoning_summary_text.done",
          { ...base, summary_index: 0, text: o.text },
          out,
        );
        this.#ev(
          "response.reasoning_summary_part.done",
          { ...base, summary_index: 0, part: { type: "summary_text", text: o.text } },
          out,
        );
        o.item.summary = [{ type: "summary_text", text: o.text }];
      }
      if (o.blocks.length > 0 && this.opts.includeEncrypted) {
        o.item.encrypted_content = this.opts.sealer.seal(o.blocks);
      }
    } else if (o.kind === "message") {
      const part = {
        type: "output_text" as const,
        text: o.text,
        annotations: [] as [],
        logprobs: [] as [],
      };
      this.#ev(
        "response.output_text.done",
        { ...base, content_index: 0, text: o.text, logprobs: [] },
        out,
      );
      this.#ev("response.content_part.done", { ...base, content_index: 0, part }, out);
      o.item.content = [part];
      o.item.status = "completed";
    } else if (o.item.type === "function_call") {
      o.item.arguments = o.args;
      o.item.status = "completed";
      this.#ev(
        "response.function_call_arguments.done",
        { ...base, name: o.item.name, arguments: o.args },
        out,
      );
    } else {
      const input = customInput(o.args);
      o.item.input = input;
      o.item.status = "completed";
      // What the deltas have not said yet (all of it when the arguments were not {"input": "…"}).
      const streamed = o.custom?.text ?? "";
      const rest = input.startsWith(streamed) ? input.slice(streamed.length) : input;
      if (rest !== "")
        this.#ev("response.custom_tool_call_input.delta", { ...base, delta: rest }, out);
      this.#ev("response.custom_tool_call_input.done", { ...base, input }, out);
    }
    this.response.output[o.index] = o.item;
    this.#ev("response.output_item.done", { output_index: o.index, item: this.#copy(o.item) }, out);
  }

  #add(item: OutputItem, out: ResponseEvent[]): number {
    const index = this.response.output.length;
    this.response.output.push(item);
    this.#ev("response.output_item.added", { output_index: index, item: this.#copy(item) }, out);
    return index;
  }

  #reasoningItem(out: ResponseEvent[]): Extract<OpenItem, { kind: "reasoning" }> {
    if (this.#open?.kind === "reasoning") return this.#open;
    this.#close(out);
    const item: Extract<OutputItem, { type: "reasoning" }> = {
      type: "reasoning",
      id: randomId("rs_"),
      summary: [],
    };
    const index = this.#add(item, out);
    const o = { kind: "reasoning" as const, index, item, text: "", blocks: [], partOpen: false };
    this.#open = o;
    return o;
  }

  #reasoningDelta(delta: string, out: ResponseEvent[]): void {
    const o = this.#reasoningItem(out);
    const base = { item_id: o.item.id, output_index: o.index, summary_index: 0 };
    if (!o.partOpen) {
      o.partOpen = true;
      this.#ev(
        "response.reasoning_summary_part.added",
        { ...base, part: { type: "summary_text", text: "" } },
        out,
      );
    }
    o.text += delta;
    if (this.#quiet) return;
    // Per-event path: the event built in one literal (same keys, same order as #ev).
    out.push({
      type: "response.reasoning_summary_text.delta",
      sequence_number: this.#seq++,
      item_id: o.item.id,
      output_index: o.index,
      summary_index: 0,
      delta,
    });
  }

  #reasoningPart(part: SealedReasoning, out: ResponseEvent[]): void {
    const o = this.#reasoningItem(out);
    o.blocks.push(part);
    this.#reasoning.push(part);
  }

  #text(delta: string, out: ResponseEvent[]): void {
    let o = this.#open;
    if (o?.kind !== "message") {
      this.#close(out);
      const item: Extract<OutputItem, { type: "message" }> = {
        type: "message",
        id: randomId("msg_"),
        role: "assistant",
        status: "in_progress",
        content: [],
      };
      const index = this.#add(item, out);
      o = { kind: "message", index, item, text: "" };
      this.#open = o;
      this.#ev(
        "response.content_part.added",
        {
          item_id: item.id,
          output_index: index,
          content_index: 0,
          part: { type: "output_text", text: "", annotations: [], logprobs: [] },
        },
        out,
      );
    }
    o.text += delta;
    if (this.#quiet) return;
    // Per-event path: the event built in one literal (same keys, same order as #ev).
    out.push({
      type: "response.output_text.delta",
      sequence_number: this.#seq++,
      item_id: o.item.id,
      output_index: o.index,
      content_index: 0,
      delta,
      logprobs: [],
    });
  }

  #toolStart(block: number, id: string, bedrockName: string, out: ResponseEvent[]): void {
    this.#close(out);
    const target = this.opts.tools.target(bedrockName);
    const ns = target.namespace ? { namespace: target.namespace } : {};
    const callId = id || randomId("call_");
    const item: Extract<OutputItem, { type: "function_call" | "custom_tool_call" }> =
      target.kind === "custom"
        ? {
            type: "custom_tool_call",
            id: randomId("ctc_"),
            call_id: callId,
            name: target.name,
            ...ns,
            input: "",
            status: "in_progress",
          }
        : {
            type: "function_call",
            id: randomId("fc_"),
            call_id: callId,
            name: target.name,
            ...ns,
            arguments: "",
            status: "in_progress",
          };
    const index = this.#add(item, out);
    this.#open = {
      kind: "call",
      index,
      item,
      args: "",
      block,
      ...(item.type === "custom_tool_call" ? { custom: new CustomInputStream() } : {}),
    };
  }

  #toolDelta(block: number, delta: string, out: ResponseEvent[]): void {
    const o = this.#open;
    if (o?.kind !== "call" || o.block !== block || delta === "") return;
    o.args += delta;
    if (o.item.type === "function_call") {
      if (this.#quiet) return;
      out.push({
        type: "response.function_call_arguments.delta",
        sequence_number: this.#seq++,
        item_id: o.item.id,
        output_index: o.index,
        delta,
      });
    } else {
      const text = o.custom?.push(delta) ?? "";
      if (text !== "") {
        this.#ev(
          "response.custom_tool_call_input.delta",
          { item_id: o.item.id, output_index: o.index, delta: text },
          out,
        );
      }
    }
  }

  // ---- terminal ----

  #complete(finish: FinishReason, usage: Usage, out: ResponseEvent[]): void {
    if (this.#done) return;
    this.#close(out);
    this.response.usage = toResponseUsage(usage);
    const reason = INCOMPLETE[finish];
    for (const item of this.response.output) {
      if (item.type === "message" && reason) item.status = "incomplete";
    }
    this.response.status = reason ? "incomplete" : "completed";
    this.response.incomplete_details = reason ? { reason } : null;
    this.response.completed_at = reason ? null : Math.floor(Date.now() / 1000);
    this.#done = true;
    this.#ev(
      reason ? "response.incomplete" : "response.completed",
      { response: this.#snapshot() },
      out,
    );
  }

  /** A failure after the stream began: the `error` event (the one terminal event). */
  fail(error: GatewayError): ResponseEvent {
    this.#done = true;
    this.response.status = "failed";
    this.response.error = { code: error.code ?? error.type, message: error.message };
    return {
      type: "error",
      sequence_number: this.#seq++,
      code: error.code ?? error.type,
      message: error.message,
      param: error.param,
    };
  }

  /** The assistant turn of this response, as history for previous_response_id. */
  assistantTurn(): AssistantTurn {
    const content: AssistantTurn["content"] = [...this.#reasoning];
    for (const item of this.response.output) {
      if (item.type === "message") {
        const text = item.content.map((p) => p.text).join("");
        if (text !== "") content.push({ type: "text", text });
      } else if (item.type === "function_call" || item.type === "custom_tool_call") {
        content.push({
          type: "tool-call",
          id: item.call_id,
          name: this.opts.tools.bedrockName(item.name, item.namespace),
          input: item.type === "function_call" ? parseObject(item.arguments) : item.input,
        });
      }
    }
    return { role: "assistant", content };
  }
}

/**
 * A copy of an output item for an event, equal to a deep clone of it: items
 * are flat but for `content` / `summary`, which the encoder replaces (never
 * changes in place), and whose parts are never changed once placed. The arrays
 * are copied all the same. structuredClone cost ~5 % of a Responses stream's
 * CPU (bench/README.md, "Session 3: surfaces").
 */
export function copyItem(item: OutputItem): OutputItem {
  const copy = { ...item };
  if (copy.type === "message") copy.content = copy.content.slice();
  else if (copy.type === "reasoning") copy.summary = copy.summary.slice();
  return copy;
}

/** Finish reasons that make a response incomplete, and why. */
const INCOMPLETE: Partial<Record<FinishReason, "max_output_tokens" | "content_filter">> = {
  "max-tokens": "max_output_tokens",
  "context-window-exceeded": "max_output_tokens",
  "content-filtered": "content_filter",
  "guardrail-intervened": "content_filter",
};

function parseObject(args: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(args);
    if (typeof v === "object" && v !== null && !Array.isArray(v))
      return v as Record<string, unknown>;
  } catch {
    // not JSON: kept as nothing
  }
  return {};
}

/** A custom tool's `{"input": "…"}` arguments → its raw input (the raw text if not that shape). */
function customInput(args: string): string {
  try {
    const parsed = JSON.parse(args) as unknown;
    if (typeof parsed === "object" && parsed !== null && "input" in parsed) {
      const v = (parsed as { input: unknown }).input;
      return typeof v === "string" ? v : JSON.stringify(v);
    }
  } catch {
    // Not JSON: the model wrote the raw input itself.
  }
  return args;
}

/** Bedrock's input tokens exclude cached ones; OpenAI's include them. */
export function toResponseUsage(u: Usage): ResponseUsage {
  const input = u.inputTokens + u.cacheReadInputTokens + u.cacheWriteInputTokens;
  return {
    input_tokens: input,
    input_tokens_details: {
      cached_tokens: u.cacheReadInputTokens,
      cache_write_tokens: u.cacheWriteInputTokens,
    },
    output_tokens: u.outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + u.outputTokens,
  };
}
