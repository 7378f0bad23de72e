/**
 * Retries `f` until it returns true, at most `attempts` times `stepMs` apart:
 * for propagation between processes (revocations, key changes), where what is
 * under test is that it happens, not how fast.
 */
export async function eventually(
  f: () => Promise<boolean>,
  attempts = 250,
  stepMs = 20,
): Promise<boolean> {
  for (let i = 1; i < attempts; i++) {
    if (await f()) return true;
    await Bun.sleep(stepMs);
  }
  return f();
}
