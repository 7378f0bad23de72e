/**
 * Bedrock-native request controls → Converse. The surfaces find the values
 * (each in its own wire: top-level keys, `extra_body`, Anthropic fields) and
 * hand them over unvalidated with the client's name for them; this pass
 * validates and places them.
 *
 * | Control | Converse member | Notes |
 * |---|---|---|
 * | guardrail | `guardrailConfig` | default from GUARDRAIL_ID/VERSION/TRACE; `streamProcessingMode` only when streaming |
 * | performance | `performanceConfig` | `{latency: "standard"\|"optimized"}` |
 * | service tier | `serviceTier: {type}` | auto → omitted, scale → reserved, fast → priority |
 * | request metadata | `requestMetadata` | ≤16 pairs, Bedrock's key/value pattern |
 * | additionalModelRequestFields | `additionalModelRequestFields` | passed through; its keys win over the gateway's own |
 * | additionalModelResponseFieldPaths | `additionalModelResponseFieldPaths` | JSON pointers; the fields come back in the result's provider details |
 * | top_k | `additionalModelRequestFields.top_k` or `.inferenceConfig.topK` | per the capability table |
 * | anthropic_beta | `additionalModelRequestFields.anthropic_beta` | Claude only; betas Bedrock does not know are dropped with a warning (Bedrock would fail the whole request) |
 *
 * @module
 */
import type {
  GuardrailStreamConfiguration,
  PerformanceConfiguration,
  ServiceTier,
} from "@aws-sdk/client-bedrock-runtime";
import { z } from "zod";
import type { Conversation, NativeValue } from "../conversation";
import { InvalidRequestError } from "../errors";
import { isRecord } from "../json";
import type { ModelCapabilities } from "../models/capabilities";
import { filterBetas } from "./anthropic-betas";
import {
  additionalFields,
  type ConverseInput,
  copyInput,
  type Pass,
  type TranslateContext,
} from "./input";

function invalid(param: string, message: string): never {
  throw new InvalidRequestError(message, param, "invalid_value");
}

/** Parses with zod; the first issue becomes a 400 naming the parameter (and the path inside it). */
function parse<T>(schema: z.ZodType<T>, found: NativeValue): T {
  const r = schema.safeParse(found.value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path.length ? `${found.param}.${issue.path.join(".")}` : found.param;
  invalid(path, `Invalid ${path}: ${issue?.message ?? "invalid value"}.`);
}

const guardrailSchema = z.strictObject({
  guardrailIdentifier: z.string().min(1),
  guardrailVersion: z.string().min(1),
  trace: z.enum(["enabled", "disabled", "enabled_full"]).optional(),
  streamProcessingMode: z.enum(["sync", "async"]).optional(),
});

const performanceSchema = z.strictObject({ latency: z.enum(["standard", "optimized"]) });

/**
 * OpenAI service tiers → Bedrock's (`default`, `flex`, `priority`, `reserved`).
 * `auto` lets Bedrock pick (nothing is sent); `scale` is OpenAI's reserved
 * capacity; `fast` is its low-latency tier, Bedrock's `priority`.
 */
const SERVICE_TIERS: Record<string, ServiceTier["type"] | null> = {
  auto: null,
  default: "default",
  flex: "flex",
  priority: "priority",
  fast: "priority",
  scale: "reserved",
  reserved: "reserved",
};

/** Bedrock's requestMetadata limits (Converse API reference). */
export const METADATA_MAX_PAIRS = 16;
const METADATA_KEY = /^[a-zA-Z0-9\s:_@$#=/+,\-.]{1,256}$/;
const METADATA_VALUE = /^[a-zA-Z0-9\s:_@$#=/+,\-.]{0,256}$/;

/** Bedrock allows at most 10 paths of 1-256 characters each. */
const responsePathsSchema = z
  .array(z.string().min(1).max(256).startsWith("/", "must be a JSON pointer starting with '/'"))
  .max(10);

/**
 * Applies every Bedrock-native control; after the tool passes and before
 * reasoning (which must see a client's own additionalModelRequestFields).
 */
export const nativeControlsPass: Pass = (input, conv, ctx) => {
  const warnings: string[] = [];
  const next = copyInput(input);
  const controls = conv.bedrock;
  applyGuardrail(conv, next, ctx);
  if (controls.performance)
    next.performanceConfig = parse(
      performanceSchema,
      controls.performance,
    ) as PerformanceConfiguration;
  const tier = serviceTierOf(controls.serviceTier);
  if (tier) next.serviceTier = { type: tier };
  const metadata = requestMetadataOf(controls.requestMetadata ?? []);
  if (metadata) next.requestMetadata = metadata;
  if (controls.additionalModelResponseFieldPaths)
    next.additionalModelResponseFieldPaths = parse(
      responsePathsSchema,
      controls.additionalModelResponseFieldPaths,
    );
  applyAdditionalFields(controls.additionalModelRequestFields, next);
  applyAnthropicBeta(controls.anthropicBeta, next, ctx.caps, warnings);
  applyTopK(conv.sampling.topK, next, ctx.caps, warnings);
  return { input: next, warnings };
};

function applyGuardrail(conv: Conversation, input: ConverseInput, ctx: TranslateContext): void {
  const found = conv.bedrock.guardrail;
  const fallback = ctx.defaults?.guardrail;
  const config: GuardrailStreamConfiguration | undefined = found
    ? parse(guardrailSchema, found)
    : fallback && { ...fallback };
  if (!config) return;
  // Converse (non-stream) has no streamProcessingMode; sending it would be a validation error.
  if (!conv.stream) delete config.streamProcessingMode;
  input.guardrailConfig = config;
}

function serviceTierOf(found: NativeValue | undefined): ServiceTier["type"] | undefined {
  if (!found) return undefined;
  // Bedrock's own shape {type} is accepted too.
  const value = isRecord(found.value) ? found.value.type : found.value;
  if (typeof value !== "string" || !(value in SERVICE_TIERS)) {
    invalid(
      found.param,
      `Unsupported ${found.param} '${String(value)}'; use auto, default, flex, priority, fast, scale or reserved.`,
    );
  }
  return SERVICE_TIERS[value] ?? undefined;
}

/** Metadata objects merged in order (later keys win), validated. */
function requestMetadataOf(sources: readonly NativeValue[]): Record<string, string> | undefined {
  if (sources.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const { value, param } of sources) {
    if (!isRecord(value)) invalid(param, `${param} must be an object of string values.`);
    for (const [key, v] of Object.entries(value)) {
      if (typeof v !== "string") invalid(`${param}.${key}`, `${param} values must be strings.`);
      if (!METADATA_KEY.test(key)) {
        invalid(
          param,
          `${param} key '${key.slice(0, 64)}' is invalid for Bedrock: 1-256 characters of letters, digits, spaces and : _ @ $ # = / + , - .`,
        );
      }
      if (!METADATA_VALUE.test(v)) {
        invalid(
          `${param}.${key}`,
          `${param} value for '${key}' is invalid for Bedrock: at most 256 characters of letters, digits, spaces and : _ @ $ # = / + , - .`,
        );
      }
      out[key] = v;
    }
    if (Object.keys(out).length > METADATA_MAX_PAIRS)
      invalid(param, `${param} has more than ${METADATA_MAX_PAIRS} pairs (Bedrock's limit).`);
  }
  return out;
}

function applyAdditionalFields(found: NativeValue | undefined, input: ConverseInput): void {
  if (!found) return;
  if (!isRecord(found.value)) invalid(found.param, `${found.param} must be an object.`);
  // The client asked for these explicitly: they win over what the gateway derived.
  Object.assign(additionalFields(input), found.value);
}

/** Merged with any `anthropic_beta` the client put in additionalModelRequestFields. */
function applyAnthropicBeta(
  found: NativeValue | undefined,
  input: ConverseInput,
  caps: ModelCapabilities,
  warnings: string[],
): void {
  if (!found) return;
  const value = typeof found.value === "string" ? [found.value] : found.value;
  if (!Array.isArray(value) || !value.every((b) => typeof b === "string"))
    invalid(found.param, `${found.param} must be a list of beta names.`);
  if (!caps.anthropicBetas) {
    warnings.push(`${found.param} ignored: betas are Claude's and this model is not Claude`);
    return;
  }
  const { betas, dropped } = filterBetas(value);
  if (dropped.length > 0)
    warnings.push(`${found.param} ${dropped.join(", ")} not supported on Bedrock; dropped`);
  const fields = additionalFields(input);
  const own = Array.isArray(fields.anthropic_beta) ? fields.anthropic_beta : [];
  const merged = [...new Set([...own, ...betas])];
  if (merged.length > 0) fields.anthropic_beta = merged;
}

function applyTopK(
  found: NativeValue | undefined,
  input: ConverseInput,
  caps: ModelCapabilities,
  warnings: string[],
): void {
  if (!found) return;
  const k = found.value;
  if (typeof k !== "number" || !Number.isInteger(k) || k < 1)
    invalid(found.param, `${found.param} must be an integer of at least 1.`);
  const fields = additionalFields(input);
  if (caps.topK === "top_k") {
    if (fields.top_k === undefined) fields.top_k = k;
  } else if (caps.topK === "nova") {
    const inference = isRecord(fields.inferenceConfig) ? fields.inferenceConfig : {};
    if (inference.topK === undefined) fields.inferenceConfig = { ...inference, topK: k };
  } else {
    warnings.push("top_k ignored: this model has no top_k setting");
  }
}
