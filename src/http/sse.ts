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
const TIMEOUT = Symbol("timeout");
const SHUTDOWN = Symbol("shutdown");

/**
 * @param source yields batches: the objects of one batch are framed in order
 *   and written together (an empty batch writes nothing but counts as activity)
 */
export function toSseStream<T>(
  source: AsyncIterator<readonly T[]>,
  opts: SseOptions<T>,
): ReadableStream<Uint8Array> {
  const { framing } = opts;
  const DONE = framing.done === undefined ? undefined : encoder.encode(framing.done);
  const KEEPALIVE = encoder.encode(framing.keepalive);
  /** The frames of items that are ready together, as one buffer (one enqueue, one write). */
  const frames = (batch: readonly T[]): Uint8Array => {
    if (batch.length === 1) return encoder.encode(framing.frame(batch[0] as T));
    let text = "";
    for (const item of batch) text += framing.frame(item);
    return encoder.encode(text);
  };
  let pending: Promise<IteratorResult<readonly T[]>> | undefined;
  let lastEvent = Date.now();
  let ended = false;
  const activity = () => Math.max(lastEvent, opts.lastActivity?.() ?? 0);
  // The shutdown signal lives as long as the server: a listener left on it would
  // keep this stream's whole pipeline reachable. Attached at the first pull,
  // detached when the stream ends in any way.
  let interrupted = false;
  let onShutdown: (() => void) | undefined;
  const watchShutdown = () => {
    const signal = opts.shutdown;
    if (!signal || onShutdown || ended) return;
    onShutdown = () => {
      interrupted = true;
      opts.abort();
      const w = wake;
      wake = undefined;
      w?.(SHUTDOWN);
    };
    if (signal.aborted) onShutdown();
    else signal.addEventListener("abort", onShutdown, { once: true });
  };
  const end = (outcome: { error?: GatewayError; cancelled: boolean }) => {
    if (onShutdown) opts.shutdown?.removeEventListener("abort", onShutdown);
    if (ended) return;
    ended = true;
    opts.onEnd?.(outcome);
  };

  // One timer per stream, re-armed only when it fires, instead of a new
  // setTimeout/clearTimeout per chunk (measured on the hot path by bench/).
  // A timer armed earlier can only fire early (events push deadlines later),
  // so a wake-up re-checks the clock and goes back to waiting if nothing is due.
  let quietSince = lastEvent;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let wake: ((v: typeof TIMEOUT | typeof SHUTDOWN) => void) | undefined;
  const onTimer = () => {
    timer = undefined;
    const w = wake;
    wake = undefined;
    w?.(TIMEOUT);
  };
  const stopTimer = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    wake = undefined;
  };

  /** What one step writes to: the direct controller, or `close` to end the loop. */
  interface Sink {
    enqueue(bytes: Uint8Array): void;
    close(): void;
  }
  let closed = false;
  let cancelled = false;
  const step = async (controller: Sink): Promise<void> => {
    try {
      watchShutdown();
      if (interrupted) throw shuttingDownError();
      pending ??= source.next();
      let result: IteratorResult<readonly T[]> | typeof TIMEOUT | typeof SHUTDOWN;
      for (;;) {
        const now = Date.now();
        const idleLeft = opts.idleTimeoutMs - (now - activity());
        const keepaliveLeft = opts.keepaliveMs - (now - Math.max(quietSince, activity()));
        const wait = Math.max(0, Math.min(keepaliveLeft, idleLeft));
        timer ??= setTimeout(onTimer, wait);
        result = await Promise.race([
          pending,
          new Promise<typeof TIMEOUT | typeof SHUTDOWN>((resolve) => {
            wake = resolve;
          }),
        ]);
        if (result === SHUTDOWN) throw shuttingDownError();
        if (result !== TIMEOUT) break;
        const quiet = Date.now() - Math.max(quietSince, activity());
        if (quiet >= opts.keepaliveMs || Date.now() - activity() >= opts.idleTimeoutMs) break;
      }
      if (result === TIMEOUT) {
        if (Date.now() - activity() >= opts.idleTimeoutMs) {
          opts.abort();
          throw new GatewayError(504, "Bedrock stopped sending data; the stream timed out.", {
            code: "stream_idle_timeout",
          });
        }
        quietSince = Date.now();
        controller.enqueue(KEEPALIVE);
        return;
      }
      pending = undefined;
      lastEvent = Date.now();
      quietSince = lastEvent;
      if (result.done) {
        stopTimer();
        if (DONE) controller.enqueue(DONE);
        controller.close();
        end({ cancelled: false });
        return;
      }
      if (result.value.length > 0) controller.enqueue(frames(result.value));
    } catch (err) {
      stopTimer();
      const error = toGatewayError(err);
      controller.enqueue(encoder.encode(framing.error(error)));
      controller.close();
      end({ error, cancelled: false });
    }
  };

  // Bun's direct stream: one pull for the whole body, each write goes to the
  // socket without a JS queue in between (measured in bench/README.md).
  return new ReadableStream<Uint8Array>({
    type: "direct",
    async pull(direct) {
      // A pending write result means the socket is full: wait for it before
      // pulling more from upstream (back-pressure, as the pull-based stream had).
      let full: Promise<number> | undefined;
      const sink: Sink = {
        enqueue: (bytes) => {
          if (cancelled) return;
          const r = direct.write(bytes);
          if (typeof r !== "number") full = r;
        },
        close: () => {
          closed = true;
        },
      };
      while (!closed && !cancelled) {
        await step(sink);
        if (cancelled) break;
        direct.flush();
        if (full) {
          await full;
          full = undefined;
        }
      }
      if (!cancelled) direct.close();
    },
    async cancel() {
      cancelled = true;
      stopTimer();
      // The client went away: stop paying for tokens nobody reads.
      opts.abort();
      end({ cancelled: true });
      pending?.catch(() => {});
      await source.return?.(undefined)?.catch(() => {});
    },
  });
}
