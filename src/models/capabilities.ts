/**
 * What each Bedrock model family can do, in one table.
 *
 * Translators ask `capabilitiesOf(modelId)` and read flags; they never test
 * model ids themselves. New model quirks are a row (or a field) here.
 * The catalog (ListFoundationModels) refines what the metadata tells, such as
 * input modalities; everything Bedrock does not publish lives in this table.
 *
 * @module
 */

export type ReasoningStyle =
  /** No reasoning control. */
  | "none"
  /** Claude extended thinking: `thinking: {type:"enabled", budget_tokens}`. */
  | "anthropic-budget"
  /** Newer Claude: adaptive thinking with an effort level. */
  | "anthropic-adaptive"
  /** Nova 2: `reasoningConfig: {type:"enabled", maxReasoningEffort}`. */
  | "nova"
  /** gpt-oss: `reasoning_effort` passed to the model. */
  | "openai-effort"
  /** Reasons on its own; the effort cannot be set (DeepSeek R1). */
  | "always";

export type EmbeddingFamily = "titan-v1" | "titan-v2" | "cohere-v3" | "cohere-v4" | "nova";

export interface ModelCapabilities {
  /** Row name, for logs and tests. */
  family: string;
  /** Accepts Converse `system` blocks; otherwise system text is folded into the first user turn. */
  system: boolean;
  /** Accepts `inferenceConfig.stopSequences`. */
  stopSequences: boolean;
  /** Highest temperature the model accepts (OpenAI allows up to 2). */
  maxTemperature: number;
  /** Rejects temperature and top_p together; top_p is dropped when both are set. */
  temperatureXorTopP: boolean;
  /** Accepts a trailing assistant message as a prefill. */
  assistantPrefill: boolean;
  /** Accepts `toolConfig`. */
  tools: boolean;
  /** Accepts `toolChoice` any/tool (otherwise only auto). */
  toolChoice: boolean;
  /** Accepts image content blocks (the catalog's inputModalities refines this). */
  imageInput: boolean;
  /** Accepts document content blocks. */
  documents: boolean;
  reasoning: ReasoningStyle;
  /** Accepts cachePoint blocks. */
  promptCache: boolean;
  /** Accepts a cachePoint in `toolConfig.tools` (Claude; Nova caches system and messages only). */
  promptCacheTools: boolean;
  /** `outputConfig.effort` levels the model takes (anthropic-adaptive); empty when none. */
  effortLevels: readonly string[];
  /** Adaptive thinking text is omitted unless `display: "summarized"` is sent (Opus 4.7+). */
  summarizeThinking: boolean;
  /** Supports Converse `outputConfig.textFormat` JSON schema output and `toolSpec.strict`. */
  nativeStructuredOutput: boolean;
  /** Tool results may carry `status`, `json` and `image` content (Bedrock: Claude 3+ and Nova only). */
  richToolResults: boolean;
  /** Accepts Anthropic's `tool_choice.disable_parallel_tool_use` in additionalModelRequestFields. */
  parallelToolControl: boolean;
  /** Accepts `anthropic_beta` in additionalModelRequestFields (Claude 3 and later). */
  anthropicBetas: boolean;
  /** Where `top_k` goes in additionalModelRequestFields, if anywhere. */
  topK: "top_k" | "nova" | "none";
  /** Set for embedding models. */
  embedding?: EmbeddingFamily;
  /** Answers ConverseStream (the catalog's responseStreamingSupported refines this). */
  streaming: boolean;
}

const BASE: ModelCapabilities = {
  family: "generic",
  system: true,
  stopSequences: true,
  maxTemperature: 1,
  temperatureXorTopP: false,
  assistantPrefill: true,
  tools: false,
  toolChoice: false,
  imageInput: false,
  documents: false,
  reasoning: "none",
  promptCache: false,
  promptCacheTools: false,
  effortLevels: [],
  summarizeThinking: false,
  nativeStructuredOutput: false,
  richToolResults: false,
  parallelToolControl: false,
  anthropicBetas: false,
  topK: "none",
  streaming: true,
};

type Row = { match: RegExp } & Partial<ModelCapabilities> & { family: string };

/**
 * First match wins, tested against the base foundation-model id (region
 * prefix and ARN stripped). Sources: Bedrock's "Supported models and model
 * features" page for Converse, plus quirks users hit with the reference
 * gateway (aws-samples/bedrock-access-gateway, whose hard-coded lists went stale).
 */
const ROWS: Row[] = [
  // Claude 4.5+ / Opus 4.1: temperature and top_p are mutually exclusive.
  {
    match: /^anthropic\.claude-(sonnet-4-[5-9]|haiku-4-[5-9]|opus-4-[1-9])/,
    family: "claude-4.5",
    tools: true,
    toolChoice: true,
    imageInput: true,
    documents: true,
    reasoning: "anthropic-budget",
    promptCache: true,
    promptCacheTools: true,
    richToolResults: true,
    parallelToolControl: true,
    anthropicBetas: true,
    nativeStructuredOutput: true,
    temperatureXorTopP: true,
    topK: "top_k",
  },
  {
    match: /^anthropic\.claude-(3-7-sonnet|sonnet-4|opus-4)/,
    family: "claude-4",
    tools: true,
    toolChoice: true,
    imageInput: true,
    documents: true,
    reasoning: "anthropic-budget",
    promptCache: true,
    promptCacheTools: true,
    richToolResults: true,
    parallelToolControl: true,
    anthropicBetas: true,
    topK: "top_k",
  },
  {
    match: /^anthropic\.claude-3/,
    family: "claude-3",
    tools: true,
    toolChoice: true,
    imageInput: true,
    documents: true,
    promptCache: true,
    promptCacheTools: true,
    richToolResults: true,
    parallelToolControl: true,
    anthropicBetas: true,
    topK: "top_k",
  },
  { match: /^anthropic\./, family: "claude-legacy", topK: "top_k" },
  // Before nova-2: amazon.nova-2-multimodal-embeddings-v1:0 would otherwise match the chat row.
  { match: /^amazon\.nova-.*embed/, family: "nova-embed", embedding: "nova" },
  {
    match: /^amazon\.nova-2/,
    family: "nova-2",
    tools: true,
    toolChoice: true,
    imageInput: true,
    documents: true,
    reasoning: "nova",
    promptCache: true,
    richToolResults: true,
    topK: "nova",
  },
  {
    match: /^amazon\.nova-(micro)/,
    family: "nova-text",
    tools: true,
    toolChoice: true,
    promptCache: true,
    richToolResults: true,
    topK: "nova",
  },
  {
    match: /^amazon\.nova-(lite|pro|premier)/,
    family: "nova",
    tools: true,
    toolChoice: true,
    imageInput: true,
    documents: true,
    promptCache: true,
    richToolResults: true,
    topK: "nova",
  },
  { match: /^amazon\.titan-embed-text-v1/, family: "titan-embed-v1", embedding: "titan-v1" },
  { match: /^amazon\.titan-embed-text-v2/, family: "titan-embed-v2", embedding: "titan-v2" },
  { match: /^cohere\.embed-v4/, family: "cohere-embed-v4", embedding: "cohere-v4" },
  { match: /^cohere\.embed-/, family: "cohere-embed-v3", embedding: "cohere-v3" },
  { match: /^amazon\.titan-text/, family: "titan-text", system: false, assistantPrefill: false },
  {
    match: /^meta\.llama(3-[1-9]|4)/,
    family: "llama-tools",
    tools: true,
    imageInput: false,
    assistantPrefill: false,
  },
  { match: /^meta\./, family: "llama", assistantPrefill: false },
  {
    match: /^mistral\.(mistral-large|pixtral|mistral-small)/,
    family: "mistral-tools",
    tools: true,
    toolChoice: true,
    documents: true,
  },
  { match: /^mistral\.(mistral-7b|mixtral)/, family: "mistral-instruct", system: false },
  { match: /^mistral\./, family: "mistral" },
  { match: /^deepseek\.r1/, family: "deepseek-r1", reasoning: "always", stopSequences: true },
  { match: /^deepseek\./, family: "deepseek", tools: true },
  { match: /^cohere\.command-r/, family: "cohere-command-r", tools: true, documents: true },
  { match: /^cohere\./, family: "cohere" },
  {
    match: /^openai\.gpt-oss/,
    family: "gpt-oss",
    tools: true,
    stopSequences: false,
    reasoning: "openai-effort",
    maxTemperature: 2,
  },
  { match: /^qwen\./, family: "qwen", tools: true, stopSequences: false },
  { match: /^ai21\./, family: "ai21", documents: true },
  { match: /^writer\./, family: "writer", tools: true },
];

/** Region prefixes of system-defined (cross-region) inference profiles. */
const PROFILE_PREFIX = /^(us|eu|apac|au|ca|jp|us-gov|global)\./;

/**
 * Reduces any model reference to the foundation-model id it names, where that
 * can be told from the string alone: `us.anthropic.x` → `anthropic.x`,
 * `arn:…:foundation-model/anthropic.x` → `anthropic.x`. Application profile
 * ARNs cannot be resolved without the catalog and are returned unchanged.
 */
export function baseModelId(model: string): string {
  let id = model;
  const arn = /^arn:aws[\w-]*:bedrock:[^:]*:[^:]*:(foundation-model|inference-profile)\/(.+)$/.exec(
    id,
  );
  if (arn?.[2]) id = arn[2];
  return id.replace(PROFILE_PREFIX, "");
}

/**
 * Reasoning generations inside a family row, applied on top of it (first match
 * wins). Bedrock's "Adaptive thinking" page: Opus 4.6 and Sonnet 4.6 take
 * `thinking: {type:"adaptive"}` with an effort (budget_tokens is deprecated
 * there); Opus 4.7, Mythos and Fable only take adaptive thinking. Effort
 * levels per Anthropic's effort page: `max` from 4.6, `xhigh` from Opus 4.7.
 */
const REASONING_GENERATIONS: Array<{ match: RegExp } & Partial<ModelCapabilities>> = [
  {
    match: /^anthropic\.claude-(opus-4-[7-9]|opus-5|sonnet-5|haiku-5|mythos|fable)/,
    reasoning: "anthropic-adaptive",
    effortLevels: ["low", "medium", "high", "xhigh", "max"],
    summarizeThinking: true,
  },
  {
    match: /^anthropic\.claude-(opus-4-6|sonnet-4-6)/,
    reasoning: "anthropic-adaptive",
    effortLevels: ["low", "medium", "high", "max"],
  },
];

const cache = new Map<string, ModelCapabilities>();

/** Capabilities for a model id, profile id or ARN. Unknown families get conservative defaults. */
export function capabilitiesOf(model: string): ModelCapabilities {
  const hit = cache.get(model);
  if (hit) return hit;
  const base = baseModelId(model);
  const row = ROWS.find((r) => r.match.test(base));
  const { match: _match, ...fields } = row ?? { match: /$^/, family: "generic" };
  const generation = REASONING_GENERATIONS.find((g) => g.match.test(base));
  const { match: _gen, ...reasoning } = generation ?? { match: /$^/ };
  const caps: ModelCapabilities = { ...BASE, ...fields, ...reasoning };
  if (cache.size > 10_000) cache.clear();
  cache.set(model, caps);
  return caps;
}

/** What ListFoundationModels publishes about a model that bears on capabilities. */
export interface ModelMetadata {
  inputModalities: readonly string[];
  responseStreamingSupported?: boolean;
}

/**
 * The family row refined by the catalog's metadata: Bedrock's own word on
 * image input and streaming beats the table (Claude 3.5 Haiku is text-only
 * although its family takes images; Llama 4 takes images although Llama 3.1
 * does not). Everything Bedrock does not publish stays as the row says.
 */
export function withMetadata(caps: ModelCapabilities, meta: ModelMetadata): ModelCapabilities {
  return {
    ...caps,
    imageInput:
      meta.inputModalities.length > 0 ? meta.inputModalities.includes("IMAGE") : caps.imageInput,
    streaming: meta.responseStreamingSupported ?? caps.streaming,
  };
}
