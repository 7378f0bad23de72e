/**
 * Reasoning: `reasoning_effort` (and a raw Anthropic `thinking` object) → what
 * each model family expects, thinking blocks in history → Converse
 * `reasoningContent`, and thinking blocks in the response.
 *
 * Mapping per the capability table's `reasoning` style (pinned in
 * tests/reasoning/mapping.test.ts):
 *
 * | style | reasoning_effort → Converse |
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
import type {
  ContentBlock,
  ReasoningContentBlock,
  ReasoningContentBlockDelta,
} from "@aws-sdk/client-bedrock-runtime";
import { z } from "zod";
import { InvalidRequestError } from "../errors";
import type { ModelCapabilities } from "../models/capabilities";
import { additionalFields, nativeParam } from "./native-controls";
import type { ChatRequest, ThinkingBlockInput } from "./schema";
import type { ConverseInput } from "./to-converse";
import type { ChunkDelta, ThinkingBlock } from "./types";

export type ReasoningEffort = NonNullable<ChatRequest["reasoning_effort"]>;
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

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
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
 * Applies reasoning to the Converse input (after the native controls, so a
 * client's own `additionalModelRequestFields.thinking` is seen and respected).
 */
export function applyReasoning(
  req: ChatRequest,
  input: ConverseInput,
  caps: ModelCapabilities,
  warnings: string[],
): void {
  const effort = req.reasoning_effort ?? undefined;
  const raw = nativeParam(req, "thinking");
  switch (caps.reasoning) {
    case "anthropic-budget":
    case "anthropic-adaptive":
      applyClaude(req, input, caps, effort, raw?.value, warnings);
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
  req: ChatRequest,
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
  if (parsed.data.type === "enabled" && !derived) fitExplicitBudget(req, input, parsed.data);
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

/** An explicit budget is the client's word: maxTokens is raised to fit it when unset, else checked. */
function fitExplicitBudget(
  req: ChatRequest,
  input: ConverseInput,
  thinking: { budget_tokens: number },
): void {
  input.inferenceConfig ??= {};
  const config = input.inferenceConfig;
  if (config.maxTokens === undefined) {
    config.maxTokens = thinking.budget_tokens + ANSWER_TOKENS;
  } else if (config.maxTokens <= thinking.budget_tokens) {
    const param = req.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens";
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
 * `thinking_blocks` of an assistant message → Converse reasoningContent
 * blocks, placed before its text and tool uses. Only Claude verifies and needs
 * them; for other models, and for unsigned blocks (nothing Bedrock would
 * accept), they are dropped.
 */
export function reasoningHistory(
  blocks: readonly ThinkingBlockInput[] | null | undefined,
  caps: ModelCapabilities,
): ContentBlock[] {
  if (!blocks || !caps.reasoning.startsWith("anthropic")) return [];
  const out: ContentBlock[] = [];
  for (const b of blocks) {
    if (b.type === "thinking") {
      if (b.signature)
        out.push({
          reasoningContent: { reasoningText: { text: b.thinking, signature: b.signature } },
        });
    } else {
      const bytes = Buffer.from(b.data, "base64");
      out.push({
        reasoningContent: {
          redactedContent: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        },
      });
    }
  }
  return out;
}

// ---- response ---------------------------------------------------------------

function base64(bytes: Uint8Array | string): string {
  return typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("base64");
}

/** A response reasoning block as a thinking block to round-trip, when it can be (signed or redacted). */
export function thinkingBlockOf(r: ReasoningContentBlock): ThinkingBlock | undefined {
  if (r.redactedContent !== undefined)
    return { type: "redacted_thinking", data: base64(r.redactedContent) };
  const text = r.reasoningText;
  if (text?.signature)
    return { type: "thinking", thinking: text.text ?? "", signature: text.signature };
  return undefined;
}

/**
 * Reasoning deltas of a stream: text streams as `reasoning_content`; each
 * block's complete thinking block goes out once, when its signature (or its
 * redacted bytes) arrives.
 */
export class ThinkingStream {
  #text = new Map<number, string>();

  delta(index: number, d: ReasoningContentBlockDelta): ChunkDelta | undefined {
    if (d.text !== undefined) {
      this.#text.set(index, (this.#text.get(index) ?? "") + d.text);
      return d.text === "" ? undefined : { reasoning_content: d.text };
    }
    if (d.signature !== undefined) {
      const thinking = this.#text.get(index) ?? "";
      this.#text.delete(index);
      return { thinking_blocks: [{ type: "thinking", thinking, signature: d.signature }] };
    }
    if (d.redactedContent !== undefined)
      return { thinking_blocks: [{ type: "redacted_thinking", data: base64(d.redactedContent) }] };
    return undefined;
  }
}
