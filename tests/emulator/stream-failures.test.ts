import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import {
  ConverseStreamCommand,
  ModelStreamErrorException,
  ThrottlingException,
} from "@aws-sdk/client-bedrock-runtime";
import { type Emulator, startEmulator } from "../../src/emulator";
import { caught, collect, runtimeClient, SONNET_45_US, until, userSays } from "./helpers";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());
beforeEach(() => emu.reset());

function stream(text = "tell me a long story", signal?: AbortSignal) {
  return runtimeClient(emu).send(
    new ConverseStreamCommand({ modelId: SONNET_45_US, messages: userSays(text) }),
    signal ? { abortSignal: signal } : {},
  );
}

describe("stream failure injection", () => {
  test("an exception as the first frame makes send() reject", async () => {
    emu.enqueue({
      stream: { exceptionAfter: { events: 0, type: "throttlingException", message: "slow down" } },
    });
    const err = await caught(() => stream());
    expect(err).toBeInstanceOf(ThrottlingException);
    expect(err.message).toBe("slow down");
  });

  test("a mid-stream exception is thrown by the iterator, by name", async () => {
    emu.enqueue({
      stream: { exceptionAfter: { events: 3, type: "modelStreamErrorException", message: "boom" } },
    });
    const res = await stream();
    const seen: unknown[] = [];
    const err = await caught(async () => {
      for await (const event of res.stream ?? []) seen.push(event);
    });
    expect(seen.length).toBe(3);
    expect(err).toBeInstanceOf(ModelStreamErrorException);
    expect(err.name).toBe("ModelStreamErrorException");
    expect(err.originalStatusCode).toBe(500);
  });

  test("the midstream directive throws after two events", async () => {
    const res = await stream("x [emu midstream=throttlingException]");
    const seen: unknown[] = [];
    const err = await caught(async () => {
      for await (const event of res.stream ?? []) seen.push(event);
    });
    expect(seen.length).toBe(2);
    expect(err).toBeInstanceOf(ThrottlingException);
  });

  test("an exception type outside the union surfaces as a plain Error named by its type", async () => {
    emu.enqueue({
      stream: { exceptionAfter: { events: 1, type: "modelTimeoutException", message: "late" } },
    });
    const res = await stream();
    const err = await caught(() => collect(res.stream));
    expect(err.name).toBe("modelTimeoutException");
    expect(err.message).toBe('{"message":"late"}');
  });

  test("endAfter ends the iterator cleanly without messageStop or metadata", async () => {
    emu.enqueue({ stream: { endAfter: 4 } });
    const events = await collect((await stream()).stream);
    expect(events.length).toBe(4);
    expect(events.some((e) => e.messageStop || e.metadata)).toBe(false);
  });

  test("resetAfter makes the iterator throw", async () => {
    emu.enqueue({ stream: { resetAfter: 3, chunkSize: 4 } });
    const seen: unknown[] = [];
    // Depending on TCP chunking the drop may surface from send() (the SDK pre-reads the first
    // event) or from the iterator; either way the client must see an error.
    const err = await caught(async () => {
      const res = await stream();
      for await (const event of res.stream ?? []) seen.push(event);
    });
    expect(err).toBeInstanceOf(Error);
    expect(seen.length).toBeLessThanOrEqual(3);
    expect(seen.some((e) => (e as Record<string, unknown>).messageStop)).toBe(false);
  });

  test("aborting via AbortController cancels the upstream stream", async () => {
    emu.enqueue({ stream: { chunkSize: 1, eventDelayMs: 20 } });
    const controller = new AbortController();
    const res = await stream(
      "a fairly long prompt so the reply has many one-character deltas",
      controller.signal,
    );
    const iterator = res.stream?.[Symbol.asyncIterator]();
    await iterator?.next();
    controller.abort();
    await caught(async () => {
      while (!(await iterator?.next())?.done) {
        /* drain until the abort surfaces */
      }
    }).catch(() => undefined);
    await until(() => emu.stats.streamsCancelled === 1, "streamsCancelled");
    expect(emu.stats.streamsCancelled).toBe(1);
    expect(emu.stats.streamsCompleted).toBe(0);
  });
});
