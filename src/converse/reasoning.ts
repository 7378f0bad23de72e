/**
 * Reasoning: the reasoning effort (and Claude's own `thinking` object) → what
 * each model family expects, and reasoning parts of the history → Converse
 * `reasoningContent`.
 *
 * Mapping per the capability table's `reasoning` style (pinned in
 * tests/reasoning/mapping.test.ts):
 *
 * | style | reasoning effort → Converse |
 * |---|---|
 * | anthropic-budget (Claude 3.7-4.5) | `additionalModelRequestFields.thinking = {type:"enabled", budget_tokens}`; budget per {@link THINKING_BUDGET}, at least 1024 and below maxTokens |
 * | anthropic-adaptive (Claude 4.6+) | `thinking = {type:"adaptive"}` (+ `display:"summarized"` where thinking is hidden by default) and `outputConfig.effort` |
 * | nova (Nova 2) | `reasoningConfig = {type:"enabled", maxReasoningEffort: low\|medium\|high}`; high drops temperature, topP, topK and maxTokens, which Nova rejects with it |
 * | openai-effort (gpt-oss) | `reasoning_effort: low\|medium\|high` in additionalModelRequestFields, as Bedrock's OpenAI-models page says for Converse |
 * | always (DeepSeek R1) | nothing can be set: ignored with a warning |
 * | none | ignored with a warning |
 *
 * `none` turns reasoning off (nothing is sent). While Claude thinks, Bedrock
 * rejects a temperature other than 1, top_p below 0.95, top_k and a forced
 * tool choice: they are dropped (tool_choice relaxed to auto), with a warning.
 *
 * @module
 */
import type { ContentBlock } from "@aws-sdk/client-bedrock-runtime";
import { z } from "zod";
import type {
  Conversation,
  ReasoningEffort,
  ReasoningPart,
  RedactedReasoningPart,
} from "../conversation";
import { InvalidRequestError } from "../errors";
import { isRecord, type Json } from "../json";
import type { ModelCapabilities } from "../models/capabilities";
import { INTERLEAVED_THINKING_BETA } from "./anthropic-betas";
import { additionalFields, type ConverseInput, copyInput, type Pass } from "./input";

type Effort = Exclude<ReasoningEffort, "none">;

/** Claude's smallest thinking budget. */
export const MIN_THINKING_BUDGET = 1024;

/**
 * Budgets for budgeted thinking. With {@link ANSWER_TOKENS} on top they stay
 * within 32,768 output tokens, the smallest limit among Claude thinking models
 * (Opus 4 / 4.1).
 */
export const THINKING_BUDGET: Record<Effort, number> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
  xhigh: 24576,
  max: 24576,
};

/** Room for the answer when the client set no max_tokens: maxTokens = budget + this. */
export const ANSWER_TOKENS = 8192;

/** maxTokens sent with adaptive thinking when the client set none (thinking shares it). */
export const ADAPTIVE_MAX_TOKENS = 32768;

const THREE_LEVELS: Record<Effort, "low" | "medium" | "high"> = {
  minimal: "low",
  low: "low",
  medium: "medium",
  high: "high",
  xhigh: "high",
  max: "high",
};

/** Claude's effort for an OpenAI effort, on a model that takes `levels`. */
export function claudeEffort(effort: Effort, levels: readonly string[]): string {
  if (effort === "minimal") return "low";
  if (levels.includes(effort)) return effort;
  // xhigh sits between high and max: the nearest level the model has, upwards first.
  if (effort === "xhigh" && levels.includes("max")) return "max";
  return "high";
}

const rawThinkingSchema = z.union([
  z
    .object({
      type: z.literal("enabled"),
      budget_tokens: z.number().int().min(MIN_THINKING_BUDGET),
    })
    .loose(),
  z.object({ type: z.literal("adaptive") }).loose(),
  z.object({ type: z.literal("disabled") }).loose(),
]);

/**
 * Applies reasoning (after the native controls, so a client's own
 * `additionalModelRequestFields.thinking` is seen and respected).
 */
export const reasoningPass: Pass = (input, conv, ctx) => {
  const warnings: string[] = [];
  const next = copyInput(input);
  applyReasoning(conv, next, ctx.caps, warnings);
  return { input: next, warnings };
};

function applyReasoning(
  conv: Conversation,
  input: ConverseInput,
  caps: ModelCapabilities,
  warnings: string[],
): void {
  const effort = conv.reasoning.effort;
  const raw = conv.reasoning.thinking;
  switch (caps.reasoning) {
    case "anthropic-budget":
    case "anthropic-adaptive":
      applyClaude(conv, input, caps, effort, raw?.value, warnings);
      return;
    case "nova":
      applyNova(input, effort, warnings);
      break;
    case "openai-effort":
      if (effort && effort !== "none") {
        const fields = additionalFields(input);
        if (fields.reasoning_effort === undefined) fields.reasoning_effort = THREE_LEVELS[effort];
      } else if (effort === "none") {
        warnings.push("reasoning_effort none ignored: this model always reasons (lowest is low)");
      }
      break;
    case "always":
      if (effort) warnings.push("reasoning_effort ignored: this model always reasons");
      break;
    case "none":
      if (effort && effort !== "none")
        warnings.push("reasoning_effort ignored: this model has no reasoning control");
      break;
  }
  if (raw) warnings.push("thinking ignored: it is Claude's setting and this model is not Claude");
}

function applyClaude(
  conv: Conversation,
  input: ConverseInput,
  caps: ModelCapabilities,
  effort: ReasoningEffort | undefined,
  rawThinking: unknown,
  warnings: string[],
): void {
  const fields = additionalFields(input);
  // Precedence: additionalModelRequestFields.thinking, then a top-level `thinking`, then reasoning_effort.
  let thinking: unknown = fields.thinking ?? rawThinking;
  let derived = false;
  if (thinking === undefined && effort && effort !== "none") {
    thinking = derivedThinking(input, caps, effort);
    derived = true;
  }
  if (thinking === undefined) {
    if (Object.keys(fields).length === 0) delete input.additionalModelRequestFields;
    return;
  }
  const parsed = rawThinkingSchema.safeParse(thinking);
  if (!parsed.success) {
    throw new InvalidRequestError(
      `thinking must be {type:"enabled", budget_tokens ≥ ${MIN_THINKING_BUDGET}}, {type:"adaptive"} or {type:"disabled"}.`,
      "thinking",
      "invalid_value",
    );
  }
  fields.thinking = parsed.data;
  if (parsed.data.type === "disabled") return;
  if (parsed.data.type === "enabled" && !derived) fitExplicitBudget(conv, input, parsed.data);
  if (parsed.data.type === "adaptive") {
    input.inferenceConfig ??= {};
    const config = input.inferenceConfig;
    config.maxTokens ??= ADAPTIVE_MAX_TOKENS;
  }
  enforceThinkingRules(input, fields, warnings);
}

/** Thinking from reasoning_effort; sets maxTokens or outputConfig.effort as the style needs. */
function derivedThinking(input: ConverseInput, caps: ModelCapabilities, effort: Effort): Json {
  if (caps.reasoning === "anthropic-adaptive") {
    input.outputConfig = { ...input.outputConfig, effort: claudeEffort(effort, caps.effortLevels) };
    return caps.summarizeThinking
      ? { type: "adaptive", display: "summarized" }
      : { type: "adaptive" };
  }
  return { type: "enabled", budget_tokens: fitBudget(input, THINKING_BUDGET[effort]) };
}

/**
 * The client's max_tokens caps thinking and answer together (OpenAI counts
 * reasoning in max_completion_tokens): thinking gets at most half of it, and at
 * least Claude's 1024. Without max_tokens, maxTokens = budget + answer room.
 */
function fitBudget(input: ConverseInput, wanted: number): number {
  input.inferenceConfig ??= {};
  const config = input.inferenceConfig;
  const max = config.maxTokens;
  if (max === undefined) {
    config.maxTokens = wanted + ANSWER_TOKENS;
    return wanted;
  }
  if (max <= MIN_THINKING_BUDGET) {
    throw new InvalidRequestError(
      `max_tokens must be greater than ${MIN_THINKING_BUDGET} when reasoning is on: Claude's thinking budget is at least ${MIN_THINKING_BUDGET} tokens and must be below max_tokens.`,
      "max_tokens",
      "invalid_value",
    );
  }
  return Math.max(MIN_THINKING_BUDGET, Math.min(wanted, Math.floor(max / 2)));
}

/**
 * An explicit budget is the client's word: maxTokens is raised to fit it when
 * unset, else checked — except with interleaved thinking, where the budget
 * spans every thinking block of the turn and may exceed max_tokens.
 */
function fitExplicitBudget(
  conv: Conversation,
  input: ConverseInput,
  thinking: { budget_tokens: number },
): void {
  input.inferenceConfig ??= {};
  const config = input.inferenceConfig;
  const betas = additionalFields(input).anthropic_beta;
  const interleaved = Array.isArray(betas) && betas.includes(INTERLEAVED_THINKING_BETA);
  if (config.maxTokens === undefined) {
    config.maxTokens = thinking.budget_tokens + ANSWER_TOKENS;
  } else if (config.maxTokens <= thinking.budget_tokens && !interleaved) {
    const param = conv.limits.maxTokensParam ?? "max_tokens";
    throw new InvalidRequestError(
      `${param} (${config.maxTokens}) must be greater than thinking.budget_tokens (${thinking.budget_tokens}).`,
      param,
      "invalid_value",
    );
  }
}

/** What Claude rejects while thinking: relaxed here, each with a warning. */
function enforceThinkingRules(input: ConverseInput, fields: Json, warnings: string[]): void {
  const config = input.inferenceConfig;
  if (config?.temperature !== undefined && config.temperature !== 1) {
    delete config.temperature;
    warnings.push("temperature dropped: Claude requires temperature 1 while thinking");
  }
  if (config?.topP !== undefined && config.topP < 0.95) {
    delete config.topP;
    warnings.push("top_p dropped: Claude accepts only top_p >= 0.95 while thinking");
  }
  if (fields.top_k !== undefined) {
    delete fields.top_k;
    warnings.push("top_k dropped: Claude does not accept top_k while thinking");
  }
  const choice = input.toolConfig?.toolChoice;
  if (choice && ("any" in choice || "tool" in choice) && (choice.any || choice.tool)) {
    delete input.toolConfig?.toolChoice;
    // parallel_tool_calls:false left Anthropic's tool_choice without a type (it would have
    // conflicted with toolConfig.toolChoice); with no toolChoice it needs one.
    if (isRecord(fields.tool_choice) && fields.tool_choice.type === undefined) {
      fields.tool_choice = { type: "auto", ...fields.tool_choice };
    }
    warnings.push(
      "tool_choice relaxed to auto: Claude cannot be forced to call a tool while thinking",
    );
  }
}

function applyNova(
  input: ConverseInput,
  effort: ReasoningEffort | undefined,
  warnings: string[],
): void {
  const fields = additionalFields(input);
  if (fields.reasoningConfig === undefined && effort && effort !== "none")
    fields.reasoningConfig = { type: "enabled", maxReasoningEffort: THREE_LEVELS[effort] };
  const rc = fields.reasoningConfig;
  if (isRecord(rc) && rc.type === "enabled" && rc.maxReasoningEffort === "high") {
    // Nova 2 rejects sampling parameters and maxTokens with high effort.
    const config = input.inferenceConfig;
    const dropped: string[] = [];
    for (const key of ["temperature", "topP", "maxTokens"] as const) {
      if (config?.[key] !== undefined) {
        delete config[key];
        dropped.push(key);
      }
    }
    if (isRecord(fields.inferenceConfig) && fields.inferenceConfig.topK !== undefined) {
      delete fields.inferenceConfig.topK;
      if (Object.keys(fields.inferenceConfig).length === 0) delete fields.inferenceConfig;
      dropped.push("topK");
    }
    if (dropped.length > 0)
      warnings.push(
        `${dropped.join(", ")} dropped: Nova 2 does not accept them with high reasoning effort`,
      );
  }
  if (Object.keys(fields).length === 0) delete input.additionalModelRequestFields;
}

// ---- history ----------------------------------------------------------------

/**
 * A reasoning part of an assistant turn → a Converse reasoningContent block.
 * Only Claude verifies and needs them; for other models, and for unsigned
 * reasoning (nothing Bedrock would accept), there is none.
 */
export function reasoningHistory(
  part: ReasoningPart | RedactedReasoningPart,
  caps: ModelCapabilities,
): ContentBlock | undefined {
  if (!caps.reasoning.startsWith("anthropic")) return undefined;
  if (part.type === "reasoning") {
    if (!part.signature) return undefined;
    return { reasoningContent: { reasoningText: { text: part.text, signature: part.signature } } };
  }
  const bytes = Buffer.from(part.data, "base64");
  return {
    reasoningContent: {
      redactedContent: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    },
  };
}
