/**
 * InvokeModel / InvokeModelWithResponseStream as signed HTTP, returning
 * Bedrock's own response: the Anthropic surface sends Claude's native body
 * and reads its native answer, and Claude Code's Bedrock mode gets Bedrock's
 * bytes (event-stream frames included) passed through unchanged.
 *
 * Signing, credentials, region and endpoint are the runtime SDK client's own
 * (the same providers RawBedrockRuntime uses); the SDK's InvokeModel commands
 * are not used because they decode the event stream, which a byte-for-byte
 * passthrough must not do.
 *
 * Requests go out on the raw transport's sender (./raw/http1.ts: our own
 * keep-alive sockets, or fetch with UPSTREAM_HTTP=fetch or a proxy), the same
 * pool Converse uses: fetch and its body stream were the largest per-request
 * and per-event cost left (bench/README.md, "Session 3: native Messages path").
 *
 * @module
 */
import type { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { decodeFrame, type Frame, readUint32 } from "./frame-decoder";
import { httpError } from "./raw/errors";
import { concat, FrameLoop } from "./raw/event-stream";
import type { BodyReader, UpstreamHttp, UpstreamResponse } from "./raw/http1";
import { encodeLabel } from "./raw/request";
import { type SignedRequest, SignedRuntime, type SignedRuntimeOptions } from "./raw/signed";
import { sharedUpstream } from "./raw-runtime";

export interface NativeInvokeOptions {
  stream: boolean;
  signal?: AbortSignal;
}

/** The port: one signed call, Bedrock's response as it came (status, headers, body). */
export interface NativeInvoker {
  /**
   * Resolves with Bedrock's response: a 2xx, or the last non-2xx once retries are
   * spent (body unread). Throttling and 5xx answers are retried before any body
   * byte is read, so nothing is duplicated.
   */
  invoke(modelId: string, body: string, opts: NativeInvokeOptions): Promise<UpstreamResponse>;
  /**
   * CountTokens (Bedrock takes foundation-model ids here, not profiles) for a native
   * body (a string: InvokeModel's) or a Converse input ({messages, system, toolConfig}).
   * @throws the SDK's error for a non-2xx answer
   */
  countTokens(
    foundationModelId: string,
    input: string | Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<number>;
}

export interface SignedNativeInvokerOptions extends SignedRuntimeOptions {
  /** Attempts per call (AWS_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** How requests reach Bedrock (default: the process's shared socket client). */
  http?: UpstreamHttp;
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/** 2xx. */
export function isOk(res: { readonly status: number }): boolean {
  return res.status >= 200 && res.status < 300;
}

/** {@link NativeInvoker} with SigV4 (or AWS_BEARER_TOKEN_BEDROCK) over the raw transport's sender. */
export class SignedNativeInvoker implements NativeInvoker {
  private readonly signed: SignedRuntime;
  private readonly http: UpstreamHttp;

  constructor(
    client: BedrockRuntimeClient,
    private readonly opts: SignedNativeInvokerOptions,
  ) {
    this.signed = new SignedRuntime(client, opts);
    this.http = opts.http ?? sharedUpstream();
  }

  private request(
    modelId: string,
    body: string,
    op: "invoke" | "invoke-with-response-stream" | "count-tokens",
  ): Promise<SignedRequest> {
    const stream = op === "invoke-with-response-stream";
    return this.signed.post(
      `/model/${encodeLabel(modelId)}/${op}`,
      {
        "content-type": "application/json",
        accept: stream ? "application/vnd.amazon.eventstream" : "application/json",
        ...(stream ? { "x-amzn-bedrock-accept": "application/json" } : {}),
        "user-agent": "bedrock-gateway native-invoke",
      },
      body,
    );
  }

  async invoke(
    modelId: string,
    body: string,
    opts: NativeInvokeOptions,
  ): Promise<UpstreamResponse> {
    const attempts = Math.max(1, this.opts.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      const req = await this.request(
        modelId,
        body,
        opts.stream ? "invoke-with-response-stream" : "invoke",
      );
      const res = await this.http.send(req, opts.signal);
      if (isOk(res) || attempt >= attempts || !RETRYABLE.has(res.status)) return res;
      // Read to its end (an error body is small) so the socket goes back to the pool.
      await res.text().catch(() => {});
      await Bun.sleep(Math.min(2000, 100 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
      opts.signal?.throwIfAborted();
    }
  }

  async countTokens(
    foundationModelId: string,
    input: string | Record<string, unknown>,
    signal?: AbortSignal,
  ): Promise<number> {
    const payload = JSON.stringify({
      input:
        typeof input === "string"
          ? { invokeModel: { body: Buffer.from(input).toString("base64") } }
          : { converse: input },
    });
    const req = await this.request(foundationModelId, payload, "count-tokens");
    const res = await this.http.send(req, signal);
    if (!isOk(res)) throw await httpError(res);
    const out = JSON.parse(await res.text()) as { inputTokens?: unknown };
    return typeof out.inputTokens === "number" ? out.inputTokens : 0;
  }
}

/** A non-2xx Bedrock response → the SDK's error for it (name, message, $metadata, $response). */
export function invokeError(res: UpstreamResponse): Promise<Error> {
  return httpError(res);
}

const decoder = new TextDecoder();

/**
 * One `chunk` event: the model-native JSON text, its `type`, and its parsed value
 * for the few events a consumer reads (deltas, the bulk of a stream, are
 * framed from their text without a parse).
 */
export interface InvokeChunk {
  text: string;
  type: string;
  /** Parsed for every event but content_block_delta / _start / _stop and ping. */
  value: Record<string, unknown> | undefined;
}

const TYPE_PREFIX = '{"type":"';
const UNPARSED = new Set([
  "content_block_delta",
  "content_block_start",
  "content_block_stop",
  "ping",
]);
const BYTES_KEY = '"bytes":"';
const BYTES_KEY_BYTES = Buffer.from(BYTES_KEY, "latin1");
const QUOTE = 34;

/** Base64 alphabet → 6-bit value; 64 marks anything else. */
const B64 = new Uint8Array(256).fill(64);
for (let i = 0; i < 64; i++) {
  B64["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".charCodeAt(i)] = i;
}
/** Decoded bytes land here (one event at a time; grown as needed). */
let scratch = new Uint8Array(16 * 1024);

/**
 * Base64 in `src[start, end)` decoded into {@link scratch}: its length, or -1 for
 * anything but plain padded base64 (the caller falls back to Buffer's decoder).
 * Straight from the frame bytes: no payload string, no base64 string.
 */
function decodeBase64(src: Uint8Array, start: number, end: number): number {
  let n = end;
  if (n > start && src[n - 1] === 61) n--;
  if (n > start && src[n - 1] === 61) n--;
  const need = ((n - start) * 3) >> 2;
  if (scratch.length < need) scratch = new Uint8Array(need * 2);
  const out = scratch;
  let o = 0;
  let bad = 0;
  let i = start;
  for (; i + 4 <= n; i += 4) {
    const a = B64[src[i] as number] as number;
    const b = B64[src[i + 1] as number] as number;
    const c = B64[src[i + 2] as number] as number;
    const d = B64[src[i + 3] as number] as number;
    bad |= a | b | c | d;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  const rest = n - i;
  if (rest === 1) return -1;
  if (rest >= 2) {
    const a = B64[src[i] as number] as number;
    const b = B64[src[i + 1] as number] as number;
    const c = rest === 3 ? (B64[src[i + 2] as number] as number) : 0;
    bad |= a | b | c;
    const v = (a << 18) | (b << 12) | (c << 6);
    out[o++] = v >> 16;
    if (rest === 3) out[o++] = (v >> 8) & 255;
  }
  return bad & 64 ? -1 : o;
}

/**
 * Where the `chunk` payload's base64 `bytes` lie in it: `[start, end)`, found
 * without decoding the payload (Bedrock writes `{"bytes":"…","p":"…"}`), or
 * undefined when it is not there as a plain string.
 */
function bytesRange(body: Uint8Array): [number, number] | undefined {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.length);
  const key = BYTES_KEY_BYTES;
  let at = 1;
  for (let i = 0; i < key.length; i++) {
    if (buf[1 + i] !== key[i]) {
      at = buf.indexOf(key);
      break;
    }
  }
  if (at < 0) return undefined;
  const start = at + key.length;
  const end = buf.indexOf(QUOTE, start);
  return end > start ? [start, end] : undefined;
}

/** The `chunk` payload's base64 `bytes`, parsed (anything but Bedrock's plain layout). */
function parsedBytes(body: Uint8Array): string {
  const parsed = JSON.parse(decoder.decode(body)) as { bytes?: unknown };
  return typeof parsed.bytes === "string" ? parsed.bytes : "";
}

/** A `chunk` payload → the model's JSON text it carries. */
function chunkText(body: Uint8Array): string {
  const range = bytesRange(body);
  if (range) {
    const n = decodeBase64(body, range[0], range[1]);
    if (n >= 0) return decoder.decode(scratch.subarray(0, n));
  }
  return Buffer.from(parsedBytes(body), "base64").toString("utf8");
}

/** A chunk's text → its type (read from the leading `{"type":"…"` Claude always writes) and value. */
export function toInvokeChunk(text: string): InvokeChunk {
  if (text.startsWith(TYPE_PREFIX)) {
    const end = text.indexOf('"', TYPE_PREFIX.length);
    const type = text.slice(TYPE_PREFIX.length, end);
    if (UNPARSED.has(type)) return { text, type, value: undefined };
  }
  const value = JSON.parse(text) as Record<string, unknown>;
  return { text, type: typeof value.type === "string" ? value.type : "", value };
}

/**
 * The `chunk` events of an InvokeModelWithResponseStream body, decoded from
 * base64 and parsed (model-native JSON: Anthropic's stream events for Claude),
 * one batch per network read. An exception frame throws the SDK's error for it
 * after the chunks before it; a body that ends mid-frame throws.
 */
export function invokeChunkBatches(body: BodyReader): AsyncGenerator<InvokeChunk[]> {
  return new FrameLoop(body, invokeChunk);
}

/** A `chunk` event frame → the chunk; other event types are skipped. */
function invokeChunk(frame: Frame): InvokeChunk | undefined {
  return frame.eventType === "chunk" ? toInvokeChunk(chunkText(frame.body)) : undefined;
}

/** Base64 of `{"type":"message_` is 24 characters; 32 decode to 24 bytes. */
const TYPE_PEEK = 32;
const USAGE_TYPES = new Set(["message_start", "message_delta", "message_stop"]);

/**
 * Watches an InvokeModelWithResponseStream body passing through unchanged
 * (Bedrock mode) and hands over the events that carry usage: message_start,
 * message_delta and message_stop (Bedrock's invocation metrics). Deltas are
 * recognised from the first bytes of their base64 and never decoded whole.
 * Tolerant: a frame it cannot read is skipped (the client judges the stream).
 */
export class UsageTap {
  #pending: Uint8Array | undefined;

  constructor(private readonly onChunk: (chunk: InvokeChunk) => void) {}

  push(bytes: Uint8Array): void {
    const buf = this.#pending ? concat(this.#pending, bytes) : bytes;
    this.#pending = undefined;
    let offset = 0;
    while (buf.length - offset >= 4) {
      const total = readUint32(buf, offset);
      if (total < 16 || buf.length - offset < total) break;
      try {
        const frame = decodeFrame(buf, offset, total);
        if (frame.messageType === "event" && frame.eventType === "chunk") this.#chunk(frame.body);
      } catch {
        // not ours to judge
      }
      offset += total;
    }
    if (offset < buf.length) this.#pending = buf.slice(offset);
  }

  #chunk(body: Uint8Array): void {
    const range = bytesRange(body);
    const n =
      range && range[1] - range[0] >= TYPE_PEEK
        ? decodeBase64(body, range[0], range[0] + TYPE_PEEK)
        : -1;
    const head =
      n >= 0
        ? Buffer.from(scratch.buffer, 0, n).toString("latin1")
        : Buffer.from(parsedBytes(body).slice(0, TYPE_PEEK), "base64").toString("latin1");
    if (!head.startsWith(TYPE_PREFIX)) return;
    const end = head.indexOf('"', TYPE_PREFIX.length);
    if (end < 0 || !USAGE_TYPES.has(head.slice(TYPE_PREFIX.length, end))) return;
    this.onChunk(toInvokeChunk(chunkText(body)));
  }
}
