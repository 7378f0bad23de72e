/**
 * The signal of one upstream call that ends with the client, a deadline or
 * the server's shutdown: what `AbortSignal.any([client, AbortSignal.timeout(ms),
 * shutdown])` gives, with the same reasons, at a third of its cost (one
 * controller, a watch per source and a timer, all released when the call is over,
 * instead of a composite signal and a timeout signal that outlive it; measured
 * in bench/README.md, "Session 3: per-request path").
 *
 * {@link watchAbort} is for signals many requests watch at once (the
 * server's shutdown signal): EventTarget's add/removeEventListener scan the
 * signal's listener list, so with N open streams each stream paid O(N) to
 * start and to end (~11 µs each at 4,000 open streams, measured).
 *
 * @module
 */

/** Callbacks per watched signal, called in the order they were added. */
const watchers = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `onAbort` once when `signal` aborts, like `addEventListener("abort",
 * onAbort, { once: true })`, at O(1) per watch and unwatch whatever the number
 * of watchers: one listener per signal, the callbacks in a Set. A callback
 * that throws is reported (`reportError`), as EventTarget does, and the
 * others still run. On a signal aborted already, nothing is called (as with
 * addEventListener): check `signal.aborted` first.
 * @returns stops watching (idempotent)
 */
export function watchAbort(signal: AbortSignal, onAbort: () => void): () => void {
  let set = watchers.get(signal);
  if (set === undefined) {
    const callbacks = new Set<() => void>();
    set = callbacks;
    watchers.set(signal, callbacks);
    signal.addEventListener(
      "abort",
      () => {
        const due = [...callbacks];
        callbacks.clear();
        for (const fn of due) {
          try {
            fn();
          } catch (err) {
            reportError(err);
          }
        }
      },
      { once: true },
    );
  }
  const callbacks = set;
  callbacks.add(onAbort);
  return () => {
    callbacks.delete(onAbort);
  };
}

export interface CallSignal {
  readonly signal: AbortSignal;
  /** Stops following the sources and the deadline; call it when the call is over. */
  release(): void;
}

/** The reason `AbortSignal.timeout()` aborts with. */
function timeoutReason(): DOMException {
  return new DOMException("The operation timed out.", "TimeoutError");
}

/**
 * @param client the request's own signal (listened to directly: it has few listeners)
 * @param shutdown the server's shutdown signal, shared by every request ({@link watchAbort})
 */
export function callSignal(
  client: AbortSignal,
  shutdown: AbortSignal,
  timeoutMs: number,
): CallSignal {
  const controller = new AbortController();
  const signal = controller.signal;
  // As AbortSignal.any: a source aborted already decides at once, in order.
  for (const source of [client, shutdown]) {
    if (source.aborted) {
      controller.abort(source.reason);
      return { signal, release: () => {} };
    }
  }
  const onClient = () => {
    release();
    controller.abort(client.reason);
  };
  client.addEventListener("abort", onClient, { once: true });
  const unwatch = watchAbort(shutdown, () => {
    release();
    controller.abort(shutdown.reason);
  });
  const timer = setTimeout(() => {
    release();
    controller.abort(timeoutReason());
  }, timeoutMs);
  const release = () => {
    clearTimeout(timer);
    client.removeEventListener("abort", onClient);
    unwatch();
  };
  return { signal, release };
}
