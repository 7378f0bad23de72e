/**
 * ConverseStream without the SDK's per-call middleware and schema-driven event
 * deserialisation, still built from AWS's own parts: the SDK client's resolved
 * config (credential provider chain, region, endpoint rules, standard retry
 * strategy), `@smithy/signature-v4` to sign, and our own frame decoder
 * (./frame-decoder.ts: both CRC checks, the codec's error messages, tested
 * against `@smithy/eventstream-codec`).
 *
 * Why: measured in the same run (bench/README.md), the SDK's ConverseStream
 * path costs more CPU than the rest of the gateway together. Behaviour is kept
 * the SDK's, and tests/transport/ runs the same scenarios against both:
 * - `converseStream` resolves once the first event has arrived (the SDK pre-reads
 *   it), so HTTP errors and a first-frame exception reject it and go through the
 *   same retry strategy; nothing is retried after the first event;
 * - HTTP errors become the SDK's modeled exception classes (`instanceof`
 *   `ThrottlingException` holds), with `$fault`, `$metadata` and `$response`;
 * - exception frames throw the modeled class (members of the union) or a plain
 *   `Error(name=<type>, message=<raw body>)`, as the SDK does;
 * - events come out in the SDK's shape (`p` padding dropped, blobs as
 *   Uint8Array); a body ending mid-frame throws "Truncated event message
 *   received."; one ending between frames just ends the iteration;
 * - aborts go through the AbortSignal to fetch.
 *
 * Converse (non-streaming) and InvokeModel stay on the SDK: their cost is one
 * JSON body, and their outputs carry blobs the SDK's schema already decodes.
 *
 * @module
 */
import * as runtimeModels from "@aws-sdk/client-bedrock-runtime";
import {
  type BedrockRuntimeClient,
  BedrockRuntimeServiceException,
  type ConverseCommandInput,
  type ConverseCommandOutput,
  type ConverseStreamCommandInput,
  type ConverseStreamOutput,
  type InvokeModelCommandInput,
  type InvokeModelCommandOutput,
} from "@aws-sdk/client-bedrock-runtime";
import { isServerError, isThrottlingError, isTransientError } from "@smithy/core/retry";
import { SignatureV4 } from "@smithy/signature-v4";
import { decodeFrame, type Frame, readUint32 } from "./frame-decoder";
import type { BedrockRuntime, ConverseStreamResult, EventBatches } from "./runtime";
import { SdkBedrockRuntime } from "./runtime";

type AnyRetryStrategy = Awaited<ReturnType<BedrockRuntimeClient["config"]["retryStrategy"]>>;
/** The token-based strategy (standard/adaptive) the SDK resolves from maxAttempts. */
type RetryStrategyV2 = Extract<AnyRetryStrategy, { acquireInitialRetryToken: unknown }>;
const isV2 = (s: AnyRetryStrategy): s is RetryStrategyV2 => "acquireInitialRetryToken" in s;
type SignableRequest = Parameters<SignatureV4["presign"]>[0];

const decoder = new TextDecoder();

/** Members of ConverseStreamOutput that are events (anything else is skipped, like the SDK). */
const EVENT_MEMBERS = new Set([
  "messageStart",
  "contentBlockStart",
  "contentBlockDelta",
  "contentBlockStop",
  "messageStop",
  "metadata",
]);

/** Members of ConverseStreamOutput that are exceptions: thrown as their modeled class. */
const EXCEPTION_MEMBERS = new Set([
  "internalServerException",
  "modelStreamErrorException",
  "validationException",
  "throttlingException",
  "serviceUnavailableException",
]);

type ExceptionCtor = new (
  opts: { message: string; $metadata: object } & Record<string, unknown>,
) => BedrockRuntimeServiceException;

/** The SDK's modeled exception class for a name, if it has one. */
function modeledException(name: string): ExceptionCtor | undefined {
  const candidate = (runtimeModels as Record<string, unknown>)[name];
  if (
    typeof candidate === "function" &&
    candidate.prototype instanceof BedrockRuntimeServiceException
  ) {
    return candidate as ExceptionCtor;
  }
  return undefined;
}

/** `x-amzn-errortype: ThrottlingException:http://internal…` → ThrottlingException (SDK's sanitizer). */
function sanitizeErrorCode(raw: string): string {
  let code = raw;
  if (code.includes(",")) code = code.split(",")[0] ?? code;
  if (code.includes(":")) code = code.split(":")[0] ?? code;
  if (code.includes("#")) code = code.split("#")[1] ?? code;
  return code.trim();
}

function headersOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    out[k] = v;
  });
  return out;
}

/** An HTTP error response → the error the SDK would throw for it. */
export async function httpError(res: Response): Promise<Error> {
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = text ? JSON.parse(text) : {};
    if (typeof parsed === "object" && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    // not JSON: the name still comes from the header
  }
  const rawCode =
    res.headers.get("x-amzn-errortype") ??
    (typeof body.code === "string" ? body.code : undefined) ??
    (typeof body.__type === "string" ? body.__type : undefined) ??
    "UnknownError";
  const name = sanitizeErrorCode(rawCode);
  const message = String(body.message ?? body.Message ?? "UnknownError");
  const $metadata = {
    httpStatusCode: res.status,
    requestId: res.headers.get("x-amzn-requestid") ?? undefined,
    extendedRequestId: res.headers.get("x-amz-id-2") ?? undefined,
    cfId: res.headers.get("x-amz-cf-id") ?? undefined,
  };
  const Modeled = modeledException(name);
  const { message: _m, Message: _M, ...extra } = body;
  const err: Error = Modeled
    ? new Modeled({ ...extra, message, $metadata })
    : new BedrockRuntimeServiceException({
        name,
        $fault: res.status >= 500 ? "server" : "client",
        message,
        $metadata,
      });
  Object.assign(err, {
    $response: { statusCode: res.status, headers: headersOf(res), body: undefined },
  });
  return err;
}

/** A decoded `:message-type: exception` or `error` frame → the SDK's error. */
export function frameError(msg: Frame, type: string): Error {
  if (type === "error") {
    const err = new Error(msg.errorMessage ?? "UnknownError");
    err.name = msg.errorCode ?? "UnknownError";
    return err;
  }
  const exceptionType = msg.exceptionType;
  const text = decoder.decode(msg.body);
  const Modeled = EXCEPTION_MEMBERS.has(exceptionType)
    ? modeledException(exceptionType.charAt(0).toUpperCase() + exceptionType.slice(1))
    : undefined;
  if (Modeled) {
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // an empty or non-JSON payload still names the exception
    }
    const { message, Message: _M, ...extra } = body;
    return new Modeled({ ...extra, message: String(message ?? ""), $metadata: {} });
  }
  const err = new Error(text);
  err.name = exceptionType;
  return err;
}

const fromBase64 = (s: unknown): unknown =>
  typeof s === "string" ? Uint8Array.from(Buffer.from(s, "base64")) : s;

/** An event payload in the SDK's shape: padding dropped, blobs decoded. */
function toEvent(member: string, payload: Record<string, unknown>): ConverseStreamOutput {
  delete payload.p;
  if (member === "contentBlockDelta") {
    const delta = payload.delta as
      | {
          reasoningContent?: { redactedContent?: unknown };
          image?: { source?: { bytes?: unknown } };
        }
      | undefined;
    if (delta?.reasoningContent?.redactedContent !== undefined) {
      delta.reasoningContent.redactedContent = fromBase64(delta.reasoningContent.redactedContent);
    }
    if (delta?.image?.source?.bytes !== undefined) {
      delta.image.source.bytes = fromBase64(delta.image.source.bytes);
    }
  }
  return { [member]: payload } as unknown as ConverseStreamOutput;
}

/**
 * Frames → SDK-shaped events, one batch per network read (never empty).
 * Reassembles frames split across reads and keeps at most one partial frame
 * buffered. An exception frame throws after the events before it in the same
 * read have been handed over, exactly where the event-by-event reader would.
 */
export async function* decodeBatches(
  reader: ReadableStreamDefaultReader<Uint8Array>,
): AsyncGenerator<ConverseStreamOutput[]> {
  let pending: Uint8Array | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let buf = pending ? concat(pending, value) : value;
      pending = undefined;
      let offset = 0;
      let batch: ConverseStreamOutput[] = [];
      let failure: Error | undefined;
      while (buf.length - offset >= 4) {
        const total = readUint32(buf, offset);
        if (buf.length - offset < total) break;
        let msg: Frame;
        try {
          msg = decodeFrame(buf, offset, total);
        } catch (err) {
          failure = err as Error;
          break;
        }
        offset += total;
        const type = msg.messageType;
        if (type === "event") {
          const member = msg.eventType;
          if (!EVENT_MEMBERS.has(member)) continue;
          try {
            batch.push(
              toEvent(member, JSON.parse(decoder.decode(msg.body)) as Record<string, unknown>),
            );
          } catch (err) {
            failure = err as Error;
            break;
          }
        } else if (type === "exception" || type === "error") {
          failure = frameError(msg, type);
          break;
        }
      }
      if (batch.length > 0) {
        const ready = batch;
        batch = [];
        yield ready;
      }
      if (failure) throw failure;
      if (offset < buf.length) pending = buf.slice(offset);
      buf = new Uint8Array(0);
    }
    if (pending && pending.length > 0) throw new Error("Truncated event message received.");
  } finally {
    // Early return (consumer stopped) or error: release the connection.
    reader.cancel().catch(() => {});
  }
}

export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** JSON body as the SDK's restJson1 serializer writes it: blobs as base64. */
function serializeBody(input: ConverseStreamCommandInput): string {
  const { modelId: _modelId, ...rest } = input;
  return JSON.stringify(rest, function (this: Record<string, unknown>, key, value) {
    const raw = this[key];
    return raw instanceof Uint8Array ? Buffer.from(raw).toString("base64") : value;
  });
}

/** The SDK's label encoding: encodeURIComponent plus !'()*. */
export function encodeLabel(label: string): string {
  return encodeURIComponent(label).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

interface Endpoint {
  url: URL;
  region: string;
}

export interface RawRuntimeOptions {
  /** Explicit endpoint (tests); otherwise AWS_ENDPOINT_URL_BEDROCK_RUNTIME, AWS_ENDPOINT_URL, or the SDK's endpoint rules. */
  endpoint?: string;
  env?: Record<string, string | undefined>;
}

/**
 * {@link BedrockRuntime} with ConverseStream over signed `fetch` + the event
 * stream codec; Converse and InvokeModel delegate to the SDK client.
 */
export class RawBedrockRuntime implements BedrockRuntime {
  private readonly sdk: SdkBedrockRuntime;
  private readonly signer: SignatureV4;
  private readonly env: Record<string, string | undefined>;
  private endpoint: Promise<Endpoint> | undefined;
  private readonly userAgent = "bedrock-gateway raw-transport";

  constructor(
    private readonly client: BedrockRuntimeClient,
    private readonly opts: RawRuntimeOptions = {},
  ) {
    this.sdk = new SdkBedrockRuntime(client);
    this.env = opts.env ?? process.env;
    // The client's own resolved providers: same credential chain (memoised,
    // refreshed before expiry), same region, same hash implementation.
    this.signer = new SignatureV4({
      credentials: client.config.credentials,
      region: client.config.region,
      service: "bedrock",
      sha256: client.config.sha256,
    });
  }

  converse(input: ConverseCommandInput, signal?: AbortSignal): Promise<ConverseCommandOutput> {
    return this.sdk.converse(input, signal);
  }

  invokeModel(
    input: InvokeModelCommandInput,
    signal?: AbortSignal,
  ): Promise<InvokeModelCommandOutput> {
    return this.sdk.invokeModel(input, signal);
  }

  /** Resolved once: explicit option, the standard env variables, else the SDK's endpoint rules. */
  private resolveEndpoint(): Promise<Endpoint> {
    this.endpoint ??= (async () => {
      const region = await this.client.config.region();
      const ignoreEnv = this.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === "true";
      const configured =
        this.opts.endpoint ??
        (ignoreEnv
          ? undefined
          : this.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME || this.env.AWS_ENDPOINT_URL || undefined);
      if (configured) return { url: new URL(configured), region };
      const resolved = this.client.config.endpointProvider({
        Region: region,
        UseFIPS: await this.client.config.useFipsEndpoint(),
        UseDualStack: await this.client.config.useDualstackEndpoint(),
      });
      return { url: new URL(resolved.url.href), region };
    })();
    return this.endpoint;
  }

  private async buildRequest(input: ConverseStreamCommandInput): Promise<Request> {
    const { url } = await this.resolveEndpoint();
    const basePath = url.pathname.replace(/\/$/, "");
    const path = `${basePath}/model/${encodeLabel(input.modelId ?? "")}/converse-stream`;
    const body = serializeBody(input);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      host: url.host,
      "user-agent": this.userAgent,
    };
    const token = this.env.AWS_BEARER_TOKEN_BEDROCK;
    let finalHeaders: Record<string, string>;
    if (token) {
      finalHeaders = { ...headers, authorization: `Bearer ${token}` };
    } else {
      const toSign: SignableRequest = {
        method: "POST",
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path,
        query: {},
        headers,
        body,
      };
      finalHeaders = (await this.signer.sign(toSign)).headers;
    }
    // fetch sets host itself from the URL.
    const { host: _host, ...sendHeaders } = finalHeaders;
    return new Request(`${url.protocol}//${url.host}${path}`, {
      method: "POST",
      headers: sendHeaders,
      body,
    });
  }

  /** One attempt: resolves with the stream once its first event is in hand. */
  private async attempt(
    input: ConverseStreamCommandInput,
    signal: AbortSignal | undefined,
  ): Promise<ConverseStreamResult> {
    const req = await this.buildRequest(input);
    const res = await fetch(req, signal ? { signal } : {});
    if (res.status < 200 || res.status >= 300) throw await httpError(res);
    const requestId = res.headers.get("x-amzn-requestid") ?? undefined;
    if (!res.body) throw new Error("ConverseStream returned no stream");
    const batches = decodeBatches(res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>);
    // Like the SDK, read the first event before resolving: a first-frame
    // exception rejects here, inside the retry loop.
    const first = await batches.next();
    return { stream: withFirst(first, batches), requestId };
  }

  async converseStream(
    input: ConverseStreamCommandInput,
    signal?: AbortSignal,
  ): Promise<ConverseStreamResult> {
    const strategy = await this.client.config.retryStrategy();
    // A custom legacy strategy: let the SDK path own it rather than half-emulate it.
    if (!isV2(strategy)) return this.sdk.converseStream(input, signal);
    let token = await strategy.acquireInitialRetryToken("");
    let attempts = 0;
    let totalRetryDelay = 0;
    for (;;) {
      try {
        const out = await this.attempt(input, signal);
        strategy.recordSuccess(token);
        return out;
      } catch (e) {
        const err = e as Error & { $metadata?: Record<string, unknown> };
        try {
          if (signal?.aborted) throw err;
          token = await strategy.refreshRetryTokenForRetry(token, retryErrorInfo(err));
        } catch {
          err.$metadata ??= {};
          err.$metadata.attempts = attempts + 1;
          err.$metadata.totalRetryDelay = totalRetryDelay;
          throw err;
        }
        attempts = token.getRetryCount();
        const delay = token.getRetryDelay();
        totalRetryDelay += delay;
        if (delay > 0) await sleep(delay, signal);
      }
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

/**
 * The stream with its pre-read first batch put back in front, as events (the
 * port's iterator; plain objects, no generator layer per event) and as
 * batches ({@link EventBatches}, the chat route's fast path).
 */
function withFirst(
  first: IteratorResult<ConverseStreamOutput[]>,
  rest: AsyncGenerator<ConverseStreamOutput[]>,
): AsyncIterable<ConverseStreamOutput> & EventBatches {
  let head: IteratorResult<ConverseStreamOutput[]> | undefined = first;
  const nextBatch = (): Promise<IteratorResult<ConverseStreamOutput[]>> => {
    if (head) {
      const r = head;
      head = undefined;
      return Promise.resolve(r);
    }
    return rest.next();
  };
  const close = (value?: unknown) => rest.return(value as never);
  const batches: AsyncIterator<ConverseStreamOutput[]> = {
    next: nextBatch,
    return: close,
    throw: (err?: unknown) => rest.throw(err),
  };
  let queue: ConverseStreamOutput[] = [];
  let at = 0;
  const refill = (
    r: IteratorResult<ConverseStreamOutput[]>,
  ): IteratorResult<ConverseStreamOutput> => {
    if (r.done) return { done: true, value: undefined };
    queue = r.value;
    at = 1;
    return { done: false, value: queue[0] as ConverseStreamOutput };
  };
  const events: AsyncIterator<ConverseStreamOutput> = {
    next: () => {
      if (at < queue.length)
        return Promise.resolve({ done: false, value: queue[at++] as ConverseStreamOutput });
      return nextBatch().then(refill);
    },
    return: async (value?: unknown) => {
      await close(value);
      return { done: true, value: undefined };
    },
    throw: async (err?: unknown) => {
      await rest.throw(err);
      return { done: true, value: undefined };
    },
  };
  return { [Symbol.asyncIterator]: () => events, batches: () => batches };
}

// --- retry classification: the SDK's own functions, so both transports retry alike ---

interface Classifiable {
  $response?: { headers?: Record<string, string> };
}

type RetryErrorInfo = Parameters<RetryStrategyV2["refreshRetryTokenForRetry"]>[1];

function retryErrorInfo(error: Error): RetryErrorInfo {
  // Same order as the SDK's retry middleware (getRetryErrorType).
  const sdkError = error as Parameters<typeof isThrottlingError>[0];
  const errorType = isThrottlingError(sdkError)
    ? "THROTTLING"
    : isTransientError(sdkError)
      ? "TRANSIENT"
      : isServerError(sdkError)
        ? "SERVER_ERROR"
        : "CLIENT_ERROR";
  const info: RetryErrorInfo = { errorType };
  const e = error as Classifiable;
  const hint = retryAfterHint(e.$response?.headers);
  if (hint) info.retryAfterHint = hint;
  return info;
}

/** `retry-after` (seconds or HTTP date) or `x-amz-retry-after` (ms) → a Date, as the SDK reads it. */
function retryAfterHint(headers: Record<string, string> | undefined): Date | undefined {
  if (!headers) return undefined;
  const amz = headers["x-amz-retry-after"];
  if (amz !== undefined && Number.isFinite(Number(amz))) return new Date(Date.now() + Number(amz));
  const ra = headers["retry-after"];
  if (ra === undefined) return undefined;
  const seconds = Number(ra);
  if (Number.isFinite(seconds)) return new Date(Date.now() + seconds * 1000);
  const date = new Date(ra);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
