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
 */
export async function* decodeBatches(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): AsyncGenerator<ConverseStreamOutput[]> {
  let pending: Uint8Array | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let buf = pending ? concat(pending, value) : value;
      pending = undefined;
      let offset = 0;
      let batch: ConverseStreamOutput[] = [];
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
      if (batch.length > 0) {
        const ready = batch;
        batch = [];
        yield ready;
      }
      if (failure) throw failure;
      if (offset < buf.length) pending = buf.slice(offset);
      buf = new Uint8Array(0);
    }
    if (pending && pending.length > 0) throw new Error("Truncated event message received.");
  } finally {
    // Early return (consumer stopped) or error: release the connection.
    reader.cancel().catch(() => {});
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
