/**
 * Bedrock ConverseStream events → OpenAI ChatCompletionChunks, as an async
 * generator. Pure apart from pulling the upstream iterator: no framing, no
 * timers, no HTTP. SSE framing is a separate step (`sse.ts`).
 *
 * Rules the generator enforces:
 * - the role comes once, on the first chunk;
 * - tool calls get dense indexes 0, 1, 2… in arrival order, whatever text or
 *   reasoning blocks come before them; the first delta of a call carries id,
 *   type and name;
 * - exactly one chunk carries finish_reason, emitted once `metadata` (the last
 *   event) has arrived; a usage chunk with `choices: []` follows only when asked;
 * - an upstream that ends without messageStop and metadata is an error, never a
 *   success (a dropped connection can end the SDK's iterator silently).
 *
 * @module
 */
import type { ConverseStreamOutput, TokenUsage } from "@aws-sdk/client-bedrock-runtime";
import type { EventBatches } from "../bedrock/runtime";
import { fromBedrockError, GatewayError } from "../errors";
import { type CompletionMeta, finishReason, toUsage } from "./from-converse";
import { responseExtras } from "./native-controls";
import { ThinkingStream } from "./reasoning";
import type { ChatCompletionChunk, ChunkDelta, FinishReason } from "./types";

export interface StreamOptions {
  includeUsage: boolean;
  /** Called for every upstream event, including those that yield no chunk (idle tracking). */
  onEvent?: () => void;
}

/** Thrown when Bedrock's stream ends before its final events. */
export class IncompleteStreamError extends GatewayError {
  override name = "IncompleteStreamError";
  constructor() {
    super(502, "The Bedrock stream ended before the response was complete.", {
      code: "upstream_incomplete",
    });
  }
}

/**
 * The translator as a synchronous state machine: one upstream event in, the
 * chunks it makes (usually zero or one) appended to `out`. Pure: no I/O, no
 * timers, no awaits, so the streaming path can run it inside a single loop
 * (see {@link chunkBatches}) instead of stacking one async generator per stage.
 *
 * `push` throws a raw Bedrock-style error for exception events and
 * {@link IncompleteStreamError} for a metadata event without messageStop;
 * callers map errors with `fromBedrockError`. `end` throws when upstream ended
 * before its final events.
 */
export class ChunkTranslator {
  #roleSent = false;
  /** contentBlockIndex → dense tool-call index. */
  readonly #toolIndex = new Map<number, number>();
  #stopReason: string | undefined;
  #stopped = false;
  #finished = false;
  readonly #thinking = new ThinkingStream();
  #responseFields: unknown;

  constructor(
    private readonly meta: CompletionMeta,
    private readonly includeUsage: boolean,
  ) {}

  #chunk(delta: ChunkDelta, finish: FinishReason | null = null): ChatCompletionChunk {
    const c: ChatCompletionChunk = {
      id: this.meta.id,
      object: "chat.completion.chunk",
      created: this.meta.created,
      model: this.meta.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    };
    // OpenAI: with include_usage, every chunk but the last carries usage: null.
    if (this.includeUsage) c.usage = null;
    return c;
  }

  #withRole(delta: ChunkDelta): ChunkDelta {
    if (this.#roleSent) return delta;
    this.#roleSent = true;
    return { role: "assistant", content: "", refusal: null, ...delta };
  }

  push(ev: ConverseStreamOutput, out: ChatCompletionChunk[]): void {
    if (ev.contentBlockDelta) {
      const { delta, contentBlockIndex } = ev.contentBlockDelta;
      if (delta?.text !== undefined) {
        if (delta.text !== "") out.push(this.#chunk(this.#withRole({ content: delta.text })));
      } else if (delta?.reasoningContent) {
        const d = this.#thinking.delta(contentBlockIndex ?? -1, delta.reasoningContent);
        if (d) out.push(this.#chunk(this.#withRole(d)));
      } else if (delta?.toolUse) {
        const index = this.#toolIndex.get(contentBlockIndex ?? -1);
        // Bedrock always opens a tool block with contentBlockStart; a delta without one is ignored.
        if (index !== undefined && delta.toolUse.input) {
          out.push(
            this.#chunk(
              this.#withRole({
                tool_calls: [{ index, function: { arguments: delta.toolUse.input } }],
              }),
            ),
          );
        }
      }
      // Other deltas (signatures, citations, images) carry nothing for this shape.
    } else if (ev.messageStart) {
      if (!this.#roleSent) out.push(this.#chunk(this.#withRole({})));
    } else if (ev.contentBlockStart) {
      const tool = ev.contentBlockStart.start?.toolUse;
      if (tool) {
        const index = this.#toolIndex.size;
        this.#toolIndex.set(ev.contentBlockStart.contentBlockIndex ?? -1, index);
        out.push(
          this.#chunk(
            this.#withRole({
              tool_calls: [
                {
                  index,
                  id: tool.toolUseId ?? "",
                  type: "function",
                  function: { name: tool.name ?? "", arguments: "" },
                },
              ],
            }),
          ),
        );
      }
    } else if (ev.contentBlockStop) {
      // Nothing to say: the next block (or the finish chunk) follows.
    } else if (ev.messageStop) {
      this.#stopped = true;
      this.#stopReason = ev.messageStop.stopReason;
      this.#responseFields = ev.messageStop.additionalModelResponseFields;
    } else if (ev.metadata) {
      const usage: TokenUsage | undefined = ev.metadata.usage;
      if (!this.#stopped) throw new IncompleteStreamError();
      this.#finished = true;
      // service_tier and Bedrock's trace / response fields ride on the last chunks.
      const extras = responseExtras({
        trace: ev.metadata.trace,
        serviceTier: ev.metadata.serviceTier,
        additionalModelResponseFields: this.#responseFields,
      });
      out.push({
        ...this.#chunk(this.#withRole({}), finishReason(this.#stopReason)),
        ...extras,
      });
      if (this.includeUsage) {
        out.push({ ...this.#chunk({}), choices: [], usage: toUsage(usage), ...extras });
      }
    } else {
      const member = Object.keys(ev).find((k) => k !== "$unknown");
      const payload = member ? (ev as unknown as Record<string, unknown>)[member] : undefined;
      if (member?.endsWith("Exception"))
        throw Object.assign(new Error(messageOf(payload)), { name: member });
    }
  }

  /** Upstream is done: an error unless its final events (messageStop, metadata) came. */
  end(): void {
    if (!this.#finished) throw new IncompleteStreamError();
  }
}

/** Synchronous per-event stages run before translation, in order. */
export interface EventStages {
  /** Sees every upstream event (observability: time to first token, usage). */
  tap?: (ev: ConverseStreamOutput) => void;
  /** Rewrites the event sequence (structured output); absent = events pass as they are. */
  adapter?: EventAdapter;
}

/** A synchronous event → events rewriter (see structured-output.ts). */
export interface EventAdapter {
  push(ev: ConverseStreamOutput, emit: (ev: ConverseStreamOutput) => void): void;
  end(emit: (ev: ConverseStreamOutput) => void): void;
}

/**
 * The whole per-event path of a streamed chat completion in one async
 * generator: upstream event → tap → adapter → translator, yielding the chunks
 * of each upstream event together (never an empty batch), or of every event
 * of one network read when the transport hands them over in batches. One await per
 * upstream event instead of one per stage (measured in bench/README.md);
 * chunks made before a failure go out before the error.
 */
export async function* chunkBatches(
  events: AsyncIterable<ConverseStreamOutput> & Partial<EventBatches>,
  meta: CompletionMeta,
  opts: StreamOptions & EventStages,
): AsyncGenerator<ChatCompletionChunk[]> {
  const translator = new ChunkTranslator(meta, opts.includeUsage);
  const { tap, adapter, onEvent } = opts;
  let out: ChatCompletionChunk[] = [];
  const translate = (ev: ConverseStreamOutput) => {
    onEvent?.();
    translator.push(ev, out);
  };
  const step = (ev: ConverseStreamOutput) => {
    tap?.(ev);
    if (adapter) adapter.push(ev, translate);
    else translate(ev);
  };
  try {
    if (events.batches) {
      // Every event of a network read at once: their chunks go out as one write.
      const batches = events.batches();
      try {
        for (;;) {
          const r = await batches.next();
          if (r.done) break;
          for (const ev of r.value) step(ev);
          if (out.length > 0) {
            const batch = out;
            out = [];
            yield batch;
          }
        }
      } finally {
        // Stopped early (client gone) or failed: release the upstream connection.
        await batches.return?.();
      }
    } else {
      for await (const ev of events) {
        step(ev);
        if (out.length > 0) {
          const batch = out;
          out = [];
          yield batch;
        }
      }
    }
    adapter?.end(translate);
  } catch (err) {
    // Chunks made before the failure still go out first, as with one generator per stage.
    if (out.length > 0) yield out;
    throw fromBedrockError(err);
  }
  if (out.length > 0) yield out;
  translator.end();
}

function messageOf(payload: unknown): string {
  if (typeof payload === "object" && payload !== null && "message" in payload)
    return String(payload.message);
  return "";
}
