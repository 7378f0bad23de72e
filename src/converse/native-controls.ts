/**
 * Bedrock-native request controls on the chat endpoint, and the Bedrock-only
 * details of the response.
 *
 * Where a control may come from: the OpenAI SDKs merge `extra_body` keys into
 * the top level of the JSON, while some clients (and the reference gateway's
 * docs) send a literal `extra_body` object. Both are read; when a key is in
 * both places, the top-level one wins (it is what the SDKs produce). Bedrock's
 * camelCase name and a snake_case alias are both accepted.
 *
 * | Control | Converse member | Notes |
 * |---|---|---|
 * | `guardrailConfig` | `guardrailConfig` | default from GUARDRAIL_ID/VERSION/TRACE; `streamProcessingMode` only when streaming |
 * | `performanceConfig` | `performanceConfig` | `{latency: "standard"\|"optimized"}` |
 * | `service_tier` / `serviceTier` | `serviceTier: {type}` | auto → omitted, scale → reserved, fast → priority |
 * | `metadata` / `requestMetadata` | `requestMetadata` | ≤16 pairs, Bedrock's key/value pattern |
 * | `additionalModelRequestFields` | `additionalModelRequestFields` | passed through; its keys win over the gateway's own |
 * | `additionalModelResponseFieldPaths` | `additionalModelResponseFieldPaths` | JSON pointers; the fields come back in `bedrock.additionalModelResponseFields` |
 * | `top_k` | `additionalModelRequestFields.top_k` or `.inferenceConfig.topK` | per the capability table |
 *
 * @module
 */
import type {
  GuardrailStreamConfiguration,
  PerformanceConfiguration,
  ServiceTier,
} from "@aws-sdk/client-bedrock-runtime";
import { z } from "zod";
import { InvalidRequestError } from "../errors";
import type { ModelCapabilities } from "../models/capabilities";
import type { ChatRequest } from "./schema";
import type { ConverseInput } from "./to-converse";
import type { BedrockResponseDetails } from "./types";

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A control's value and the name the client used for it (for error messages). */
export interface Found {
  value: unknown;
  param: string;
}

/**
 * Reads a Bedrock-native control: top level first, then `extra_body`; each
 * under any of `names`. Null counts as absent.
 */
export function nativeParam(req: ChatRequest, ...names: string[]): Found | undefined {
  const top = req as unknown as Json;
  for (const name of names) if (top[name] != null) return { value: top[name], param: name };
  const extra = extraBody(req);
  for (const name of names)
    if (extra[name] != null) return { value: extra[name], param: `extra_body.${name}` };
  return undefined;
}

function extraBody(req: ChatRequest): Json {
  const raw = (req as unknown as Json).extra_body;
  if (raw == null) return {};
  if (!isRecord(raw))
    throw new InvalidRequestError("extra_body must be an object.", "extra_body", "invalid_type");
  return raw;
}

function invalid(param: string, message: string): never {
  throw new InvalidRequestError(message, param, "invalid_value");
}

/** Parses with zod; the first issue becomes a 400 naming the parameter (and the path inside it). */
function parse<T>(schema: z.ZodType<T>, found: Found): T {
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

/** Bedrock tier → the `service_tier` the client sees. */
const SERVICE_TIER_OUT: Record<string, string> = {
  default: "default",
  flex: "flex",
  priority: "priority",
  reserved: "scale",
};

/** Bedrock's requestMetadata limits (Converse API reference). */
export const METADATA_MAX_PAIRS = 16;
const METADATA_KEY = /^[a-zA-Z0-9\s:_@$#=/+,\-.]{1,256}$/;
const METADATA_VALUE = /^[a-zA-Z0-9\s:_@$#=/+,\-.]{0,256}$/;

/** Bedrock allows at most 10 paths of 1-256 characters each. */
const responsePathsSchema = z
  .array(z.string().min(1).max(256).startsWith("/", "must be a JSON pointer starting with '/'"))
  .max(10);

export interface NativeContext {
  caps: ModelCapabilities;
  stream: boolean;
  /** From GUARDRAIL_* settings; a request's own guardrailConfig replaces it. */
  defaultGuardrail?: GuardrailStreamConfiguration | undefined;
}

/** Applies every Bedrock-native control to the Converse input. */
export function applyNativeControls(
  req: ChatRequest,
  input: ConverseInput,
  ctx: NativeContext,
  warnings: string[],
): void {
  applyGuardrail(req, input, ctx);
  const perf = nativeParam(req, "performanceConfig", "performance_config");
  if (perf) input.performanceConfig = parse(performanceSchema, perf) as PerformanceConfiguration;
  const tier = serviceTierOf(req);
  if (tier) input.serviceTier = { type: tier };
  const metadata = requestMetadataOf(req);
  if (metadata) input.requestMetadata = metadata;
  const paths = nativeParam(
    req,
    "additionalModelResponseFieldPaths",
    "additional_model_response_field_paths",
  );
  if (paths) input.additionalModelResponseFieldPaths = parse(responsePathsSchema, paths);
  applyAdditionalFields(req, input);
  applyTopK(req, input, ctx.caps, warnings);
}

function applyGuardrail(req: ChatRequest, input: ConverseInput, ctx: NativeContext): void {
  const found = nativeParam(req, "guardrailConfig", "guardrail_config");
  const config: GuardrailStreamConfiguration | undefined = found
    ? parse(guardrailSchema, found)
    : ctx.defaultGuardrail && { ...ctx.defaultGuardrail };
  if (!config) return;
  // Converse (non-stream) has no streamProcessingMode; sending it would be a validation error.
  if (!ctx.stream) delete config.streamProcessingMode;
  input.guardrailConfig = config;
}

function serviceTierOf(req: ChatRequest): ServiceTier["type"] | undefined {
  const found =
    req.service_tier != null
      ? { value: req.service_tier, param: "service_tier" }
      : nativeParam(req, "serviceTier", "service_tier");
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

/** OpenAI `metadata` and Bedrock `requestMetadata` merged (the latter wins per key), validated. */
function requestMetadataOf(req: ChatRequest): Record<string, string> | undefined {
  const sources: Found[] = [];
  if (req.metadata != null) sources.push({ value: req.metadata, param: "metadata" });
  const native = nativeParam(req, "requestMetadata", "request_metadata");
  if (native) sources.push(native);
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

/** The gateway's own request fields; created on first use. */
export function additionalFields(input: ConverseInput): Json {
  if (!isRecord(input.additionalModelRequestFields)) input.additionalModelRequestFields = {};
  return input.additionalModelRequestFields as Json;
}

function applyAdditionalFields(req: ChatRequest, input: ConverseInput): void {
  const found = nativeParam(req, "additionalModelRequestFields", "additional_model_request_fields");
  if (!found) return;
  if (!isRecord(found.value)) invalid(found.param, `${found.param} must be an object.`);
  // The client asked for these explicitly: they win over what the gateway derived.
  Object.assign(additionalFields(input), found.value);
}

function applyTopK(
  req: ChatRequest,
  input: ConverseInput,
  caps: ModelCapabilities,
  warnings: string[],
): void {
  const found = nativeParam(req, "top_k", "topK");
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

/** What the response says about Converse's trace, tier and extra fields. */
export interface ConverseExtras {
  trace?: unknown;
  serviceTier?: { type?: string | undefined } | undefined;
  additionalModelResponseFields?: unknown;
}

/** `service_tier` and `bedrock` for a completion or its final chunk; empty when Bedrock said nothing. */
export function responseExtras(out: ConverseExtras): {
  service_tier?: string;
  bedrock?: BedrockResponseDetails;
} {
  const extras: { service_tier?: string; bedrock?: BedrockResponseDetails } = {};
  const tier = out.serviceTier?.type;
  if (tier) extras.service_tier = SERVICE_TIER_OUT[tier] ?? tier;
  const bedrock: BedrockResponseDetails = {};
  if (out.trace != null) bedrock.trace = out.trace;
  if (out.additionalModelResponseFields != null)
    bedrock.additionalModelResponseFields = out.additionalModelResponseFields;
  if (Object.keys(bedrock).length > 0) extras.bedrock = bedrock;
  return extras;
}
