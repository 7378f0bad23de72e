/**
 * The raw transport's own event-stream frame decoder against
 * `@smithy/eventstream-codec` as the oracle, on frames written by the
 * emulator's independent encoder (src/emulator/eventstream.ts).
 */
import { describe, expect, test } from "bun:test";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { decodeFrame, readUint32 } from "../../src/bedrock/frame-decoder";
import { decodeBatches } from "../../src/bedrock/raw/event-stream";
import { encodeFrame, eventFrame, exceptionFrame } from "../../src/emulator/eventstream";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const codec = new EventStreamCodec(
  (b) => decoder.decode(b),
  (s) => encoder.encode(s),
);

/** A realistic ConverseStream body: start, reasoning, text (incl. non-ASCII), tool use, stop, metadata. */
function conversation(): Uint8Array[] {
  const events: Array<[string, Record<string, unknown>]> = [
    ["messageStart", { role: "assistant" }],
    ["contentBlockDelta", { contentBlockIndex: 0, delta: { reasoningContent: { text: "hmm" } } }],
    ["contentBlockStop", { contentBlockIndex: 0 }],
  ];
  for (let i = 0; i < 20; i++) {
    events.push(["contentBlockDelta", { contentBlockIndex: 1, delta: { text: `tok ${i} é😀 ` } }]);
  }
  events.push(
    ["contentBlockStop", { contentBlockIndex: 1 }],
    [
      "contentBlockStart",
      { contentBlockIndex: 2, start: { toolUse: { toolUseId: "t1", name: "get" } } },
    ],
    ["contentBlockDelta", { contentBlockIndex: 2, delta: { toolUse: { input: '{"a":1}' } } }],
    ["contentBlockStop", { contentBlockIndex: 2 }],
    ["messageStop", { stopReason: "tool_use" }],
    [
      "metadata",
      { usage: { inputTokens: 5, outputTokens: 7, totalTokens: 12 }, metrics: { latencyMs: 3 } },
    ],
  );
  return events.map(([type, payload], i) => eventFrame(type, payload, i));
}

function join(frames: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

/** The codec's view of a frame, in the decoder's shape. */
function oracle(frame: Uint8Array) {
  const msg = codec.decode(frame);
  const str = (name: string) => {
    const h = msg.headers[name];
    return h === undefined ? undefined : String(h.value);
  };
  return {
    messageType: str(":message-type") ?? "",
    eventType: str(":event-type") ?? "",
    exceptionType: str(":exception-type") ?? "",
    errorCode: str(":error-code"),
    errorMessage: str(":error-message"),
    body: decoder.decode(msg.body),
  };
}

function ours(frame: Uint8Array) {
  const f = decodeFrame(frame, 0, readUint32(frame, 0));
  return { ...f, body: decoder.decode(f.body) };
}

/** Deterministic PRNG so a failure is reproducible. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 0x100000000;
  };
}

function chunked(body: Uint8Array, cuts: number[]): ReadableStream<Uint8Array> {
  const points = [0, ...cuts.sort((a, b) => a - b), body.length];
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i + 1 < points.length; i++) {
        const a = points[i] as number;
        const b = points[i + 1] as number;
        if (b > a) controller.enqueue(body.slice(a, b));
      }
      controller.close();
    },
  });
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<unknown[]> {
  const out: unknown[] = [];
  const reader = stream.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  for await (const batch of decodeBatches(reader)) {
    expect(batch.length).toBeGreaterThan(0);
    out.push(...batch);
  }
  return out;
}

/** What the SDK would yield: the codec's payloads, `p` padding dropped, keyed by event type. */
function expectedEvents(frames: Uint8Array[]): unknown[] {
  return frames.map((f) => {
    const o = oracle(f);
    const { p: _p, ...payload } = JSON.parse(o.body) as Record<string, unknown>;
    return { [o.eventType]: payload };
  });
}

describe("event-stream frame decoder", () => {
  test("every frame decodes as the codec decodes it (headers read, body bytes)", () => {
    const frames = [
      ...conversation(),
      exceptionFrame("throttlingException", { message: "slow down" }),
      encodeFrame(
        [
          [":message-type", "error"],
          [":error-code", "InternalFailure"],
          [":error-message", "boom ✓"],
        ],
        new Uint8Array(0),
      ),
      encodeFrame([], encoder.encode("{}")),
    ];
    for (const f of frames) expect(ours(f)).toEqual(oracle(f));
  });

  test("non-string headers are skipped by their wire size, as the codec parses them", () => {
    const frame = codec.encode({
      headers: {
        flag: { type: "boolean", value: true },
        b: { type: "byte", value: 7 },
        s: { type: "short", value: 300 },
        i: { type: "integer", value: 70000 },
        bin: { type: "binary", value: new Uint8Array([1, 2, 3]) },
        when: { type: "timestamp", value: new Date(1700000000000) },
        id: { type: "uuid", value: "12345678-1234-1234-1234-123456789abc" },
        ":event-type": { type: "string", value: "messageStop" },
        ":message-type": { type: "string", value: "event" },
      },
      body: encoder.encode('{"stopReason":"end_turn"}'),
    });
    expect(ours(frame)).toEqual(oracle(frame));
  });

  test("a corrupt prelude or message CRC throws the codec's error", () => {
    const good = eventFrame("messageStart", { role: "assistant" }, 0);
    const badPrelude = good.slice();
    badPrelude[9] = (badPrelude[9] as number) ^ 0xff;
    const badMessage = good.slice();
    badMessage[20] = (badMessage[20] as number) ^ 0x01;
    for (const bad of [badPrelude, badMessage]) {
      let expected = "";
      try {
        codec.decode(bad);
      } catch (e) {
        expected = (e as Error).message;
      }
      expect(expected).not.toBe("");
      expect(() => decodeFrame(bad, 0, readUint32(bad, 0))).toThrow(expected);
    }
    expect(() => decodeFrame(new Uint8Array(8), 0, 8)).toThrow(/too short/);
    const badTag = encodeFrame([[":message-type", "event"]], new Uint8Array(0));
    badTag[12 + 1 + 13] = 42; // the type tag of the only header
    const view = new DataView(badTag.buffer);
    view.setUint32(badTag.length - 4, Bun.hash.crc32(badTag.subarray(0, badTag.length - 4)));
    expect(() => decodeFrame(badTag, 0, badTag.length)).toThrow("Unrecognized header type tag");
  });

  test("a body split at random points, several frames per read, gives the codec's events", async () => {
    const frames = conversation();
    const body = join(frames);
    const expected = expectedEvents(frames);
    const next = rng(8);
    for (let round = 0; round < 200; round++) {
      const n = Math.floor(next() * 12);
      const cuts = Array.from({ length: n }, () => Math.floor(next() * body.length));
      expect(await readAll(chunked(body, cuts))).toEqual(expected);
    }
    // one byte per read, and everything in one read
    expect(
      await readAll(
        chunked(
          body,
          Array.from({ length: body.length - 1 }, (_, i) => i + 1),
        ),
      ),
    ).toEqual(expected);
    expect(await readAll(chunked(body, []))).toEqual(expected);
  });

  test("a body ending mid-frame throws Truncated after the complete frames' events", async () => {
    const frames = conversation();
    const body = join(frames);
    const cut = body.length - 5;
    const seen: unknown[] = [];
    let error: unknown;
    try {
      const reader = chunked(body.slice(0, cut), [100]).getReader();
      for await (const batch of decodeBatches(reader as ReadableStreamDefaultReader<Uint8Array>))
        seen.push(...batch);
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toBe("Truncated event message received.");
    expect(seen).toEqual(expectedEvents(frames.slice(0, -1)));
  });
});
