/**
 * The native InvokeModel port on both upstream senders (our own sockets, and
 * fetch: UPSTREAM_HTTP=fetch or a proxy): the same answers, chunks, errors,
 * retries and aborts, over HTTP against the emulator. And the chunk decoder
 * (base64 straight from the frame bytes) against Buffer's, on frames built
 * by the emulator's encoder.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import {
  type InvokeChunk,
  invokeChunkBatches,
  invokeError,
  isOk,
  SignedNativeInvoker,
  UsageTap,
} from "../../src/bedrock/native-invoke";
import { type BodyReader, Http1Client, UpstreamSender } from "../../src/bedrock/raw/http1";
import { createRuntimeClient } from "../../src/bedrock/runtime";
import { type Emulator, startEmulator } from "../../src/emulator";
import { encodeFrame, eventFrame, exceptionFrame } from "../../src/emulator/eventstream";
import { fromBedrockError } from "../../src/errors";

const MODEL = "anthropic.claude-3-haiku-20240307-v1:0";
const CREDS = { accessKeyId: "AKIDNATIVE", secretAccessKey: "native-secret" };

let emu: Emulator;
const sockets = new Http1Client();
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  sockets.close();
  await emu.stop();
});
beforeEach(() => emu.reset());

type Mode = "socket" | "fetch";
const MODES: Mode[] = ["socket", "fetch"];

function invokerFor(mode: Mode, maxAttempts = 1): SignedNativeInvoker {
  const client = createRuntimeClient({
    region: "us-east-1",
    maxAttempts,
    endpoint: emu.url,
    credentials: CREDS,
  });
  return new SignedNativeInvoker(client, {
    maxAttempts,
    endpoint: emu.url,
    env: {},
    http: new UpstreamSender(mode, sockets, {}),
  });
}

function body(text: string): string {
  return JSON.stringify({
    anthropic_version: "bedrock-2023-05-31",
    max_tokens: 256,
    messages: [{ role: "user", content: text }],
  });
}

async function both<T>(fn: (mode: Mode) => Promise<T>): Promise<Record<Mode, T>> {
  const out = {} as Record<Mode, T>;
  for (const mode of MODES) {
    emu.reset();
    out[mode] = await fn(mode);
  }
  return out;
}

async function chunksOf(reader: BodyReader): Promise<{ chunks: InvokeChunk[]; error?: unknown }> {
  const chunks: InvokeChunk[] = [];
  try {
    for await (const batch of invokeChunkBatches(reader)) chunks.push(...batch);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

/** Chunks without the emulator's per-call ids. */
function comparable(chunks: InvokeChunk[]) {
  return chunks.map((c) => ({ type: c.type, text: c.text.replace(/msg_[A-Za-z0-9_-]+/g, "msg") }));
}

describe("SignedNativeInvoker on both senders", () => {
  test("invoke: the same status, content type and message", async () => {
    const out = await both(async (mode) => {
      const res = await invokerFor(mode).invoke(MODEL, body("hello"), { stream: false });
      const message = JSON.parse(await res.text()) as Record<string, unknown>;
      return {
        ok: isOk(res),
        status: res.status,
        type: res.headers.get("content-type"),
        content: message.content,
        usage: message.usage,
        requests: emu.requests.length,
      };
    });
    expect(out.socket).toEqual(out.fetch);
    expect(out.socket.ok).toBe(true);
    expect(out.socket.requests).toBe(1);
  });

  test("stream: the same chunks, message_start to message_stop", async () => {
    const out = await both(async (mode) => {
      const res = await invokerFor(mode).invoke(MODEL, body("[emu chunks=6] hello"), {
        stream: true,
      });
      const { chunks, error } = await chunksOf(res.reader());
      expect(error).toBeUndefined();
      return comparable(chunks);
    });
    expect(out.socket).toEqual(out.fetch);
    expect(out.socket[0]?.type).toBe("message_start");
    expect(out.socket.at(-1)?.type).toBe("message_stop");
    expect(out.socket.filter((c) => c.type === "content_block_delta").length).toBeGreaterThan(1);
  });

  test("a mid-stream exception: the chunks before it, then the same error", async () => {
    const out = await both(async (mode) => {
      const res = await invokerFor(mode).invoke(
        MODEL,
        body("[emu midstream=throttlingException chunks=6] hello"),
        { stream: true },
      );
      const { chunks, error } = await chunksOf(res.reader());
      return { count: chunks.length, name: (error as Error | undefined)?.name };
    });
    expect(out.socket).toEqual(out.fetch);
    expect(out.socket.name).toBe("ThrottlingException");
    expect(out.socket.count).toBe(2);
  });

  test("retries: a 503 is retried maxAttempts times and answered as the last 503; a 400 is not retried", async () => {
    const out = await both(async (mode) => {
      const invoker = invokerFor(mode, 3);
      const unavailable = await invoker.invoke(
        MODEL,
        body("[emu error=ServiceUnavailableException] hi"),
        { stream: true },
      );
      const afterUnavailable = emu.requests.length;
      const unavailableError = invokeError(unavailable);
      emu.reset();
      const invalid = await invoker.invoke(MODEL, body("[emu error=ValidationException] hi"), {
        stream: false,
      });
      await invalid.text();
      return {
        unavailable: unavailable.status,
        unavailableName: (await unavailableError).name,
        afterUnavailable,
        invalid: invalid.status,
        afterInvalid: emu.requests.length,
      };
    });
    expect(out.socket).toEqual(out.fetch);
    expect(out.socket).toEqual({
      unavailable: 503,
      unavailableName: "ServiceUnavailableException",
      afterUnavailable: 3,
      invalid: 400,
      afterInvalid: 1,
    });
  });

  test("a throttle then a success: answered after one retry", async () => {
    const out = await both(async (mode) => {
      emu.enqueue({ error: { type: "ThrottlingException" } });
      const res = await invokerFor(mode, 3).invoke(MODEL, body("hello"), { stream: false });
      await res.text();
      return { status: res.status, requests: emu.requests.length };
    });
    expect(out.socket).toEqual(out.fetch);
    expect(out.socket).toEqual({ status: 200, requests: 2 });
  });

  test("abort before the answer: both reject, mapped to the same gateway error", async () => {
    const out = await both(async (mode) => {
      const controller = new AbortController();
      const pending = invokerFor(mode).invoke(MODEL, body("[emu first=300] hi"), {
        stream: false,
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(), 20);
      const error = await pending.then(
        (res) => res.text(),
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(Error);
      return fromBedrockError(error).status;
    });
    expect(out.socket).toBe(out.fetch);
    expect(out.socket).toBe(504);
  });

  test("countTokens: the same count; an error throws the SDK's error on both", async () => {
    const out = await both(async (mode) => {
      const n = await invokerFor(mode).countTokens(MODEL, body("count these tokens please"));
      const failed = await invokerFor(mode)
        .countTokens(MODEL, "not json")
        .then(
          () => undefined,
          (e: Error) => e.name,
        );
      return { n, failed };
    });
    expect(out.socket).toEqual(out.fetch);
    expect(out.socket.n).toBeGreaterThan(0);
    expect(out.socket.failed).toBe("ValidationException");
  });
});

// --- The chunk decoder on frames built by the emulator's encoder ---

const encoder = new TextEncoder();

function readerOf(parts: Uint8Array[]): BodyReader {
  let i = 0;
  return {
    read: async () =>
      i < parts.length
        ? { done: false as const, value: parts[i++] as Uint8Array }
        : { done: true as const },
    cancel: async () => {},
  };
}

function chunkFrame(text: string, index: number): Uint8Array {
  return eventFrame("chunk", { bytes: Buffer.from(text).toString("base64") }, index);
}

/** Texts of every length mod 3, multi-byte UTF-8 and characters that base64 to `+` and `/`. */
const TEXTS = [
  '{"type":"message_start","message":{"id":"m","usage":{"input_tokens":3}}}',
  '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}',
  '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ab"}}',
  '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"abc"}}',
  '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"héllo wörld ✓ 日本語 🎉"}}',
  '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"???>>>~~~"}}',
  '{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":9}}',
  '{"type":"message_stop","amazon-bedrock-invocationMetrics":{"inputTokenCount":3}}',
];

describe("chunk decoding", () => {
  test("every chunk's text is Buffer's base64 decode of its bytes, split anywhere", async () => {
    const frames = TEXTS.map(chunkFrame);
    const all = Buffer.concat(frames);
    for (const cut of [1, 7, 13, 64, all.length]) {
      const parts: Uint8Array[] = [];
      for (let at = 0; at < all.length; at += cut) parts.push(all.subarray(at, at + cut));
      const { chunks, error } = await chunksOf(readerOf(parts));
      expect(error).toBeUndefined();
      expect(chunks.map((c) => c.text)).toEqual(TEXTS);
    }
  });

  test("a payload not in Bedrock's key order, or with escaped base64, still decodes", async () => {
    const text = TEXTS[4] as string;
    const b64 = Buffer.from(text).toString("base64");
    const headers: [string, string][] = [
      [":event-type", "chunk"],
      [":content-type", "application/json"],
      [":message-type", "event"],
    ];
    const reordered = encodeFrame(
      headers,
      encoder.encode(JSON.stringify({ p: "abc", bytes: b64 })),
    );
    const escaped = encodeFrame(
      headers,
      encoder.encode(`{"bytes":"${b64.replaceAll("/", "\\/")}","p":"ab"}`),
    );
    const { chunks, error } = await chunksOf(readerOf([reordered, escaped]));
    expect(error).toBeUndefined();
    expect(chunks.map((c) => c.text)).toEqual([text, text]);
  });

  test("an exception frame after chunks: the chunks first, then the error; a cut frame throws", async () => {
    const frames = [
      chunkFrame(TEXTS[0] as string, 0),
      exceptionFrame("throttlingException", { message: "slow down" }),
    ];
    const failed = await chunksOf(readerOf(frames));
    expect(failed.chunks.map((c) => c.type)).toEqual(["message_start"]);
    expect((failed.error as Error).name).toBe("ThrottlingException");
    const cut = chunkFrame(TEXTS[1] as string, 1);
    const truncated = await chunksOf(readerOf([cut.subarray(0, cut.length - 3)]));
    expect((truncated.error as Error).message).toBe("Truncated event message received.");
  });

  test("UsageTap hands over message_start, message_delta and message_stop only", () => {
    const seen: string[] = [];
    const tap = new UsageTap((chunk) => seen.push(chunk.text));
    const all = Buffer.concat(TEXTS.map(chunkFrame));
    for (let at = 0; at < all.length; at += 11) tap.push(all.subarray(at, at + 11));
    expect(seen).toEqual(TEXTS.filter((_, i) => i === 0 || i === 6 || i === 7));
  });
});
