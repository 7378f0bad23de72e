/**
 * ConverseStream without the SDK's per-call middleware and schema-driven event
 * deserialisation, still built from AWS's own parts: the SDK client's resolved
 * config (credential provider chain, region, endpoint rules, standard retry
 * strategy), our SigV4 signer (./raw/sigv4.ts, checked byte for byte against
 * `@smithy/signature-v4`), and our own frame decoder
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
 * - aborts go through the AbortSignal to the HTTP client.
 *
 * Requests go out on our own keep-alive HTTP/1.1 client (./raw/http1.ts) unless
 * UPSTREAM_HTTP=fetch or a proxy applies: Bun's fetch and its body stream were
 * the largest per-request and per-event cost left (bench/README.md).
 *
 * Converse (non-streaming) goes the same way (same request builder, retries
 * and errors; the body parsed with JSON.parse and shaped like the SDK's
 * output by ./raw/converse-output.ts): measured in bench/README.md, the SDK's
 * command stack was most of the gateway's CPU on a non-streamed request.
 * InvokeModel stays on the SDK (embeddings and legacy bodies: rare, opaque).
 *
 * @module
 */
import type {
  BedrockRuntimeClient,
  ConverseCommandInput,
  ConverseCommandOutput,
  ConverseStreamCommandInput,
  InvokeModelCommandInput,
  InvokeModelCommandOutput,
} from "@aws-sdk/client-bedrock-runtime";
import { converseOutput } from "./raw/converse-output";
import { httpError } from "./raw/errors";
import { decodeBatches, withFirst } from "./raw/event-stream";
import { type UpstreamHttp, UpstreamSender } from "./raw/http1";
import { RuntimeRequests } from "./raw/request";
import { isV2, withRetries } from "./raw/retry";
import type { SignedRuntimeOptions } from "./raw/signed";
import type { BedrockRuntime, ConverseStreamResult } from "./runtime";
import { SdkBedrockRuntime } from "./runtime";

export interface RawRuntimeOptions extends SignedRuntimeOptions {
  /** How requests reach Bedrock (default: the process's shared socket client). */
  http?: UpstreamHttp;
}

let shared: UpstreamSender | undefined;
/** The process's socket client (one keep-alive pool per endpoint). */
export function sharedUpstream(): UpstreamSender {
  shared ??= new UpstreamSender("socket");
  return shared;
}

/**
 * {@link BedrockRuntime} with Converse and ConverseStream over signed HTTP
 * (JSON, and the event stream codec); InvokeModel delegates to the SDK client.
 */
export class RawBedrockRuntime implements BedrockRuntime {
  private readonly sdk: SdkBedrockRuntime;
  private readonly requests: RuntimeRequests;
  private readonly http: UpstreamHttp;

  constructor(
    private readonly client: BedrockRuntimeClient,
    opts: RawRuntimeOptions = {},
  ) {
    this.sdk = new SdkBedrockRuntime(client);
    this.requests = new RuntimeRequests(client, opts);
    this.http = opts.http ?? sharedUpstream();
  }

  async converse(
    input: ConverseCommandInput,
    signal?: AbortSignal,
  ): Promise<ConverseCommandOutput> {
    const strategy = await this.client.config.retryStrategy();
    if (!isV2(strategy)) return this.sdk.converse(input, signal);
    return withRetries(
      strategy,
      async (attempts, totalRetryDelay) => {
        const req = await this.requests.build(input, "converse");
        const res = await this.http.send(req, signal);
        if (res.status < 200 || res.status >= 300) throw await httpError(res);
        // Read inside the attempt, as the SDK's deserializer does: a body cut
        // short is a retryable transport error, not a half result.
        const text = await res.text();
        return converseOutput(text ? JSON.parse(text) : {}, res, attempts, totalRetryDelay);
      },
      signal,
    );
  }

  invokeModel(
    input: InvokeModelCommandInput,
    signal?: AbortSignal,
  ): Promise<InvokeModelCommandOutput> {
    return this.sdk.invokeModel(input, signal);
  }

  /** One attempt: resolves with the stream once its first event is in hand. */
  private async attempt(
    input: ConverseStreamCommandInput,
    signal: AbortSignal | undefined,
  ): Promise<ConverseStreamResult> {
    const req = await this.requests.build(input);
    const res = await this.http.send(req, signal);
    if (res.status < 200 || res.status >= 300) throw await httpError(res);
    const requestId = res.headers.get("x-amzn-requestid") ?? undefined;
    const batches = decodeBatches(res.reader());
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
    return withRetries(strategy, () => this.attempt(input, signal), signal);
  }
}
