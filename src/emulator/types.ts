/**
 * @module
 * Public types of the Bedrock emulator: operations, test scripts, recorded requests,
 * and the catalog shapes (exactly the JSON that ListFoundationModels / ListInferenceProfiles
 * put on the wire, timestamps as ISO strings).
 */

/** Every AWS operation the emulator answers. */
export type Operation =
  | "Converse"
  | "ConverseStream"
  | "InvokeModel"
  | "InvokeModelWithResponseStream"
  | "CountTokens"
  | "ListFoundationModels"
  | "GetFoundationModel"
  | "ListInferenceProfiles"
  | "GetInferenceProfile"
  /** Bedrock's OpenAI-compatible endpoint (`/openai/v1/…`); scripts must name these. */
  | "OpenAIResponses"
  | "OpenAIChatCompletions";

/** The operations a script matches when it names none (CountTokens and control plane excluded). */
export const DEFAULT_SCRIPT_OPERATIONS: readonly Operation[] = [
  "Converse",
  "ConverseStream",
  "InvokeModel",
  "InvokeModelWithResponseStream",
];

/** One scripted answer, consumed FIFO by the next matching request. */
export interface Script {
  match?: { operation?: Operation | Operation[]; modelId?: string };
  /** How many requests this script answers before it is dropped (default 1). */
  times?: number;
  /** Wait before answering, before any header is sent. */
  delayMs?: number;
  error?: ScriptError;
  /** Converse and ConverseStream (and the Anthropic invoke handler, which renders it natively). */
  reply?: ConverseReply;
  /** InvokeModel: JSON body returned as is. */
  invokeBody?: unknown;
  /** ConverseStream / InvokeModelWithResponseStream pacing and failure injection. */
  stream?: StreamControl;
}

export interface ScriptError {
  type: string;
  status?: number;
  message?: string;
  headers?: Record<string, string>;
  /** Extra body fields merged next to `message` (e.g. originalStatusCode for ModelErrorException). */
  body?: Record<string, unknown>;
}

export interface ConverseUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens?: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

export interface ConverseReply {
  /** Converse JSON content blocks: {text} | {toolUse} | {reasoningContent:{reasoningText|redactedContent}}. */
  content: Array<Record<string, unknown>>;
  /** Default: tool_use if any toolUse block, else end_turn. */
  stopReason?: string;
  usage?: ConverseUsage;
  additionalModelResponseFields?: unknown;
  trace?: unknown;
  metrics?: { latencyMs: number };
  /** Converse `serviceTier`; by default the request's own is echoed. */
  serviceTier?: { type: string };
}

export interface StreamControl {
  /** Characters per text / reasoning / tool-input delta. */
  chunkSize?: number;
  eventDelayMs?: number;
  firstEventDelayMs?: number;
  /** Exception frame (lowerCamel type) after N event frames; 0 = as the first frame. */
  exceptionAfter?: {
    events: number;
    type: string;
    message?: string;
    extra?: Record<string, unknown>;
  };
  /** Close the body cleanly after N event frames (no messageStop/metadata). */
  endAfter?: number;
  /** Kill the connection abruptly after N event frames. */
  resetAfter?: number;
  omitMetadata?: boolean;
}

export interface EmulatorOptions {
  /** Default 0 (ephemeral). */
  port?: number;
  /** Default 127.0.0.1. */
  hostname?: string;
  /** Region used in catalog ARNs (default us-east-1). */
  region?: string;
  /** Account used in inference-profile ARNs (default 123456789012). */
  accountId?: string;
}

export interface RecordedRequest {
  operation: Operation | "Unknown";
  method: string;
  /** Raw path as on the wire (ARN labels keep their %3A / %2F). */
  path: string;
  /** Decoded model id label, for runtime operations. */
  modelId?: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** Parsed JSON body, or undefined. */
  body: unknown;
  rawBody: Uint8Array;
}

export interface EmulatorStats {
  /** Distinct client sockets seen (remote address:port pairs). */
  connections: number;
  streamsStarted: number;
  streamsCompleted: number;
  streamsCancelled: number;
  /** Streams open right now (started, not yet completed, cancelled or reset). */
  streamsOpen: number;
  /** The most streams open at once since the last reset: how many calls really ran concurrently. */
  peakStreamsOpen: number;
}

export interface CatalogOverride {
  foundationModels?: FoundationModelSummary[];
  inferenceProfiles?: InferenceProfileSummary[];
}

export interface Emulator {
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  enqueue(...scripts: Script[]): void;
  setCatalog(c: CatalogOverride): void;
  /** Clears requests, scripts, stats and catalog overrides. */
  reset(): void;
  readonly stats: EmulatorStats;
  stop(): Promise<void>;
}

export interface ModelLifecycle {
  status: "ACTIVE" | "LEGACY";
  startOfLifeTime?: string;
  endOfLifeTime?: string;
  legacyTime?: string;
  publicExtendedAccessTime?: string;
}

/** One `modelSummaries[]` item of ListFoundationModels (also `modelDetails` of GetFoundationModel). */
export interface FoundationModelSummary {
  modelArn: string;
  modelId: string;
  modelName?: string;
  providerName?: string;
  inputModalities?: string[];
  outputModalities?: string[];
  responseStreamingSupported?: boolean;
  customizationsSupported?: string[];
  inferenceTypesSupported?: string[];
  modelLifecycle?: ModelLifecycle;
}

/** One `inferenceProfileSummaries[]` item of ListInferenceProfiles. */
export interface InferenceProfileSummary {
  inferenceProfileName: string;
  inferenceProfileArn: string;
  /** Foundation-model ARNs; the first one is the source region. */
  models: Array<{ modelArn: string }>;
  inferenceProfileId: string;
  status: "ACTIVE";
  type: "SYSTEM_DEFINED" | "APPLICATION";
  description?: string;
  createdAt?: string;
  updatedAt?: string;
}
