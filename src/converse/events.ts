/**
 * Bedrock ConverseStream events → neutral stream events, as a synchronous
 * state machine, and the fused per-event loop that drives a surface encoder
 * with them. Pure apart from pulling the upstream iterator: no framing, no
 * timers, no HTTP (SSE framing is src/http/sse.ts).
 *
 * Rules enforced here, for every surface:
 * - empty text and reasoning deltas are dropped; a tool delta only counts
 *   after its block's contentBlockStart (Bedrock always sends one);
 * - `finish` is emitted once `metadata` (the last event) has arrived, with the
 *   stop reason of messageStop;
 * - an upstream that ends without messageStop and metadata is an error, never
 *   a success (a dropped connection can end the SDK's iterator silently);
 * - exception events throw (the SDK throws them itself; the raw transport
 *   may hand them over as events).
 *
 * @module
 */
import type {
  ConverseStreamOutput,
  ReasoningContentBlockDelta,
} from "@aws-sdk/client-bedrock-runtime";
import type { EventBatches } from "../bedrock/runtime";
import type { EventSink, StreamEvent } from "../conversation";
import { fromBedrockError, GatewayError } from "../errors";
import { finishReasonOf, providerDetailsOf, usageOf } from "./result";

/** Thrown when Bedrock's stream ends before the response was complete. */
export class IncompleteStreamError extends GatewayError {
  override name = "IncompleteStreamError";
  constructor() {
    super(502, "The Bedrock stream ended before the response was complete.", {
      code: "upstream_incomplete",
    });
  }
}

function base64(bytes: Uint8Array | string): string {
  return typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("base64");
}

/**
 * One Converse event in, the neutral events it makes out to `sink`.
 * `push` throws a raw Bedrock-style error for exception events and
 * {@link IncompleteStreamError} for metadata without messageStop; `end`
 * throws when upstream ended before its final events.
 */
export class ConverseEventMapper {
  readonly #toolBlocks = new Set<number>();
  #stopReason: string | undefined;
  #responseFields: unknown;
  #stopped = false;
  #finished = false;

  constructor(private readonly sink: EventSink) {}

  push(ev: ConverseStreamOutput): void {
    const sink = this.sink;
    if (ev.contentBlockDelta) {
      const { delta, contentBlockIndex } = ev.contentBlockDelta;
      const index = contentBlockIndex ?? -1;
      if (delta?.text !== undefined) {
        if (delta.text !== "") sink.push({ type: "text-delta", index, text: delta.text });
      } else if (delta?.reasoningContent) {
        this.#reasoning(index, delta.reasoningContent);
      } else if (delta?.toolUse) {
        if (this.#toolBlocks.has(index) && delta.toolUse.input)
          sink.push({ type: "tool-call-delta", index, delta: delta.toolUse.input });
      }
      // Other deltas (citations, images) carry nothing the surfaces use yet.
    } else if (ev.messageStart) {
      sink.push({ type: "message-start" });
    } else if (ev.contentBlockStart) {
      const tool = ev.contentBlockStart.start?.toolUse;
      if (tool) {
        const index = ev.contentBlockStart.contentBlockIndex ?? -1;
        this.#toolBlocks.add(index);
        sink.push({
          type: "tool-call-start",
          index,
          id: tool.toolUseId ?? "",
          name: tool.name ?? "",
        });
      }
    } else if (ev.contentBlockStop) {
      sink.push({ type: "block-end", index: ev.contentBlockStop.contentBlockIndex ?? -1 });
    } else if (ev.messageStop) {
      this.#stopped = true;
      this.#stopReason = ev.messageStop.stopReason;
      this.#responseFields = ev.messageStop.additionalModelResponseFields;
    } else if (ev.metadata) {
      if (!this.#stopped) throw new IncompleteStreamError();
      this.#finished = true;
      const provider = providerDetailsOf({
        trace: ev.metadata.trace,
        serviceTier: ev.metadata.serviceTier,
        additionalModelResponseFields: this.#responseFields,
      });
      sink.push({
        type: "finish",
        ...finishReasonOf(this.#stopReason),
        usage: usageOf(ev.metadata.usage),
        provider,
      });
    } else {
      const member = Object.keys(ev).find((k) => k !== "$unknown");
      const payload = member ? (ev as unknown as Record<string, unknown>)[member] : undefined;
      if (member?.endsWith("Exception"))
        throw Object.assign(new Error(messageOf(payload)), { name: member });
    }
  }

  #reasoning(index: number, d: ReasoningContentBlockDelta): void {
    if (d.text !== undefined) {
      if (d.text !== "") this.sink.push({ type: "reasoning-delta", index, text: d.text });
    } else if (d.signature !== undefined) {
      this.sink.push({ type: "reasoning-signature", index, signature: d.signature });
    } else if (d.redactedContent !== undefined) {
      this.sink.push({ type: "redacted-reasoning", index, data: base64(d.redactedContent) });
    }
  }

  /** Upstream is done: an error unless its final events (messageStop, metadata) came. */
  end(): void {
    if (!this.#finished) throw new IncompleteStreamError();
  }
}

function messageOf(payload: unknown): string {
  if (typeof payload === "object" && payload !== null && "message" in payload)
    return String(payload.message);
  return "";
}

/**
 * A surface's stream encoder: neutral events in, wire items (chunks, named
 * events) appended to the batch being built.
 */
export interface StreamEncoder<T> {
  push(event: StreamEvent, out: T[]): void;
}

/** Synchronous per-event hooks of the loop. */
export interface EventHooks {
  /** Sees every upstream event (observability: time to first token, usage; idle tracking). */
  tap?: (ev: ConverseStreamOutput) => void;
  /** Wraps the encoder's sink (structured output's adapter); absent = events pass as they are. */
  adapt?: (sink: EventSink) => EventSink & { end?: () => void };
}

/**
 * The whole per-event path of a stream: upstream event → tap → mapper →
 * adapter → encoder, handing out the wire items of each upstream event
 * together (never an empty batch), or of every event of one network read
 * when the transport hands them over in batches. Items made before a failure
 * go out before the error, which is thrown as a GatewayError.
 *
 * With batches (the raw transport) this is {@link EncodeLoop}: one `then` per
 * network read instead of an async generator's resume, await and yield
 * (measured in bench/README.md, "The stream's per-event path"); event by
 * event (the SDK transport) an async generator.
 */
export function encodeBatches<T>(
  events: AsyncIterable<ConverseStreamOutput> & Partial<EventBatches>,
  encoder: StreamEncoder<T>,
  hooks: EventHooks = {},
): AsyncGenerator<T[]> {
  if (events.batches) return new EncodeLoop(events.batches(), encoder, hooks);
  return encodeEvents(events, encoder, hooks);
}

/** The sink chain of one stream: encoder, optional adapter, mapper. */
function pipeline<T>(encoder: StreamEncoder<T>, hooks: EventHooks, out: () => T[]) {
  const encode: EventSink = { push: (ev) => encoder.push(ev, out()) };
  const sink: EventSink & { end?: () => void } = hooks.adapt ? hooks.adapt(encode) : encode;
  return { sink, mapper: new ConverseEventMapper(sink) };
}

async function* encodeEvents<T>(
  events: AsyncIterable<ConverseStreamOutput>,
  encoder: StreamEncoder<T>,
  hooks: EventHooks,
): AsyncGenerator<T[]> {
  let out: T[] = [];
  const { sink, mapper } = pipeline(encoder, hooks, () => out);
  const { tap } = hooks;
  try {
    for await (const ev of events) {
      tap?.(ev);
      mapper.push(ev);
      if (out.length > 0) {
        const batch = out;
        out = [];
        yield batch;
      }
    }
    sink.end?.();
  } catch (err) {
    // Items made before the failure still go out first.
    if (out.length > 0) yield out;
    throw fromBedrockError(err);
  }
  if (out.length > 0) yield out;
  mapper.end();
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * {@link encodeBatches} over a batch iterator, as a plain object: every
 * event of a network read at once, their items handed out together. The
 * upstream iterator is released (`return()`) whenever the loop stops: at the
 * end, on a failure, or when the consumer stops early.
 */
class EncodeLoop<T> implements AsyncGenerator<T[]> {
  #out: T[] = [];
  readonly #sink: EventSink & { end?: () => void };
  readonly #mapper: ConverseEventMapper;
  readonly #tap: ((ev: ConverseStreamOutput) => void) | undefined;
  /** running → (flushing the last items) → done. */
  #state: "running" | "last" | "done" = "running";
  /** Thrown after the items made before it have been handed out. */
  #error: unknown;

  constructor(
    private readonly upstream: AsyncIterator<ConverseStreamOutput[]>,
    encoder: StreamEncoder<T>,
    hooks: EventHooks,
  ) {
    ({ sink: this.#sink, mapper: this.#mapper } = pipeline(encoder, hooks, () => this.#out));
    this.#tap = hooks.tap;
  }

  next(): Promise<IteratorResult<T[]>> {
    if (this.#state === "running") return this.upstream.next().then(this.#onRead, this.#onFail);
    if (this.#state === "last") {
      this.#state = "done";
      if (this.#error !== undefined) return Promise.reject(this.#error);
      try {
        this.#mapper.end();
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return Promise.resolve(DONE);
  }

  #take(): IteratorResult<T[]> {
    const batch = this.#out;
    this.#out = [];
    return { done: false, value: batch };
  }

  readonly #onRead = (
    r: IteratorResult<ConverseStreamOutput[]>,
  ): IteratorResult<T[]> | Promise<IteratorResult<T[]>> => {
    if (this.#state !== "running") return DONE; // the consumer stopped meanwhile
    if (r.done) return this.#release().then(this.#finishUpstream);
    const tap = this.#tap;
    const mapper = this.#mapper;
    try {
      for (const ev of r.value) {
        tap?.(ev);
        mapper.push(ev);
      }
    } catch (err) {
      return this.#onFail(err);
    }
    // Nothing to say for these events (e.g. a block's end): on to the next read.
    if (this.#out.length === 0) return this.next();
    return this.#take();
  };

  /** Upstream is done: the adapter's last words, then the items left, then the mapper's check. */
  readonly #finishUpstream = (): IteratorResult<T[]> | Promise<IteratorResult<T[]>> => {
    try {
      this.#sink.end?.();
    } catch (err) {
      return this.#failed(err);
    }
    this.#state = "last";
    if (this.#out.length > 0) return this.#take();
    return this.next();
  };

  readonly #onFail = (err: unknown): Promise<IteratorResult<T[]>> =>
    this.#release().then(() => this.#failed(err));

  #failed(err: unknown): IteratorResult<T[]> {
    const error = fromBedrockError(err);
    this.#state = "last";
    if (this.#out.length > 0) {
      // Items made before the failure still go out first.
      this.#error = error;
      return this.#take();
    }
    this.#state = "done";
    throw error;
  }

  /** Stopped early (client gone) or failed: release the upstream connection. */
  #release(): Promise<unknown> {
    return Promise.resolve(this.upstream.return?.()).catch(() => {});
  }

  return(): Promise<IteratorResult<T[]>> {
    const wasRunning = this.#state === "running";
    this.#state = "done";
    return wasRunning ? this.#release().then(() => DONE) : Promise.resolve(DONE);
  }

  throw(err?: unknown): Promise<IteratorResult<T[]>> {
    const wasRunning = this.#state === "running";
    this.#state = "done";
    return (wasRunning ? this.#release() : Promise.resolve()).then(() => Promise.reject(err));
  }

  [Symbol.asyncIterator](): AsyncGenerator<T[]> {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}

/**
 * A surface's stream with its own items around the encoded batches: `first`
 * (e.g. Responses' `response.created`), then every batch of `inner` as it is,
 * then `after()` once `inner` has ended successfully (e.g. storing the
 * response). What `async function* () { yield first; yield* inner; await
 * after(); }` does, without an async generator step per upstream batch
 * (bench/README.md, "The stream's per-event path"). A failure of `inner`
 * passes through and skips `after`; `return()` releases `inner`.
 */
export function aroundBatches<T>(
  first: T[],
  inner: AsyncIterator<T[]>,
  after: () => Promise<void>,
): AsyncIterator<T[]> {
  return new AroundBatches(first, inner, after);
}

class AroundBatches<T> implements AsyncIterator<T[]> {
  #first: T[] | undefined;
  #done = false;

  constructor(
    first: T[],
    private readonly inner: AsyncIterator<T[]>,
    private readonly after: () => Promise<void>,
  ) {
    this.#first = first;
  }

  next(): Promise<IteratorResult<T[]>> {
    const first = this.#first;
    if (first) {
      this.#first = undefined;
      return Promise.resolve({ done: false, value: first });
    }
    if (this.#done) return Promise.resolve(DONE);
    return this.inner.next().then(this.#onNext, this.#onFail);
  }

  readonly #onNext = (
    r: IteratorResult<T[]>,
  ): IteratorResult<T[]> | Promise<IteratorResult<T[]>> => {
    if (!r.done) return r;
    this.#done = true;
    return this.after().then(() => DONE);
  };

  readonly #onFail = (err: unknown): never => {
    this.#done = true;
    throw err;
  };

  return(value?: unknown): Promise<IteratorResult<T[]>> {
    this.#first = undefined;
    if (this.#done) return Promise.resolve(DONE);
    this.#done = true;
    return Promise.resolve(this.inner.return?.(value as never)).then(() => DONE);
  }
}
