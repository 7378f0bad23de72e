/**
 * The gateway's run state for graceful shutdown: ready, then draining.
 *
 * On SIGTERM the process stops taking new work (every route but /health and
 * /metrics answers 503, /health answers 503 so a load balancer moves traffic
 * away), lets in-flight requests and streams finish, and after a deadline
 * interrupts what is left: {@link Lifecycle.shutdownSignal} fires, streams end
 * with an error frame, and the process can exit 0.
 *
 * @module
 */
import { GatewayError } from "./errors";

export interface DrainResult {
  /** True when the deadline passed with requests still running (they were interrupted). */
  forced: boolean;
  /** Requests still in flight when the drain returned (0 unless the grace also ran out). */
  remaining: number;
}

/** How long interrupted streams get to write their error frame after the deadline. */
const DEFAULT_GRACE_MS = 2_000;

export class Lifecycle {
  #draining = false;
  #inFlight = 0;
  readonly #shutdown = new AbortController();
  #idleWaiters: Array<() => void> = [];

  /** True once a drain has started; never goes back. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Requests that have not finished yet (a stream counts until it ends). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Aborted when the drain deadline passes: whatever still runs must stop now. */
  get shutdownSignal(): AbortSignal {
    return this.#shutdown.signal;
  }

  /** Counts a request in; call the returned function exactly once when it is done. */
  enter(): () => void {
    this.#inFlight++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#inFlight--;
      if (this.#inFlight === 0) this.#wakeIdle();
    };
  }

  /** Stops taking new work. Idempotent. */
  startDrain(): void {
    this.#draining = true;
  }

  /**
   * Starts draining and waits for in-flight requests, at most `deadlineMs`;
   * then fires {@link shutdownSignal} and waits at most `graceMs` more for the
   * interrupted ones to close.
   */
  async drain(deadlineMs: number, graceMs = DEFAULT_GRACE_MS): Promise<DrainResult> {
    this.startDrain();
    if (await this.#idleWithin(deadlineMs)) return { forced: false, remaining: 0 };
    this.#shutdown.abort(shuttingDownError());
    await this.#idleWithin(graceMs);
    return { forced: true, remaining: this.#inFlight };
  }

  #idleWithin(ms: number): Promise<boolean> {
    if (this.#inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#idleWaiters = this.#idleWaiters.filter((w) => w !== wake);
        resolve(false);
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#idleWaiters.push(wake);
    });
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}

/** 503 for requests refused or interrupted by a shutdown; clients retry elsewhere. */
export function shuttingDownError(): GatewayError {
  return new GatewayError(503, "The gateway is shutting down; retry the request.", {
    type: "server_error",
    code: "server_shutting_down",
    headers: { "retry-after": "1", connection: "close" },
  });
}
