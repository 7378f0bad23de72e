/**
 * Retries `f` until it returns true, for at most `ms`, then once more: for
 * propagation between processes (revocations, key changes), where what is under
 * test is that it happens, not how fast.
 */
export async function eventually(
  f: () => Promise<boolean>,
  ms = 5_000,
  stepMs = 20,
): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await f()) return true;
    await Bun.sleep(stepMs);
  }
  return f();
}
