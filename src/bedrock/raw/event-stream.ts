/**
 * The event-stream body of ConverseStream → SDK-shaped events, one batch per
 * network read, and the port's iterator over them (events one by one, or the
 * batches themselves for the fused stream loop).
 *
 * @module
 */
import type { ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import { decodeFrame, type Frame, readUint32 } from "../frame-decoder";
import type { EventBatches } from "../runtime";
import { frameError } from "./errors";
import type { BodyReader, ReadResult } from "./http1";

const decoder = new TextDecoder();

/** Members of ConverseStreamOutput that are events (anything else is skipped, like the SDK). */
const EVENT_MEMBERS = new Set([
  "messageStart",
  "contentBlockStart",
  "contentBlockDelta",
  "contentBlockStop",
  "messageStop",
  "metadata",
]);

const fromBase64 = (s: unknown): unknown =>
  typeof s === "string" ? Uint8Array.from(Buffer.from(s, "base64")) : s;

/** An event payload in the SDK's shape: padding dropped, blobs decoded. */
function toEvent(member: string, payload: Record<string, unknown>): ConverseStreamOutput {
  delete payload.p;
  if (member === "contentBlockDelta") {
    const delta = payload.delta as
      | {
          reasoningContent?: { redactedContent?: unknown };
          image?: { source?: { bytes?: unknown } };
        }
      | undefined;
    if (delta?.reasoningContent?.redactedContent !== undefined) {
      delta.reasoningContent.redactedContent = fromBase64(delta.reasoningContent.redactedContent);
    }
    if (delta?.image?.source?.bytes !== undefined) {
      delta.image.source.bytes = fromBase64(delta.image.source.bytes);
    }
  }
  return { [member]: payload } as unknown as ConverseStreamOutput;
}

/**
 * Frames → SDK-shaped events, one batch per network read (never empty).
 * Reassembles frames split across reads and keeps at most one partial frame
 * buffered. An exception frame throws after the events before it in the same
 * read have been handed over, exactly where the event-by-event reader would.
 * The reader is cancelled whenever the loop stops (end, failure, early return).
 *
 * A plain iterator object: one `then` per network read instead of an async
 * generator's resume, await and yield (bench/README.md, "The stream's
 * per-event path").
 */
export function decodeBatches(reader: BodyReader): AsyncGenerator<ConverseStreamOutput[]> {
  return new FrameLoop(reader, converseEvent);
}

/** A Converse event frame → the SDK-shaped event; other members are skipped, like the SDK. */
function converseEvent(frame: Frame): ConverseStreamOutput | undefined {
  const member = frame.eventType;
  if (!EVENT_MEMBERS.has(member)) return undefined;
  return toEvent(member, JSON.parse(decoder.decode(frame.body)) as Record<string, unknown>);
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The event frames of a body as items, one batch per network read: `item`
 * maps an event frame (undefined skips it; a throw fails the stream), an
 * exception or error frame fails the stream with the SDK's error for it.
 * Shared by ConverseStream and InvokeModelWithResponseStream.
 */
export class FrameLoop<T> implements AsyncGenerator<T[]> {
  #pending: Uint8Array | undefined;
  #done = false;
  /** Thrown by the next call, after the items read before it were handed out. */
  #failure: Error | undefined;

  constructor(
    private readonly reader: BodyReader,
    private readonly item: (frame: Frame) => T | undefined,
  ) {}

  next(): Promise<IteratorResult<T[]>> {
    if (this.#done) return Promise.resolve(DONE);
    const failure = this.#failure;
    if (failure) {
      this.#stop();
      return Promise.reject(failure);
    }
    return this.reader.read().then(this.#onRead, this.#onFail);
  }

  readonly #onRead = (r: ReadResult): IteratorResult<T[]> | Promise<IteratorResult<T[]>> => {
    if (this.#done) return DONE; // the consumer stopped meanwhile
    if (r.done) {
      const left = this.#pending;
      this.#stop();
      if (left && left.length > 0) throw new Error("Truncated event message received.");
      return DONE;
    }
    const pending = this.#pending;
    const buf = pending ? concat(pending, r.value) : r.value;
    this.#pending = undefined;
    let offset = 0;
    const batch: T[] = [];
    let failure: Error | undefined;
    while (buf.length - offset >= 4) {
      const total = readUint32(buf, offset);
      if (buf.length - offset < total) break;
      try {
        const frame = decodeFrame(buf, offset, total);
        offset += total;
        const type = frame.messageType;
        if (type === "exception" || type === "error") {
          failure = frameError(frame, type);
          break;
        }
        if (type !== "event") continue;
        const it = this.item(frame);
        if (it !== undefined) batch.push(it);
      } catch (err) {
        failure = err as Error;
        break;
      }
    }
    if (failure) {
      if (batch.length > 0) {
        this.#failure = failure;
        return { done: false, value: batch };
      }
      this.#stop();
      throw failure;
    }
    if (offset < buf.length) this.#pending = buf.slice(offset);
    if (batch.length > 0) return { done: false, value: batch };
    return this.next(); // only part of a frame so far: read on
  };

  readonly #onFail = (err: unknown): never => {
    this.#stop();
    throw err;
  };

  #stop(): void {
    if (this.#done) return;
    this.#done = true;
    this.#pending = undefined;
    this.#failure = undefined;
    // Early return, error or end: release the connection (a no-op once read to its end).
    this.reader.cancel().catch(() => {});
  }

  return(): Promise<IteratorResult<T[]>> {
    this.#stop();
    return Promise.resolve(DONE);
  }

  throw(err?: unknown): Promise<IteratorResult<T[]>> {
    this.#stop();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator](): AsyncGenerator<T[]> {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#stop();
  }
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * The stream with its pre-read first batch put back in front, as events (the
 * port's iterator; plain objects, no generator layer per event) and as
 * batches ({@link EventBatches}, the chat route's fast path).
 */
export function withFirst(
  first: IteratorResult<ConverseStreamOutput[]>,
  rest: AsyncGenerator<ConverseStreamOutput[]>,
): AsyncIterable<ConverseStreamOutput> & EventBatches {
  return new FirstThenRest(first, rest);
}

/**
 * One object per stream with its methods on the prototype, instead of a
 * closure per method (measured with bench/stream-heap.ts: objects kept alive
 * per open stream). It is its own event iterator; `batches()` hands out a
 * small view over the same state.
 */
class FirstThenRest
  implements AsyncIterable<ConverseStreamOutput>, AsyncIterator<ConverseStreamOutput>, EventBatches
{
  #head: IteratorResult<ConverseStreamOutput[]> | undefined;
  #queue: ConverseStreamOutput[] = [];
  #at = 0;

  constructor(
    first: IteratorResult<ConverseStreamOutput[]>,
    readonly rest: AsyncGenerator<ConverseStreamOutput[]>,
  ) {
    this.#head = first;
  }

  nextBatch(): Promise<IteratorResult<ConverseStreamOutput[]>> {
    const head = this.#head;
    if (head) {
      this.#head = undefined;
      return Promise.resolve(head);
    }
    return this.rest.next();
  }

  batches(): AsyncIterator<ConverseStreamOutput[]> {
    return new BatchView(this);
  }

  [Symbol.asyncIterator](): AsyncIterator<ConverseStreamOutput> {
    return this;
  }

  next(): Promise<IteratorResult<ConverseStreamOutput>> {
    if (this.#at < this.#queue.length) {
      return Promise.resolve({
        done: false,
        value: this.#queue[this.#at++] as ConverseStreamOutput,
      });
    }
    return this.nextBatch().then((r) => this.#refill(r));
  }

  #refill(r: IteratorResult<ConverseStreamOutput[]>): IteratorResult<ConverseStreamOutput> {
    if (r.done) return { done: true, value: undefined };
    this.#queue = r.value;
    this.#at = 1;
    return { done: false, value: this.#queue[0] as ConverseStreamOutput };
  }

  async return(value?: unknown): Promise<IteratorResult<ConverseStreamOutput>> {
    await this.rest.return(value as never);
    return { done: true, value: undefined };
  }

  async throw(err?: unknown): Promise<IteratorResult<ConverseStreamOutput>> {
    await this.rest.throw(err);
    return { done: true, value: undefined };
  }
}

/** The batch iterator of a {@link FirstThenRest}. */
class BatchView implements AsyncIterator<ConverseStreamOutput[]> {
  constructor(private readonly stream: FirstThenRest) {}
  next(): Promise<IteratorResult<ConverseStreamOutput[]>> {
    return this.stream.nextBatch();
  }
  return(value?: unknown): Promise<IteratorResult<ConverseStreamOutput[]>> {
    return this.stream.rest.return(value as never);
  }
  throw(err?: unknown): Promise<IteratorResult<ConverseStreamOutput[]>> {
    return this.stream.rest.throw(err);
  }
}
