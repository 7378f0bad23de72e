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
  return new DecodeLoop(reader);
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

class DecodeLoop implements AsyncGenerator<ConverseStreamOutput[]> {
  #pending: Uint8Array | undefined;
  #done = false;
  /** Thrown by the next call, after the events read before it were handed out. */
  #failure: Error | undefined;

  constructor(private readonly reader: BodyReader) {}

  next(): Promise<IteratorResult<ConverseStreamOutput[]>> {
    if (this.#done) return Promise.resolve(DONE);
    const failure = this.#failure;
    if (failure) {
      this.#stop();
      return Promise.reject(failure);
    }
    return this.reader.read().then(this.#onRead, this.#onFail);
  }

  readonly #onRead = (
    r: ReadResult,
  ): IteratorResult<ConverseStreamOutput[]> | Promise<IteratorResult<ConverseStreamOutput[]>> => {
    if (this.#done) return DONE; // the consumer stopped meanwhile
    if (r.done) {
      const left = this.#pending;
      this.#stop();
      if (left && left.length > 0) throw new Error("Truncated event message received.");
      return DONE;
    }
    const value = r.value;
    const pending = this.#pending;
    const buf = pending ? concat(pending, value) : value;
    this.#pending = undefined;
    let offset = 0;
    const batch: ConverseStreamOutput[] = [];
    let failure: Error | undefined;
    while (buf.length - offset >= 4) {
      const total = readUint32(buf, offset);
      if (buf.length - offset < total) break;
      let msg: Frame;
      try {
        msg = decodeFrame(buf, offset, total);
      } catch (err) {
        failure = err as Error;
        break;
      }
      offset += total;
      const type = msg.messageType;
      if (type === "event") {
        const member = msg.eventType;
        if (!EVENT_MEMBERS.has(member)) continue;
        try {
          batch.push(
            toEvent(member, JSON.parse(decoder.decode(msg.body)) as Record<string, unknown>),
          );
        } catch (err) {
          failure = err as Error;
          break;
        }
      } else if (type === "exception" || type === "error") {
        failure = frameError(msg, type);
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
    // Early return (consumer stopped) or error: release the connection.
    this.reader.cancel().catch(() => {});
  }

  return(): Promise<IteratorResult<ConverseStreamOutput[]>> {
    this.#stop();
    return Promise.resolve(DONE);
  }

  throw(err?: unknown): Promise<IteratorResult<ConverseStreamOutput[]>> {
    this.#stop();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator](): AsyncGenerator<ConverseStreamOutput[]> {
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
