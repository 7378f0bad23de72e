/**
 * @module
 * A realistic, deterministic Bedrock catalog: foundation models and inference profiles in the
 * exact ListFoundationModels / ListInferenceProfiles shapes. Model ids, modalities and
 * inference types follow the public Bedrock model table; profile-only models (the 4.x Claudes,
 * Nova Premier, Llama 3.3 / 4, DeepSeek R1, Pixtral, Cohere Embed v4) list
 * `inferenceTypesSupported: ["INFERENCE_PROFILE"]`, as Bedrock does in practice.
 */
import type { FoundationModelSummary, InferenceProfileSummary, ModelLifecycle } from "./types";

export const DEFAULT_REGION = "us-east-1";
export const DEFAULT_ACCOUNT_ID = "123456789012";

/** The application profile every catalog carries; it points to Claude Sonnet 4.5. */
export const APPLICATION_PROFILE_ID = "a1b2c3d4e5f6";

type Inference = "ON_DEMAND" | "INFERENCE_PROFILE" | "PROVISIONED";

interface ModelSeed {
  id: string;
  name: string;
  provider: string;
  input: string[];
  output: string[];
  inference: Inference[];
  streaming?: boolean;
  customizations?: string[];
  lifecycle?: ModelLifecycle;
}

const ACTIVE: ModelLifecycle = { status: "ACTIVE" };
const TEXT = ["TEXT"];
const TEXT_IMAGE = ["TEXT", "IMAGE"];
const TEXT_IMAGE_VIDEO = ["TEXT", "IMAGE", "VIDEO"];
const PROFILE_ONLY: Inference[] = ["INFERENCE_PROFILE"];
const ON_DEMAND: Inference[] = ["ON_DEMAND"];
const BOTH: Inference[] = ["ON_DEMAND", "INFERENCE_PROFILE"];

const MODEL_SEEDS: readonly ModelSeed[] = [
  // Anthropic
  {
    id: "anthropic.claude-3-haiku-20240307-v1:0",
    name: "Claude 3 Haiku",
    provider: "Anthropic",
    input: TEXT_IMAGE,
    output: TEXT,
    inference: BOTH,
  },
  {
    id: "anthropic.claude-3-haiku-20240307-v1:0:200k",
    name: "Claude 3 Haiku",
    provider: "Anthropic",
    input: TEXT_IMAGE,
    output: TEXT,
    inference: ["PROVISIONED"],
    customizations: ["FINE_TUNING", "DISTILLATION"],
  },
  {
    id: "anthropic.claude-3-sonnet-20240229-v1:0",
    name: "Claude 3 Sonnet",
    provider: "Anthropic",
    input: TEXT_IMAGE,
    output: TEXT,
    inference: ON_DEMAND,
    lifecycle: {
      status: "LEGACY",
      legacyTime: "2025-01-21T00:00:00Z",
      endOfLifeTime: "2025-07-21T00:00:00Z",
    },
  },
  {
    id: "anthropic.claude-3-5-sonnet-20241022-v2:0",
    name: "Claude 3.5 Sonnet v2",
    provider: "Anthropic",
    input: TEXT_IMAGE,
    output: TEXT,
    inference: BOTH,
  },
  {
    id: "anthropic.claude-3-7-sonnet-20250219-v1:0",
    name: "Claude 3.7 Sonnet",
    provider: "Anthropic",
    input: TEXT_IMAGE,
    output: TEXT,
    inference: PROFILE_ONLY,
  },
  {
    id: "anthropic.claude-sonnet-4-20250514-v1:0",
    name: "Claude Sonnet 4",
    provider: "Anthropic",
    input: TEXT_IMAGE,
    output: TEXT,
    inference: PROFILE_ONLY,
  },
  {
    id: "anthropic.claude-sonnet-4-5-20250929-v1:0",
    name: "Claude Sonnet 4.5",
    provider: "Anthropic",
    input: TEXT_IMAGE,
    output: TEXT,
    inference: PROFILE_ONLY,
  },
  {
    id: "anthropic.claude-haiku-4-5-20251001-v1:0",
    name: "Claude Haiku 4.5",
    provider: "Anthropic",
    input: TEXT_IMAGE,
    output: TEXT,
    inference: PROFILE_ONLY,
  },
  {
    id: "anthropic.claude-opus-4-1-20250805-v1:0",
    name: "Claude Opus 4.1",
    provider: "Anthropic",
    input: TEXT_IMAGE,
    output: TEXT,
    inference: PROFILE_ONLY,
  },
  // Amazon
  {
    id: "amazon.nova-micro-v1:0",
    name: "Nova Micro",
    provider: "Amazon",
    input: TEXT,
    output: TEXT,
    inference: BOTH,
  },
  {
    id: "amazon.nova-lite-v1:0",
    name: "Nova Lite",
    provider: "Amazon",
    input: TEXT_IMAGE_VIDEO,
    output: TEXT,
    inference: BOTH,
  },
  {
    id: "amazon.nova-pro-v1:0",
    name: "Nova Pro",
    provider: "Amazon",
    input: TEXT_IMAGE_VIDEO,
    output: TEXT,
    inference: BOTH,
  },
  {
    id: "amazon.nova-premier-v1:0",
    name: "Nova Premier",
    provider: "Amazon",
    input: TEXT_IMAGE_VIDEO,
    output: TEXT,
    inference: PROFILE_ONLY,
  },
  {
    id: "amazon.nova-2-lite-v1:0",
    name: "Nova 2 Lite",
    provider: "Amazon",
    input: TEXT_IMAGE_VIDEO,
    output: TEXT,
    inference: PROFILE_ONLY,
  },
  {
    id: "amazon.nova-canvas-v1:0",
    name: "Nova Canvas",
    provider: "Amazon",
    input: TEXT_IMAGE,
    output: ["IMAGE"],
    inference: ON_DEMAND,
    streaming: false,
    customizations: ["FINE_TUNING"],
  },
  {
    id: "amazon.titan-embed-text-v1",
    name: "Titan Embeddings G1 - Text",
    provider: "Amazon",
    input: TEXT,
    output: ["EMBEDDING"],
    inference: ON_DEMAND,
    streaming: false,
  },
  {
    id: "amazon.titan-embed-text-v2:0",
    name: "Titan Text Embeddings V2",
    provider: "Amazon",
    input: TEXT,
    output: ["EMBEDDING"],
    inference: ON_DEMAND,
    streaming: false,
  },
  {
    id: "amazon.nova-2-multimodal-embeddings-v1:0",
    name: "Nova Multimodal Embeddings",
    provider: "Amazon",
    input: ["TEXT", "IMAGE", "AUDIO", "VIDEO"],
    output: ["EMBEDDING"],
    inference: ON_DEMAND,
    streaming: false,
  },
  // Meta
  {
    id: "meta.llama3-1-8b-instruct-v1:0",
    name: "Llama 3.1 8B Instruct",
    provider: "Meta",
    input: TEXT,
    output: TEXT,
    inference: BOTH,
    customizations: ["FINE_TUNING", "DISTILLATION"],
  },
  {
    id: "meta.llama3-1-70b-instruct-v1:0",
    name: "Llama 3.1 70B Instruct",
    provider: "Meta",
    input: TEXT,
    output: TEXT,
    inference: BOTH,
    customizations: ["FINE_TUNING", "DISTILLATION"],
  },
  {
    id: "meta.llama3-3-70b-instruct-v1:0",
    name: "Llama 3.3 70B Instruct",
    provider: "Meta",
    input: TEXT,
    output: TEXT,
    inference: PROFILE_ONLY,
  },
  {
    id: "meta.llama4-maverick-17b-instruct-v1:0",
    name: "Llama 4 Maverick 17B Instruct",
    provider: "Meta",
    input: TEXT_IMAGE,
    output: TEXT,
    inference: PROFILE_ONLY,
  },
  // Mistral
  {
    id: "mistral.mistral-large-2407-v1:0",
    name: "Mistral Large (24.07)",
    provider: "Mistral AI",
    input: TEXT,
    output: TEXT,
    inference: ON_DEMAND,
  },
  {
    id: "mistral.pixtral-large-2502-v1:0",
    name: "Pixtral Large (25.02)",
    provider: "Mistral AI",
    input: TEXT_IMAGE,
    output: TEXT,
    inference: PROFILE_ONLY,
  },
  // DeepSeek
  {
    id: "deepseek.r1-v1:0",
    name: "DeepSeek-R1",
    provider: "DeepSeek",
    input: TEXT,
    output: TEXT,
    inference: PROFILE_ONLY,
  },
  {
    id: "deepseek.v3-v1:0",
    name: "DeepSeek-V3.1",
    provider: "DeepSeek",
    input: TEXT,
    output: TEXT,
    inference: ON_DEMAND,
  },
  // Cohere
  {
    id: "cohere.command-r-plus-v1:0",
    name: "Command R+",
    provider: "Cohere",
    input: TEXT,
    output: TEXT,
    inference: ON_DEMAND,
  },
  {
    id: "cohere.embed-english-v3",
    name: "Embed English",
    provider: "Cohere",
    input: TEXT,
    output: ["EMBEDDING"],
    inference: ON_DEMAND,
    streaming: false,
  },
  {
    id: "cohere.embed-multilingual-v3",
    name: "Embed Multilingual",
    provider: "Cohere",
    input: TEXT,
    output: ["EMBEDDING"],
    inference: ON_DEMAND,
    streaming: false,
  },
  {
    id: "cohere.embed-v4:0",
    name: "Embed v4",
    provider: "Cohere",
    input: TEXT_IMAGE,
    output: ["EMBEDDING"],
    inference: PROFILE_ONLY,
    streaming: false,
  },
  // OpenAI and Qwen open-weight models
  {
    id: "openai.gpt-oss-120b-1:0",
    name: "gpt-oss-120b",
    provider: "OpenAI",
    input: TEXT,
    output: TEXT,
    inference: ON_DEMAND,
  },
  {
    id: "openai.gpt-oss-20b-1:0",
    name: "gpt-oss-20b",
    provider: "OpenAI",
    input: TEXT,
    output: TEXT,
    inference: ON_DEMAND,
  },
  {
    id: "qwen.qwen3-32b-v1:0",
    name: "Qwen3 32B (dense)",
    provider: "Qwen",
    input: TEXT,
    output: TEXT,
    inference: ON_DEMAND,
  },
  {
    id: "qwen.qwen3-coder-30b-a3b-v1:0",
    name: "Qwen3 Coder 30B A3B Instruct",
    provider: "Qwen",
    input: TEXT,
    output: TEXT,
    inference: ON_DEMAND,
  },
];

interface ProfileSeed {
  prefix: "us" | "eu" | "global";
  modelId: string;
  /** Regions the profile routes to; the first one is the source region. */
  regions: string[];
  createdAt: string;
}

const US = ["us-east-1", "us-east-2", "us-west-2"];
const EU = ["eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1"];
const GLOBAL = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "ap-northeast-1"];

const PROFILE_SEEDS: readonly ProfileSeed[] = [
  {
    prefix: "us",
    modelId: "anthropic.claude-3-5-sonnet-20241022-v2:0",
    regions: US,
    createdAt: "2024-10-22T00:00:00Z",
  },
  {
    prefix: "us",
    modelId: "anthropic.claude-3-7-sonnet-20250219-v1:0",
    regions: US,
    createdAt: "2025-02-24T00:00:00Z",
  },
  {
    prefix: "us",
    modelId: "anthropic.claude-sonnet-4-20250514-v1:0",
    regions: US,
    createdAt: "2025-05-22T00:00:00Z",
  },
  {
    prefix: "us",
    modelId: "anthropic.claude-sonnet-4-5-20250929-v1:0",
    regions: US,
    createdAt: "2025-09-29T00:00:00Z",
  },
  {
    prefix: "us",
    modelId: "anthropic.claude-haiku-4-5-20251001-v1:0",
    regions: US,
    createdAt: "2025-10-15T00:00:00Z",
  },
  {
    prefix: "us",
    modelId: "anthropic.claude-opus-4-1-20250805-v1:0",
    regions: US,
    createdAt: "2025-08-05T00:00:00Z",
  },
  {
    prefix: "us",
    modelId: "amazon.nova-micro-v1:0",
    regions: US,
    createdAt: "2024-12-03T00:00:00Z",
  },
  {
    prefix: "us",
    modelId: "amazon.nova-lite-v1:0",
    regions: US,
    createdAt: "2024-12-03T00:00:00Z",
  },
  { prefix: "us", modelId: "amazon.nova-pro-v1:0", regions: US, createdAt: "2024-12-03T00:00:00Z" },
  {
    prefix: "us",
    modelId: "amazon.nova-premier-v1:0",
    regions: US,
    createdAt: "2025-04-30T00:00:00Z",
  },
  {
    prefix: "us",
    modelId: "amazon.nova-2-lite-v1:0",
    regions: US,
    createdAt: "2025-12-02T00:00:00Z",
  },
  {
    prefix: "us",
    modelId: "meta.llama3-1-8b-instruct-v1:0",
    regions: US,
    createdAt: "2024-09-25T00:00:00Z",
  },
  {
    prefix: "us",
    modelId: "meta.llama3-1-70b-instruct-v1:0",
    regions: US,
    createdAt: "2024-09-25T00:00:00Z",
  },
  {
    prefix: "us",
    modelId: "meta.llama3-3-70b-instruct-v1:0",
    regions: US,
    createdAt: "2024-12-19T00:00:00Z",
  },
  {
    prefix: "us",
    modelId: "meta.llama4-maverick-17b-instruct-v1:0",
    regions: US,
    createdAt: "2025-04-28T00:00:00Z",
  },
  {
    prefix: "us",
    modelId: "mistral.pixtral-large-2502-v1:0",
    regions: US,
    createdAt: "2025-04-08T00:00:00Z",
  },
  { prefix: "us", modelId: "deepseek.r1-v1:0", regions: US, createdAt: "2025-03-10T00:00:00Z" },
  { prefix: "us", modelId: "cohere.embed-v4:0", regions: US, createdAt: "2025-07-15T00:00:00Z" },
  {
    prefix: "eu",
    modelId: "anthropic.claude-3-7-sonnet-20250219-v1:0",
    regions: EU,
    createdAt: "2025-02-24T00:00:00Z",
  },
  {
    prefix: "eu",
    modelId: "anthropic.claude-sonnet-4-20250514-v1:0",
    regions: EU,
    createdAt: "2025-05-22T00:00:00Z",
  },
  { prefix: "eu", modelId: "amazon.nova-pro-v1:0", regions: EU, createdAt: "2024-12-03T00:00:00Z" },
  {
    prefix: "global",
    modelId: "anthropic.claude-sonnet-4-5-20250929-v1:0",
    regions: GLOBAL,
    createdAt: "2025-09-29T00:00:00Z",
  },
  {
    prefix: "global",
    modelId: "anthropic.claude-haiku-4-5-20251001-v1:0",
    regions: GLOBAL,
    createdAt: "2025-10-15T00:00:00Z",
  },
];

const GEO_LABEL: Record<ProfileSeed["prefix"], string> = { us: "US", eu: "EU", global: "Global" };

/** `arn:aws:bedrock:<region>::foundation-model/<id>` (foundation-model ARNs carry no account). */
export function foundationModelArn(region: string, modelId: string): string {
  return `arn:aws:bedrock:${region}::foundation-model/${modelId}`;
}

function buildModel(seed: ModelSeed, region: string): FoundationModelSummary {
  return {
    modelArn: foundationModelArn(region, seed.id),
    modelId: seed.id,
    modelName: seed.name,
    providerName: seed.provider,
    inputModalities: [...seed.input],
    outputModalities: [...seed.output],
    responseStreamingSupported: seed.streaming ?? true,
    customizationsSupported: [...(seed.customizations ?? [])],
    inferenceTypesSupported: [...seed.inference],
    modelLifecycle: { ...(seed.lifecycle ?? ACTIVE) },
  };
}

function buildSystemProfile(
  seed: ProfileSeed,
  names: Map<string, string>,
  region: string,
  accountId: string,
): InferenceProfileSummary {
  const id = `${seed.prefix}.${seed.modelId}`;
  const name = `${GEO_LABEL[seed.prefix]} ${names.get(seed.modelId) ?? seed.modelId}`;
  return {
    inferenceProfileName: name,
    inferenceProfileArn: `arn:aws:bedrock:${region}:${accountId}:inference-profile/${id}`,
    models: seed.regions.map((r) => ({ modelArn: foundationModelArn(r, seed.modelId) })),
    inferenceProfileId: id,
    status: "ACTIVE",
    type: "SYSTEM_DEFINED",
    description: `Routes requests to ${names.get(seed.modelId) ?? seed.modelId} in ${seed.regions.join(", ")}.`,
    createdAt: seed.createdAt,
    updatedAt: seed.createdAt,
  };
}

function buildApplicationProfile(region: string, accountId: string): InferenceProfileSummary {
  return {
    inferenceProfileName: "team-alpha-sonnet",
    inferenceProfileArn: `arn:aws:bedrock:${region}:${accountId}:application-inference-profile/${APPLICATION_PROFILE_ID}`,
    // An application profile copied from a global system profile keeps its regions.
    models: GLOBAL.map((r) => ({
      modelArn: foundationModelArn(r, "anthropic.claude-sonnet-4-5-20250929-v1:0"),
    })),
    inferenceProfileId: APPLICATION_PROFILE_ID,
    status: "ACTIVE",
    type: "APPLICATION",
    description: "Team Alpha cost tracking for Claude Sonnet 4.5",
    createdAt: "2025-10-01T12:00:00Z",
    updatedAt: "2025-10-01T12:00:00Z",
  };
}

/** Builds the catalog for a region and account (ARNs embed both). */
export function buildCatalog(
  region = DEFAULT_REGION,
  accountId = DEFAULT_ACCOUNT_ID,
): { foundationModels: FoundationModelSummary[]; inferenceProfiles: InferenceProfileSummary[] } {
  const names = new Map(MODEL_SEEDS.map((s) => [s.id, s.name]));
  return {
    foundationModels: MODEL_SEEDS.map((s) => buildModel(s, region)),
    inferenceProfiles: [
      ...PROFILE_SEEDS.map((s) => buildSystemProfile(s, names, region, accountId)),
      buildApplicationProfile(region, accountId),
    ],
  };
}

const DEFAULT_CATALOG = buildCatalog();

/** The default catalog (us-east-1, account 123456789012), for tests to compare against. */
export const FOUNDATION_MODELS: readonly FoundationModelSummary[] =
  DEFAULT_CATALOG.foundationModels;
export const INFERENCE_PROFILES: readonly InferenceProfileSummary[] =
  DEFAULT_CATALOG.inferenceProfiles;

/** The application profile ARN of the default catalog. */
export const APPLICATION_PROFILE_ARN = `arn:aws:bedrock:${DEFAULT_REGION}:${DEFAULT_ACCOUNT_ID}:application-inference-profile/${APPLICATION_PROFILE_ID}`;
