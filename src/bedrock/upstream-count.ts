/**
 * A decorator on the {@link BedrockRuntime} port, so both transports and every
 * route get the same treatment:
 * - counts the Bedrock runtime calls in flight (a stream until it ends), for
 *   /metrics: with Bun's per-process fetch limit known, calls beyond it are the
 *   ones waiting inside fetch (calls on the gateway's own sockets,
 *   src/bedrock/raw/http1.ts: Converse and the native InvokeModel calls, are
 *   not fetches and are left out of that count);
 * - names a connection that breaks after a stream has started for what it is,
 *   `upstream_incomplete`, rather than `upstream_unreachable`.
 *
 * @module
 */
import type { ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import { fromBedrockError, upstreamIncompleteError } from "../errors";
import type { NativeInvoker } from "./native-invoke";
import type { BodyReader, ReadResult, UpstreamResponse } from "./raw/http1";
import type { BedrockRuntime, ConverseStreamResult, EventBatches } from "./runtime";

export class UpstreamCounter {
  #inFlight = 0;
  constructor(
    /** The fetch limit this process runs with (see fetch-capacity.ts). */
    readonly fetchCap: number,
    /** Calls on the raw transport's own sockets (not fetches). */
    private readonly onSockets: () => number = () => 0,
  ) {}

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Calls beyond the fetch limit: waiting inside fetch for a slot. */
  get queued(): number {
    return Math.max(0, this.#inFlight - this.onSockets() - this.fetchCap);
  }

  /** Counts one call in; the returned function counts it out (idempotent). */
  enter(): () => void {
    this.#inFlight++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#inFlight--;
    };
  }
}

/**
 * Wraps a started stream's iterator so `leave` runs once when it ends, fails or
 * is returned early, and a broken connection surfaces as upstream_incomplete.
 */
function tracked<T>(it: AsyncIterator<T>, leave: () => void): AsyncIterator<T> {
  return {
    next: (...args) =>
      it.next(...(args as [])).then(
        (r) => {
          if (r.done) leave();
          return r;
        },
        (err: unknown) => {
          leave();
          // The stream had started (converseStream resolves on its first event).
          throw fromBedrockError(err).code === "upstream_unreachable"
            ? upstreamIncompleteError(err)
            : err;
        },
      ),
    return: (value?: unknown) => {
      leave();
      return it.return ? it.return(value as never) : Promise.resolve({ done: true, value });
    },
    throw: (err?: unknown) => {
      leave();
      return it.throw ? it.throw(err) : Promise.reject(err);
    },
  } as AsyncIterator<T>;
}

export function countingRuntime(inner: BedrockRuntime, counter: UpstreamCounter): BedrockRuntime {
  return {
    converse: (input, signal) => {
      const leave = counter.enter();
      return inner.converse(input, signal).finally(leave);
    },
    invokeModel: (input, signal) => {
      const leave = counter.enter();
      return inner.invokeModel(input, signal).finally(leave);
    },
    converseStream: async (input, signal): Promise<ConverseStreamResult> => {
      const leave = counter.enter();
      // A stream dropped before anyone iterates it ends through its abort signal.
      signal?.addEventListener("abort", leave, { once: true });
      let out: ConverseStreamResult;
      try {
        out = await inner.converseStream(input, signal);
      } catch (err) {
        leave();
        throw err;
      }
      const source = out.stream as AsyncIterable<ConverseStreamOutput> & Partial<EventBatches>;
      const stream: AsyncIterable<ConverseStreamOutput> & Partial<EventBatches> = {
        [Symbol.asyncIterator]: () => tracked(source[Symbol.asyncIterator](), leave),
      };
      const batches = source.batches?.bind(source);
      if (batches) stream.batches = () => tracked(batches(), leave);
      return { ...out, stream };
    },
  };
}

/**
 * The same count for the native InvokeModel port (the Anthropic surface and Bedrock
 * mode): a call is in flight from the request until its response body has been read
 * to the end, failed or been cancelled (or the signal aborts first).
 */
export function countingInvoker(inner: NativeInvoker, counter: UpstreamCounter): NativeInvoker {
  return {
    invoke: async (modelId, body, opts) => {
      const leave = counter.enter();
      opts.signal?.addEventListener("abort", leave, { once: true });
      let res: UpstreamResponse;
      try {
        res = await inner.invoke(modelId, body, opts);
      } catch (err) {
        leave();
        throw err;
      }
      return countedResponse(res, leave);
    },
    countTokens: (foundationModelId, input, signal) => {
      const leave = counter.enter();
      return inner.countTokens(foundationModelId, input, signal).finally(leave);
    },
  };
}

/**
 * The response with `leave` run once its body has been read to the end, failed
 * or been cancelled. Plain objects over the body's reader: no ReadableStream
 * (and its promise per read) between the socket and the consumer.
 */
function countedResponse(res: UpstreamResponse, leave: () => void): UpstreamResponse {
  return {
    status: res.status,
    headers: res.headers,
    text: () => res.text().finally(leave),
    reader: (): BodyReader => {
      const inner = res.reader();
      const onRead = (r: ReadResult): ReadResult => {
        if (r.done) leave();
        return r;
      };
      const onFail = (err: unknown): never => {
        leave();
        throw err;
      };
      return {
        read: () => inner.read().then(onRead, onFail),
        cancel: (reason?: unknown) => {
          leave();
          return inner.cancel(reason);
        },
      };
    },
  };
}
