/**
 * The gateway's port to Bedrock's runtime API, and its AWS SDK implementation.
 *
 * Routes depend on the {@link BedrockRuntime} interface, never on the SDK
 * client directly, so the client is injected (tests hand in one pointed at the
 * emulator) and an alternative transport can sit behind the same port.
 *
 * @module
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandInput,
  type ConverseCommandOutput,
  ConverseStreamCommand,
  type ConverseStreamCommandInput,
  type ConverseStreamOutput,
  InvokeModelCommand,
  type InvokeModelCommandInput,
  type InvokeModelCommandOutput,
} from "@aws-sdk/client-bedrock-runtime";
import { FetchHttpHandler } from "@smithy/fetch-http-handler";

export interface ConverseStreamResult {
  stream: AsyncIterable<ConverseStreamOutput>;
  requestId: string | undefined;
}

/**
 * Optional on a ConverseStream `stream`: the same events handed over as
 * batches, every event already received at once (one network read usually
 * carries several frames). Consumers use either this or the event iterator,
 * never both. The raw transport has it; the SDK's stream does not.
 */
export interface EventBatches {
  batches(): AsyncIterator<ConverseStreamOutput[]>;
}

export interface BedrockRuntime {
  converse(input: ConverseCommandInput, signal?: AbortSignal): Promise<ConverseCommandOutput>;
  /** Resolves when the first event has arrived (the SDK pre-reads it). */
  converseStream(
    input: ConverseStreamCommandInput,
    signal?: AbortSignal,
  ): Promise<ConverseStreamResult>;
  invokeModel(
    input: InvokeModelCommandInput,
    signal?: AbortSignal,
  ): Promise<InvokeModelCommandOutput>;
}

export interface RuntimeClientOptions {
  region: string;
  maxAttempts: number;
  /** Overrides AWS_ENDPOINT_URL_BEDROCK_RUNTIME; tests use it. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/**
 * Builds the SDK client the way we want it on Bun: FetchHttpHandler (HTTP/1.1
 * keep-alive through Bun's pooled fetch; aborts work; dropped connections
 * throw), instead of the default HTTP/2 handler that opens a connection per
 * call and can end a dropped stream silently. Retries belong to the SDK only
 * (standard mode, `maxAttempts`); streams are retried only until the first
 * event, so a retry never duplicates output.
 */
export function createRuntimeClient(opts: RuntimeClientOptions): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: opts.region,
    maxAttempts: opts.maxAttempts,
    requestHandler: new FetchHttpHandler(),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  });
}

/** {@link BedrockRuntime} over the AWS SDK v3 client. */
export class SdkBedrockRuntime implements BedrockRuntime {
  constructor(private readonly client: BedrockRuntimeClient) {}

  converse(input: ConverseCommandInput, signal?: AbortSignal): Promise<ConverseCommandOutput> {
    return this.client.send(new ConverseCommand(input), { abortSignal: signal });
  }

  async converseStream(
    input: ConverseStreamCommandInput,
    signal?: AbortSignal,
  ): Promise<ConverseStreamResult> {
    const out = await this.client.send(new ConverseStreamCommand(input), { abortSignal: signal });
    if (!out.stream) throw new Error("ConverseStream returned no stream");
    return { stream: out.stream, requestId: out.$metadata.requestId };
  }

  invokeModel(
    input: InvokeModelCommandInput,
    signal?: AbortSignal,
  ): Promise<InvokeModelCommandOutput> {
    return this.client.send(new InvokeModelCommand(input), { abortSignal: signal });
  }
}
