/**
 * A bounded closed-loop load generator: `concurrency` workers, each sending
 * its next request as soon as the previous one has been read to the end, for a
 * fixed time. Closed loop means the offered load adapts to the server (no
 * unbounded queue builds up), so throughput and latency stay meaningful on a
 * small, noisy machine.
 *
 * @module
 */

export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Looks at the last bytes of a response: did it end the way a success ends? */
  check(status: number, tail: string): boolean;
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** First failure seen, for the report. */
  firstError?: string;
  elapsedMs: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Time to the first body bytes (streams: the first event or SSE chunk). */
  ttfbP50Ms: number;
  ttfbP99Ms: number;
}

const decoder = new TextDecoder();

/** Sends one request and reads it to the end; returns [latency, ttfb] or an error text. */
async function once(spec: LoadSpec): Promise<[number, number] | string> {
  const t0 = performance.now();
  try {
    const res = await fetch(spec.url, { method: "POST", headers: spec.headers, body: spec.body });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let ttfb = -1;
    let last: Uint8Array | undefined;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (ttfb < 0) ttfb = performance.now() - t0;
      last = value;
    }
    const latency = performance.now() - t0;
    const tail = last ? decoder.decode(last.subarray(Math.max(0, last.length - 512))) : "";
    if (!spec.check(res.status, tail)) return `HTTP ${res.status}: ${tail.slice(-200)}`;
    return [latency, ttfb < 0 ? latency : ttfb];
  } catch (err) {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

/** Runs the closed loop for `durationMs` and waits for the requests in flight. */
export async function runLoad(
  spec: LoadSpec,
  concurrency: number,
  durationMs: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const ttfbs: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const stopAt = start + durationMs;
  const worker = async () => {
    while (performance.now() < stopAt) {
      const r = await once(spec);
      if (typeof r === "string") {
        errors++;
        firstError ??= r;
        // A failing target must not spin: back off a little.
        await Bun.sleep(5);
      } else {
        latencies.push(r[0]);
        ttfbs.push(r[1]);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedMs = performance.now() - start;
  const lat = Float64Array.from(latencies).sort();
  const tt = Float64Array.from(ttfbs).sort();
  return {
    requests: latencies.length,
    errors,
    ...(firstError ? { firstError } : {}),
    elapsedMs,
    rps: (latencies.length * 1000) / elapsedMs,
    p50Ms: percentile(lat, 50),
    p99Ms: percentile(lat, 99),
    ttfbP50Ms: percentile(tt, 50),
    ttfbP99Ms: percentile(tt, 99),
  };
}
