/**
 * The gateway's port to Bedrock's control plane (the model inventory), and its
 * AWS SDK implementation.
 *
 * The catalog depends on {@link BedrockControl}, never on the SDK, and gets
 * plain records back: the SDK's types mark every field optional, so the
 * normalisation (and dropping of malformed items) happens here, once.
 *
 * @module
 */
import {
  BedrockClient,
  ListFoundationModelsCommand,
  ListInferenceProfilesCommand,
  type FoundationModelSummary as SdkModelSummary,
  type InferenceProfileSummary as SdkProfileSummary,
} from "@aws-sdk/client-bedrock";
import { FetchHttpHandler } from "@smithy/fetch-http-handler";

/** One foundation model, as ListFoundationModels describes it. */
export interface FoundationModelInfo {
  modelId: string;
  modelArn: string;
  modelName?: string;
  providerName?: string;
  inputModalities: string[];
  outputModalities: string[];
  /** Undefined when Bedrock did not say. */
  responseStreamingSupported?: boolean;
  /** ON_DEMAND, PROVISIONED and, in practice, INFERENCE_PROFILE. */
  inferenceTypesSupported: string[];
  /** ACTIVE or LEGACY; undefined when absent. */
  lifecycleStatus?: string;
  startOfLifeTime?: Date;
}

export type InferenceProfileType = "SYSTEM_DEFINED" | "APPLICATION";

/** One inference profile, as ListInferenceProfiles describes it. */
export interface InferenceProfileInfo {
  inferenceProfileId: string;
  inferenceProfileArn: string;
  inferenceProfileName: string;
  type: InferenceProfileType;
  status?: string;
  /** Foundation-model ARNs the profile routes to; the first is the source region. */
  modelArns: string[];
  createdAt?: Date;
}

export interface BedrockControl {
  /** Every foundation model of the region, unfiltered (the API is not paginated). */
  listFoundationModels(signal?: AbortSignal): Promise<FoundationModelInfo[]>;
  /** Every profile of one type, all pages. */
  listInferenceProfiles(
    type: InferenceProfileType,
    signal?: AbortSignal,
  ): Promise<InferenceProfileInfo[]>;
}

export interface ControlClientOptions {
  region: string;
  maxAttempts: number;
  /** Overrides AWS_ENDPOINT_URL_BEDROCK; tests use it. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Per-request timeout; a black-holed control plane must not stall the catalog forever. */
  requestTimeoutMs?: number;
}

/** Control-plane calls are small; ten seconds means the endpoint is not answering. */
const DEFAULT_CONTROL_TIMEOUT_MS = 10_000;

/**
 * The control-plane client, built like the runtime client (FetchHttpHandler,
 * SDK-owned retries) plus a request timeout, because nothing else bounds a
 * listing that hangs.
 */
export function createControlClient(opts: ControlClientOptions): BedrockClient {
  return new BedrockClient({
    region: opts.region,
    maxAttempts: opts.maxAttempts,
    requestHandler: new FetchHttpHandler({
      requestTimeout: opts.requestTimeoutMs ?? DEFAULT_CONTROL_TIMEOUT_MS,
    }),
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.credentials ? { credentials: opts.credentials } : {}),
  });
}

function toModelInfo(m: SdkModelSummary): FoundationModelInfo | undefined {
  if (!m.modelId || !m.modelArn) return undefined;
  return {
    modelId: m.modelId,
    modelArn: m.modelArn,
    ...(m.modelName ? { modelName: m.modelName } : {}),
    ...(m.providerName ? { providerName: m.providerName } : {}),
    inputModalities: [...(m.inputModalities ?? [])],
    outputModalities: [...(m.outputModalities ?? [])],
    ...(m.responseStreamingSupported !== undefined
      ? { responseStreamingSupported: m.responseStreamingSupported }
      : {}),
    inferenceTypesSupported: [...(m.inferenceTypesSupported ?? [])],
    ...(m.modelLifecycle?.status ? { lifecycleStatus: m.modelLifecycle.status } : {}),
    ...(m.modelLifecycle?.startOfLifeTime
      ? { startOfLifeTime: m.modelLifecycle.startOfLifeTime }
      : {}),
  };
}

function toProfileInfo(p: SdkProfileSummary): InferenceProfileInfo | undefined {
  if (!p.inferenceProfileId || !p.inferenceProfileArn) return undefined;
  if (p.type !== "SYSTEM_DEFINED" && p.type !== "APPLICATION") return undefined;
  return {
    inferenceProfileId: p.inferenceProfileId,
    inferenceProfileArn: p.inferenceProfileArn,
    inferenceProfileName: p.inferenceProfileName ?? p.inferenceProfileId,
    type: p.type,
    ...(p.status ? { status: p.status } : {}),
    modelArns: (p.models ?? []).flatMap((m) => (m.modelArn ? [m.modelArn] : [])),
    ...(p.createdAt ? { createdAt: p.createdAt } : {}),
  };
}

/** Bedrock's maximum page size for ListInferenceProfiles. */
const MAX_PAGE_SIZE = 1000;
/** A safety stop: a control plane that keeps returning tokens must not loop forever. */
const MAX_PAGES = 100;

/** {@link BedrockControl} over the AWS SDK v3 client. */
export class SdkBedrockControl implements BedrockControl {
  /**
   * @param pageSize maxResults per ListInferenceProfiles page (tests use small pages)
   */
  constructor(
    private readonly client: BedrockClient,
    private readonly pageSize = MAX_PAGE_SIZE,
  ) {}

  async listFoundationModels(signal?: AbortSignal): Promise<FoundationModelInfo[]> {
    const out = await this.client.send(new ListFoundationModelsCommand({}), {
      abortSignal: signal,
    });
    return (out.modelSummaries ?? []).flatMap((m) => toModelInfo(m) ?? []);
  }

  async listInferenceProfiles(
    type: InferenceProfileType,
    signal?: AbortSignal,
  ): Promise<InferenceProfileInfo[]> {
    const all: InferenceProfileInfo[] = [];
    let nextToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const out = await this.client.send(
        new ListInferenceProfilesCommand({
          typeEquals: type,
          maxResults: this.pageSize,
          ...(nextToken ? { nextToken } : {}),
        }),
        { abortSignal: signal },
      );
      for (const p of out.inferenceProfileSummaries ?? []) {
        const info = toProfileInfo(p);
        if (info) all.push(info);
      }
      nextToken = out.nextToken;
      if (!nextToken) return all;
    }
    throw new Error(`ListInferenceProfiles returned more than ${MAX_PAGES} pages`);
  }
}
