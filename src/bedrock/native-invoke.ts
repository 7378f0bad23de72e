/**
 * InvokeModel / InvokeModelWithResponseStream as signed `fetch`, returning
 * Bedrock's own response: the Anthropic surface sends Claude's native body
 * and reads its native answer, and Claude Code's Bedrock mode gets Bedrock's
 * bytes (event-stream frames included) passed through unchanged.
 *
 * Signing, credentials, region and endpoint are the runtime SDK client's own
 * (the same providers RawBedrockRuntime uses); the SDK's InvokeModel commands
 * are not used because they decode the event stream, which a byte-for-byte
 * passthrough must not do.
 *
 * @module
 */
import type { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { decodeFrame, readUint32 } from "./frame-decoder";
import { frameError, httpError } from "./raw/errors";
import { concat } from "./raw/event-stream";
import { encodeLabel } from "./raw/request";
import {
  type SignedRequest,
  SignedRuntime,
  type SignedRuntimeOptions,
  sendSigned,
} from "./raw/signed";

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
  invoke(modelId: string, body: string, opts: NativeInvokeOptions): Promise<Response>;
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
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/** {@link NativeInvoker} with SigV4 (or AWS_BEARER_TOKEN_BEDROCK) over fetch. */
export class SignedNativeInvoker implements NativeInvoker {
  private readonly signed: SignedRuntime;

  constructor(
    client: BedrockRuntimeClient,
    private readonly opts: SignedNativeInvokerOptions,
  ) {
    this.signed = new SignedRuntime(client, opts);
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

  async invoke(modelId: string, body: string, opts: NativeInvokeOptions): Promise<Response> {
    const attempts = Math.max(1, this.opts.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      const req = await this.request(
        modelId,
        body,
        opts.stream ? "invoke-with-response-stream" : "invoke",
      );
      const res = await sendSigned(req, opts.signal);
      if (res.ok || attempt >= attempts || !RETRYABLE.has(res.status)) return res;
      await res.body?.cancel().catch(() => {});
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
    const res = await sendSigned(req, signal);
    if (!res.ok) throw await httpError(res);
    const out = (await res.json()) as { inputTokens?: unknown };
    return typeof out.inputTokens === "number" ? out.inputTokens : 0;
  }
}

/** A non-2xx Bedrock response → the SDK's error for it (name, message, $metadata, $response). */
export function invokeError(res: Response): Promise<Error> {
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

/** The `chunk` payload's base64 `bytes`, found without parsing the payload (JSON.parse as fallback). */
function chunkBytes(payload: string): string {
  const at = payload.indexOf(BYTES_KEY);
  if (at >= 0) {
    const start = at + BYTES_KEY.length;
    const end = payload.indexOf('"', start);
    if (end > start) return payload.slice(start, end);
  }
  const parsed = JSON.parse(payload) as { bytes?: unknown };
  return typeof parsed.bytes === "string" ? parsed.bytes : "";
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
export async function* invokeChunkBatches(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<InvokeChunk[]> {
  const reader = body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  let pending: Uint8Array | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const buf = pending ? concat(pending, value) : value;
      pending = undefined;
      let offset = 0;
      const batch: InvokeChunk[] = [];
      let failure: Error | undefined;
      while (buf.length - offset >= 4) {
        const total = readUint32(buf, offset);
        if (buf.length - offset < total) break;
        try {
          const frame = decodeFrame(buf, offset, total);
          offset += total;
          if (frame.messageType === "exception" || frame.messageType === "error") {
            failure = frameError(frame, frame.messageType);
            break;
          }
          if (frame.messageType !== "event" || frame.eventType !== "chunk") continue;
          const bytes = chunkBytes(decoder.decode(frame.body));
          batch.push(toInvokeChunk(Buffer.from(bytes, "base64").toString("utf8")));
        } catch (err) {
          failure = err as Error;
          break;
        }
      }
      if (batch.length > 0) yield batch;
      if (failure) throw failure;
      if (offset < buf.length) pending = buf.slice(offset);
    }
    if (pending && pending.length > 0) throw new Error("Truncated event message received.");
  } finally {
    reader.cancel().catch(() => {});
  }
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
    const b64 = chunkBytes(decoder.decode(body));
    const head = Buffer.from(b64.slice(0, TYPE_PEEK), "base64").toString("latin1");
    if (!head.startsWith(TYPE_PREFIX)) return;
    const end = head.indexOf('"', TYPE_PREFIX.length);
    if (end < 0 || !USAGE_TYPES.has(head.slice(TYPE_PREFIX.length, end))) return;
    this.onChunk(toInvokeChunk(Buffer.from(b64, "base64").toString("utf8")));
  }
}
