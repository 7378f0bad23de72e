/**
 * Server-Sent Events for every surface: frames an async iterator of wire
 * items, in batches, as the surface's framing says: `data: <json>` frames
 * ending with `data: [DONE]` (OpenAI) or named events (`event: x` +
 * `data: <json>`, Anthropic and OpenAI Responses), and an error frame in the
 * surface's own error shape (then close, no terminator) if the source fails
 * after the response has started, so a stream never ends looking like a
 * success.
 *
 * Shared here: keep-alive after silence (a comment or the surface's ping
 * event, so proxies and Bun's idle timer do not cut a model that thinks for
 * a while), the idle timeout on a silent upstream, the shutdown signal, and
 * aborting upstream when the client goes away.
 *
 * @module
 */

import { watchAbort } from "../abort";
import { GatewayError, toGatewayError } from "../errors";
import { shuttingDownError } from "../lifecycle";

/** Response headers of every event stream. */
export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  // Tell nginx-style proxies not to buffer the stream.
  "x-accel-buffering": "no",
};

/** How one surface writes its stream. */
export interface SseFraming<T> {
  /** One item's frame text, ending in a blank line. */
  frame(item: T): string;
  /** Written after the last item on success (`data: [DONE]\n\n`); nothing when absent. */
  done?: string;
  /** Written after {@link SseOptions.keepaliveMs} of silence: a comment or a ping event. */
  keepalive: string;
  /** The frame that ends a failed stream. */
  error(err: GatewayError): string;
}

/** `data: <json>\n\n`. */
export function dataFrame(data: unknown): string {
  return `data: ${JSON.stringify(data)}\n\n`;
}

/** `event: <name>\ndata: <json>\n\n`. */
export function namedFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Data-only frames ending in `[DONE]`, keep-alive comments; errors in `errorBody`'s shape. */
export function dataOnlyFraming(errorBody: (err: GatewayError) => unknown): SseFraming<unknown> {
  return {
    frame: dataFrame,
    done: "data: [DONE]\n\n",
    keepalive: ": keep-alive\n\n",
    error: (err) => dataFrame(errorBody(err)),
  };
}

/** A named event: its name and its JSON data. */
export interface NamedEvent {
  event: string;
  data: unknown;
}

/**
 * Named events, no terminator. `ping` (e.g. Anthropic's `{"type":"ping"}`)
 * replaces the keep-alive comment; errors go out as `event: error`.
 */
export function namedEventFraming(opts: {
  errorBody: (err: GatewayError) => unknown;
  ping?: NamedEvent;
}): SseFraming<NamedEvent> {
  return {
    frame: (item) => namedFrame(item.event, item.data),
    keepalive: opts.ping ? namedFrame(opts.ping.event, opts.ping.data) : ": keep-alive\n\n",
    error: (err) => namedFrame("error", opts.errorBody(err)),
  };
}

export interface SseOptions<T> {
  framing: SseFraming<T>;
  /** Send a keep-alive after this much silence. */
  keepaliveMs: number;
  /** Fail the stream after this much upstream silence. */
  idleTimeoutMs: number;
  /**
   * When upstream last showed life (ms since epoch). Defaults to when the source
   * last yielded; pass it when the source swallows events that yield nothing.
   */
  lastActivity?: () => number;
  /** Cancels the upstream request (client gone, or idle timeout). */
  abort: () => void;
  /**
   * The server's shutdown signal: when it fires, upstream is aborted at once
   * and the stream ends with the shutdown error frame (503 server_shutting_down).
   * Watched here rather than by a wrapper around the source
   * to save a Promise.race per batch; the listener is removed when the stream ends.
   */
  shutdown?: AbortSignal;
  /** Called once, when the stream ends for any reason. */
  onEnd?: (outcome: { error?: GatewayError; cancelled: boolean }) => void;
}

const encoder = new TextEncoder();

/**
 * @param source yields batches: the objects of one batch are framed in order
 *   and written together (an empty batch writes nothing but counts as activity)
 */
export function toSseStream<T>(
  source: AsyncIterator<readonly T[]>,
  opts: SseOptions<T>,
): ReadableStream<Uint8Array> {
  const writer = new SseWriter(source, opts);
  // Bun's direct stream: one pull for the whole body, each write goes to the
  // socket without a JS queue in between (measured in bench/README.md).
  return new ReadableStream<Uint8Array>({
    type: "direct",
    pull: (direct) => writer.pull(direct),
    cancel: () => writer.cancel(),
  });
}

/** The part of Bun's direct stream controller the writer uses. */
interface Direct {
  write(bytes: Uint8Array): number | Promise<number>;
  flush(): unknown;
  close(): unknown;
}

/**
 * One stream's state and its per-event step, driven by callbacks rather than
 * an async loop: per upstream batch one `source.next().then(...)`, no
 * `Promise.race` against a fresh wake-up promise, no async step function
 * (measured in bench/README.md, "The stream's per-event path"). The one timer
 * per stream (keep-alive, idle timeout) and the shutdown listener act on the
 * stream themselves when they fire while a batch is awaited. Methods on the
 * prototype, so an open stream holds one object instead of a dozen closures.
 */
class SseWriter<T> {
  readonly #source: AsyncIterator<readonly T[]>;
  readonly #opts: SseOptions<T>;
  readonly #framing: SseFraming<T>;
  #direct: Direct | undefined;
  /** Resolves (or rejects) the pull once the stream is over. */
  #settle: ((err?: unknown) => void) | undefined;
  /** A source.next() is outstanding and nothing else is in progress. */
  #waiting = false;
  #lastEvent = Date.now();
  #quietSince = this.#lastEvent;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  #cancelled = false;
  #ended = false;
  #interrupted = false;
  /** Stops watching the shutdown signal, once watched. */
  #unwatchShutdown: (() => void) | undefined;

  constructor(source: AsyncIterator<readonly T[]>, opts: SseOptions<T>) {
    this.#source = source;
    this.#opts = opts;
    this.#framing = opts.framing;
  }

  pull(direct: Direct): Promise<void> {
    this.#direct = direct;
    const done = new Promise<void>((resolve, reject) => {
      this.#settle = (err) => (err === undefined ? resolve() : reject(err));
    });
    this.#next();
    return done;
  }

  cancel(): Promise<void> {
    this.#cancelled = true;
    this.#waiting = false;
    this.#stopTimer();
    // The client went away: stop paying for tokens nobody reads.
    this.#opts.abort();
    this.#end({ cancelled: true });
    this.#finish();
    return Promise.resolve(this.#source.return?.(undefined))
      .catch(() => {})
      .then(() => {});
  }

  #activity(): number {
    return Math.max(this.#lastEvent, this.#opts.lastActivity?.() ?? 0);
  }

  /** Asks the source for its next batch (or fails at once after a shutdown). */
  #next(): void {
    if (this.#closed || this.#cancelled) {
      this.#finish();
      return;
    }
    this.#watchShutdown();
    if (this.#interrupted) {
      this.#fail(shuttingDownError());
      return;
    }
    this.#armTimer();
    this.#waiting = true;
    let pending: Promise<IteratorResult<readonly T[]>>;
    try {
      pending = this.#source.next();
    } catch (err) {
      this.#waiting = false;
      this.#fail(err);
      return;
    }
    pending.then(this.#onResult, this.#onError);
  }

  // Arrow fields: bound once per stream, not once per event.
  readonly #onResult = (result: IteratorResult<readonly T[]>): void => {
    if (this.#closed || this.#cancelled) return; // ended already (timeout, shutdown, cancel)
    this.#waiting = false;
    this.#lastEvent = Date.now();
    this.#quietSince = this.#lastEvent;
    try {
      if (result.done) {
        this.#stopTimer();
        const done = this.#framing.done;
        if (done !== undefined) this.#write(encoder.encode(done));
        this.#closed = true;
        this.#end({ cancelled: false });
      } else if (result.value.length > 0) {
        this.#write(this.#frames(result.value));
      }
    } catch (err) {
      this.#fail(err);
      return;
    }
    this.#flushThen();
  };

  readonly #onError = (err: unknown): void => {
    if (this.#closed || this.#cancelled) return;
    this.#waiting = false;
    this.#fail(err);
  };

  /** The frames of items that are ready together, as one buffer (one write). */
  #frames(batch: readonly T[]): Uint8Array {
    const framing = this.#framing;
    if (batch.length === 1) return encoder.encode(framing.frame(batch[0] as T));
    let text = "";
    for (const item of batch) text += framing.frame(item);
    return encoder.encode(text);
  }

  #full: Promise<number> | undefined;

  #write(bytes: Uint8Array): void {
    if (this.#cancelled || !this.#direct) return;
    const r = this.#direct.write(bytes);
    if (typeof r !== "number") this.#full = r;
  }

  /**
   * After a write: flush, wait while the socket is full (back-pressure, as
   * the pull-based stream had), then the next batch or the end.
   */
  #flushThen(): void {
    if (this.#cancelled) {
      this.#finish();
      return;
    }
    this.#direct?.flush();
    const full = this.#full;
    if (full) {
      this.#full = undefined;
      full.then(this.#resume, this.#abandon);
    } else this.#resume();
  }

  readonly #resume = (): void => {
    if (this.#closed && !this.#cancelled) {
      this.#direct?.close();
      this.#finish();
      return;
    }
    this.#next();
  };

  readonly #abandon = (err: unknown): void => {
    const settle = this.#settle;
    this.#settle = undefined;
    settle?.(err ?? new Error("write failed"));
  };

  #finish(): void {
    const settle = this.#settle;
    this.#settle = undefined;
    settle?.();
  }

  /** Ends the stream with the surface's error frame. */
  #fail(err: unknown): void {
    this.#stopTimer();
    const error = toGatewayError(err);
    this.#write(encoder.encode(this.#framing.error(error)));
    this.#closed = true;
    this.#end({ error, cancelled: false });
    this.#flushThen();
  }

  // One timer per stream, re-armed only when it fires, instead of a new
  // setTimeout/clearTimeout per chunk (measured on the hot path by bench/).
  // A timer armed earlier can only fire early (events push deadlines later),
  // so a wake-up re-checks the clock and re-arms if nothing is due.
  #armTimer(): void {
    if (this.#timer) return;
    const { idleTimeoutMs, keepaliveMs } = this.#opts;
    const now = Date.now();
    const activity = this.#activity();
    const idleLeft = idleTimeoutMs - (now - activity);
    const keepaliveLeft = keepaliveMs - (now - Math.max(this.#quietSince, activity));
    this.#timer = setTimeout(this.#onTimer, Math.max(0, Math.min(keepaliveLeft, idleLeft)));
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    // Between batches (writing, or waiting for the socket): the next #next() re-arms.
    if (!this.#waiting) return;
    const { idleTimeoutMs, keepaliveMs } = this.#opts;
    const activity = this.#activity();
    const quiet = Date.now() - Math.max(this.#quietSince, activity);
    if (Date.now() - activity >= idleTimeoutMs) {
      this.#waiting = false;
      this.#opts.abort();
      this.#fail(
        new GatewayError(504, "Bedrock stopped sending data; the stream timed out.", {
          code: "stream_idle_timeout",
        }),
      );
      return;
    }
    if (quiet < keepaliveMs) {
      this.#armTimer();
      return;
    }
    this.#quietSince = Date.now();
    // Written from here: the batch asked for stays outstanding. A full socket is
    // waited for after the next batch's write (#flushThen), as before.
    this.#write(KEEPALIVE_CACHE.get(this.#framing.keepalive));
    this.#direct?.flush();
    this.#armTimer();
  };

  #stopTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  // The shutdown signal lives as long as the server: a listener left on it would
  // keep this stream's whole pipeline reachable. Attached at the first pull,
  // detached when the stream ends in any way.
  // watchAbort, not addEventListener: with N open streams on one signal, each
  // add and remove scanned N listeners (bench/README.md, "Session 3").
  #watchShutdown(): void {
    const signal = this.#opts.shutdown;
    if (!signal || this.#unwatchShutdown || this.#ended) return;
    if (signal.aborted) {
      this.#unwatchShutdown = () => {};
      this.#shutdownNow();
    } else this.#unwatchShutdown = watchAbort(signal, this.#shutdownNow);
  }

  readonly #shutdownNow = (): void => {
    this.#interrupted = true;
    this.#opts.abort();
    if (!this.#waiting) return; // #next() sees #interrupted
    this.#waiting = false;
    this.#fail(shuttingDownError());
  };

  #end(outcome: { error?: GatewayError; cancelled: boolean }): void {
    this.#unwatchShutdown?.();
    if (this.#ended) return;
    this.#ended = true;
    this.#opts.onEnd?.(outcome);
  }
}

/** Keep-alive texts encoded once per distinct text (a handful per process). */
const KEEPALIVE_CACHE = {
  bytes: new Map<string, Uint8Array>(),
  get(text: string): Uint8Array {
    let b = this.bytes.get(text);
    if (!b) {
      b = encoder.encode(text);
      this.bytes.set(text, b);
    }
    return b;
  },
};
