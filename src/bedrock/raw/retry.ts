/**
 * Retries of the raw transport with the SDK client's own strategy and error
 * classification (@smithy/core/retry), so both transports retry alike: only
 * until the first event, since an attempt resolves once it is in hand.
 *
 * @module
 */
import type { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { isServerError, isThrottlingError, isTransientError } from "@smithy/core/retry";

type AnyRetryStrategy = Awaited<ReturnType<BedrockRuntimeClient["config"]["retryStrategy"]>>;
/** The token-based strategy (standard/adaptive) the SDK resolves from maxAttempts. */
export type RetryStrategyV2 = Extract<AnyRetryStrategy, { acquireInitialRetryToken: unknown }>;
export const isV2 = (s: AnyRetryStrategy): s is RetryStrategyV2 => "acquireInitialRetryToken" in s;

/**
 * Runs `attempt` until it succeeds or the strategy gives up (the error then
 * carries `$metadata.attempts` and `totalRetryDelay`, as the SDK's does).
 * `attempt` is told which attempt it is (1-based) and the delay so far, for
 * an output's `$metadata`.
 */
export async function withRetries<T>(
  strategy: RetryStrategyV2,
  attempt: (attempts: number, totalRetryDelay: number) => Promise<T>,
  signal: AbortSignal | undefined,
): Promise<T> {
  let token = await strategy.acquireInitialRetryToken("");
  let attempts = 0;
  let totalRetryDelay = 0;
  for (;;) {
    try {
      const out = await attempt(attempts + 1, totalRetryDelay);
      strategy.recordSuccess(token);
      return out;
    } catch (e) {
      const err = e as Error & { $metadata?: Record<string, unknown> };
      try {
        if (signal?.aborted) throw err;
        token = await strategy.refreshRetryTokenForRetry(token, retryErrorInfo(err));
      } catch {
        err.$metadata ??= {};
        err.$metadata.attempts = attempts + 1;
        err.$metadata.totalRetryDelay = totalRetryDelay;
        throw err;
      }
      attempts = token.getRetryCount();
      const delay = token.getRetryDelay();
      totalRetryDelay += delay;
      if (delay > 0) await sleep(delay, signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

interface Classifiable {
  $response?: { headers?: Record<string, string> };
}

type RetryErrorInfo = Parameters<RetryStrategyV2["refreshRetryTokenForRetry"]>[1];

function retryErrorInfo(error: Error): RetryErrorInfo {
  // Same order as the SDK's retry middleware (getRetryErrorType).
  const sdkError = error as Parameters<typeof isThrottlingError>[0];
  const errorType = isThrottlingError(sdkError)
    ? "THROTTLING"
    : isTransientError(sdkError)
      ? "TRANSIENT"
      : isServerError(sdkError)
        ? "SERVER_ERROR"
        : "CLIENT_ERROR";
  const info: RetryErrorInfo = { errorType };
  const e = error as Classifiable;
  const hint = retryAfterHint(e.$response?.headers);
  if (hint) info.retryAfterHint = hint;
  return info;
}

/** `retry-after` (seconds or HTTP date) or `x-amz-retry-after` (ms) → a Date, as the SDK reads it. */
function retryAfterHint(headers: Record<string, string> | undefined): Date | undefined {
  if (!headers) return undefined;
  const amz = headers["x-amz-retry-after"];
  if (amz !== undefined && Number.isFinite(Number(amz))) return new Date(Date.now() + Number(amz));
  const ra = headers["retry-after"];
  if (ra === undefined) return undefined;
  const seconds = Number(ra);
  if (Number.isFinite(seconds)) return new Date(Date.now() + seconds * 1000);
  const date = new Date(ra);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
