/**
 * One load-generator process of the scale run (bench/scale.ts): opens
 * SCALE_STREAMS streams at once (spread over SCALE_RAMP_MS), reads each to
 * the end, and prints one JSON line: completed, errors, the first error, and
 * the time to first body bytes of every stream. Run with a raised
 * BUN_CONFIG_MAX_HTTP_REQUESTS, or Bun's fetch would hold all but 256 back.
 *
 * @module
 */
export {};

const n = Number(process.env.SCALE_STREAMS ?? 100);
const rampMs = Number(process.env.SCALE_RAMP_MS ?? 1000);
const spec = JSON.parse(process.env.SCALE_SPEC ?? "{}") as {
  url: string;
  headers: Record<string, string>;
  body: string;
  endMarker: string;
};
const decoder = new TextDecoder();

const ttfts: number[] = [];
let completed = 0;
let errors = 0;
let firstError: string | undefined;

async function one(delayMs: number): Promise<void> {
  await Bun.sleep(delayMs);
  const t0 = performance.now();
  try {
    const res = await fetch(spec.url, { method: "POST", headers: spec.headers, body: spec.body });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    let ttft = -1;
    let last: Uint8Array | undefined;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (ttft < 0) ttft = performance.now() - t0;
      last = value;
    }
    const tail = last ? decoder.decode(last.subarray(Math.max(0, last.length - 512))) : "";
    if (res.status !== 200 || !tail.includes(spec.endMarker)) {
      throw new Error(`HTTP ${res.status}: ${tail.slice(-200)}`);
    }
    ttfts.push(ttft);
    completed++;
  } catch (err) {
    errors++;
    firstError ??= err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
}

await Promise.all(Array.from({ length: n }, (_, i) => one((i * rampMs) / n)));
process.stdout.write(`${JSON.stringify({ completed, errors, firstError, ttfts })}\n`);
