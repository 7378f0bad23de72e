/**
 * Usage recording off the hot path: finished requests are appended to a
 * buffer in memory and written to the store in one transaction per batch,
 * every USAGE_FLUSH_MS and on shutdown. A failed write keeps the batch for the
 * next attempt (bounded), so a database hiccup loses nothing.
 *
 * @module
 */
import type { Logger } from "../log";
import type { Store, UsageRecord } from "./types";

/** Beyond this many unwritten records the oldest are dropped (and logged): memory stays bounded. */
const MAX_PENDING = 200_000;

export class UsageBuffer {
  #pending: UsageRecord[] = [];
  #timer: ReturnType<typeof setInterval> | undefined;
  #flushing: Promise<void> | undefined;
  readonly #afterFlush: Array<(batch: UsageRecord[]) => void | Promise<void>> = [];

  constructor(
    private readonly store: Store,
    private readonly opts: { flushMs: number; logger: Logger },
  ) {}

  start(): void {
    this.#timer = setInterval(() => {
      void this.flush();
    }, this.opts.flushMs);
    this.#timer.unref?.();
  }

  /** Runs after each committed batch (budget totals are re-read then). */
  onFlushed(fn: (batch: UsageRecord[]) => void | Promise<void>): void {
    this.#afterFlush.push(fn);
  }

  get pending(): number {
    return this.#pending.length;
  }

  record(u: UsageRecord): void {
    this.#pending.push(u);
    if (this.#pending.length > MAX_PENDING) {
      const dropped = this.#pending.splice(0, this.#pending.length - MAX_PENDING);
      this.opts.logger.error("usage buffer full: dropped the oldest records", {
        dropped: dropped.length,
      });
    }
  }

  /** Writes everything buffered so far, then runs the listeners; calls queue behind a running one. */
  flush(): Promise<void> {
    if (this.#flushing) return this.#flushing.then(() => this.flush());
    const batch = this.#pending;
    this.#pending = [];
    // Listeners run on every tick, an empty batch included: other replicas' usage comes in then.
    this.#flushing = (async () => {
      try {
        if (batch.length > 0) await this.store.addUsage(batch);
      } catch (err) {
        // Put it back in front, keep order; the next tick retries.
        this.#pending = batch.concat(this.#pending);
        this.opts.logger.warn("writing usage failed; will retry", {
          records: batch.length,
          cause: err instanceof Error ? err.message : String(err),
        });
        return;
      }
      // Still inside the flush: no other batch commits until the listeners saw this one.
      for (const fn of this.#afterFlush) {
        try {
          await fn(batch);
        } catch (err) {
          this.opts.logger.warn("after-flush step failed", {
            cause: err instanceof Error ? err.message : String(err),
          });
        }
      }
    })().finally(() => {
      this.#flushing = undefined;
    });
    return this.#flushing;
  }

  /** Stops the timer and writes what is left, retrying for up to `deadlineMs`. */
  async close(deadlineMs = 5_000): Promise<void> {
    clearInterval(this.#timer);
    const until = Date.now() + deadlineMs;
    while (this.#pending.length > 0 || this.#flushing) {
      await this.flush();
      if (this.#pending.length === 0) break;
      if (Date.now() > until) {
        this.opts.logger.error("shutdown: usage records could not be written", {
          records: this.#pending.length,
        });
        return;
      }
      await Bun.sleep(200);
    }
  }
}
