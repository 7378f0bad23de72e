/**
 * Back-pressure: a cap on API requests in flight (each one is, or will be, a
 * Bedrock call; a stream counts until it ends). Beyond the cap we answer 429
 * with retry-after at once instead of queuing without bound: a queue would
 * only turn overload into latency and memory, and the client (or the load
 * balancer's other targets) can do better with the slot.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { GatewayError } from "../errors";
import type { RequestObs } from "../observability/request-obs";

/** Seconds a rejected client should wait; streams free slots quickly. */
const RETRY_AFTER_S = 1;

export class ConcurrencyLimiter {
  #inFlight = 0;
  constructor(readonly max: number) {}

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Takes a slot if one is free; returns its release function (idempotent), or undefined. */
  tryAcquire(): (() => void) | undefined {
    if (this.#inFlight >= this.max) return undefined;
    this.#inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight--;
    };
  }
}

export function concurrencyLimit(
  limiter: ConcurrencyLimiter,
): MiddlewareHandler<{ Variables: { obs: RequestObs } }> {
  return async function concurrencyLimit(c, next) {
    const release = limiter.tryAcquire();
    if (!release) {
      throw new GatewayError(
        429,
        `The gateway is at its limit of ${limiter.max} concurrent requests; retry shortly.`,
        {
          type: "rate_limit_error",
          code: "gateway_overloaded",
          headers: { "retry-after": String(RETRY_AFTER_S) },
        },
      );
    }
    try {
      await next();
    } finally {
      // A stream keeps its slot until it ends, not until the handler returns.
      void c.var.obs.settled.then(release);
    }
  };
}
