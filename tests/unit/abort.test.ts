/**
 * callSignal against what it replaces: AbortSignal.any([client,
 * AbortSignal.timeout(ms), shutdown]); watchAbort against
 * addEventListener("abort", fn, { once: true }).
 */
import { describe, expect, test } from "bun:test";
import { callSignal, watchAbort } from "../../src/abort";

function both(timeoutMs: number) {
  const client = new AbortController();
  const shutdown = new AbortController();
  const ours = callSignal(client.signal, shutdown.signal, timeoutMs);
  const theirs = AbortSignal.any([client.signal, AbortSignal.timeout(timeoutMs), shutdown.signal]);
  return { client, shutdown, ours, theirs };
}

function same(a: unknown, b: unknown) {
  if (a instanceof DOMException && b instanceof DOMException) {
    expect([a.name, a.message, a.code]).toEqual([b.name, b.message, b.code]);
  } else expect(a).toBe(b);
}

describe("callSignal", () => {
  test("the client's abort, with its reason", () => {
    const { client, ours, theirs } = both(60_000);
    expect(ours.signal.aborted).toBe(false);
    client.abort(new Error("client gone"));
    expect(ours.signal.aborted).toBe(theirs.aborted);
    same(ours.signal.reason, theirs.reason);
  });

  test("the shutdown's abort, with its reason", () => {
    const { shutdown, ours, theirs } = both(60_000);
    shutdown.abort("shutting down");
    expect(ours.signal.aborted).toBe(true);
    same(ours.signal.reason, theirs.reason);
  });

  test("the deadline, with AbortSignal.timeout's reason", async () => {
    const { ours, theirs } = both(5);
    await Bun.sleep(40);
    expect(ours.signal.aborted).toBe(true);
    expect(theirs.aborted).toBe(true);
    same(ours.signal.reason, theirs.reason);
  });

  test("a source aborted already decides at once, the first one in order", () => {
    const client = new AbortController();
    const shutdown = new AbortController();
    shutdown.abort("second");
    client.abort("first");
    const ours = callSignal(client.signal, shutdown.signal, 60_000);
    const theirs = AbortSignal.any([client.signal, shutdown.signal]);
    expect(ours.signal.reason).toBe("first");
    expect(theirs.reason).toBe("first");
  });

  test("release() stops following the sources and the deadline", async () => {
    const { client, ours } = both(5);
    ours.release();
    await Bun.sleep(30);
    client.abort("late");
    expect(ours.signal.aborted).toBe(false);
  });

  test("the first abort wins and later ones change nothing", () => {
    const { client, shutdown, ours } = both(60_000);
    shutdown.abort("shutdown");
    client.abort("client");
    expect(ours.signal.reason).toBe("shutdown");
  });
});

describe("watchAbort", () => {
  test("calls each watcher once, in the order watched, as EventTarget listeners", () => {
    const controller = new AbortController();
    const calls: string[] = [];
    watchAbort(controller.signal, () => calls.push("a"));
    const stopB = watchAbort(controller.signal, () => calls.push("b"));
    watchAbort(controller.signal, () => calls.push("c"));
    stopB();
    stopB();
    controller.abort();
    controller.abort();
    expect(calls).toEqual(["a", "c"]);
  });

  test("a watcher that throws does not stop the others", () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const reported: unknown[] = [];
    const original = globalThis.reportError;
    globalThis.reportError = (err: unknown) => reported.push(err);
    try {
      watchAbort(controller.signal, () => {
        throw new Error("boom");
      });
      watchAbort(controller.signal, () => calls.push("after"));
      controller.abort();
    } finally {
      globalThis.reportError = original;
    }
    expect(calls).toEqual(["after"]);
    expect(reported).toHaveLength(1);
  });

  test("separate signals keep separate watchers; a watcher added after the abort is not called", () => {
    const one = new AbortController();
    const two = new AbortController();
    const calls: string[] = [];
    watchAbort(one.signal, () => calls.push("one"));
    watchAbort(two.signal, () => calls.push("two"));
    one.abort();
    watchAbort(one.signal, () => calls.push("late"));
    expect(calls).toEqual(["one"]);
    two.abort();
    expect(calls).toEqual(["one", "two"]);
  });
});
