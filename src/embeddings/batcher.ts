/**
 * Runs jobs with bounded concurrency and keeps results in input order.
 *
 * The first failure aborts the shared signal, so sibling Bedrock calls stop
 * instead of burning quota for a request that already failed, and no further
 * job starts.
 *
 * @module
 */

/** Splits `items` into consecutive chunks of at most `size`, remembering each chunk's offset. */
export function chunk<T>(items: readonly T[], size: number): Array<{ offset: number; items: T[] }> {
  const out: Array<{ offset: number; items: T[] }> = [];
  for (let offset = 0; offset < items.length; offset += size) {
    out.push({ offset, items: items.slice(offset, offset + size) });
  }
  return out;
}

/**
 * `results[i] = await job(jobs[i], signal)` with at most `concurrency` running.
 * Rejects with the first error; `parent` aborting stops everything.
 */
export async function mapBounded<T, R>(
  jobs: readonly T[],
  concurrency: number,
  run: (job: T, signal: AbortSignal) => Promise<R>,
  parent: AbortSignal,
): Promise<R[]> {
  const results: R[] = new Array(jobs.length);
  const failed = new AbortController();
  const signal = AbortSignal.any([parent, failed.signal]);
  let next = 0;
  let firstError: { error: unknown } | undefined;

  async function worker(): Promise<void> {
    while (next < jobs.length && !signal.aborted) {
      const index = next++;
      try {
        results[index] = await run(jobs[index] as T, signal);
      } catch (error) {
        firstError ??= { error };
        failed.abort();
        return;
      }
    }
  }

  const workers = Math.max(1, Math.min(concurrency, jobs.length));
  await Promise.all(Array.from({ length: workers }, worker));
  if (firstError) throw firstError.error;
  if (parent.aborted) throw parent.reason;
  return results;
}
