/**
 * The shape of a Converse translation pass: conversation in, a new Converse
 * input and warnings out. A pass never changes the input it is given (it
 * works on {@link copyInput}'s copy), so the order of passes is the only
 * coupling between them, written down once in translate.ts.
 *
 * @module
 */
import type {
  ConverseStreamCommandInput,
  GuardrailStreamConfiguration,
} from "@aws-sdk/client-bedrock-runtime";
import type { Conversation } from "../conversation";
import { isRecord, type Json } from "../json";
import type { ModelCapabilities } from "../models/capabilities";

/** Converse input without streaming-only fields; the same for both operations. */
export type ConverseInput = ConverseStreamCommandInput;

/** Gateway-wide defaults from the configuration. */
export interface TranslationDefaults {
  /** ENABLE_PROMPT_CACHING. */
  promptCaching?: boolean;
  /** GUARDRAIL_ID / GUARDRAIL_VERSION / GUARDRAIL_TRACE / GUARDRAIL_STREAM_MODE. */
  guardrail?: GuardrailStreamConfiguration | undefined;
}

export interface TranslateContext {
  /** The model id sent to Bedrock. */
  modelId: string;
  caps: ModelCapabilities;
  /** Gateway defaults for caching and guardrails; none when omitted. */
  defaults?: TranslationDefaults;
}

export interface PassResult {
  input: ConverseInput;
  /** Things the pass changed or dropped, for the client (a response header). */
  warnings: string[];
}

export type Pass = (input: ConverseInput, conv: Conversation, ctx: TranslateContext) => PassResult;

/**
 * A deep copy of plain objects and arrays; byte arrays (images, documents)
 * are shared, as no pass ever writes into them.
 */
export function copyInput<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyInput) as T;
  if (isRecord(value) && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Json = {};
    for (const key in value) out[key] = copyInput(value[key]);
    return out as T;
  }
  return value;
}

/** The input's additionalModelRequestFields, created on first use. */
export function additionalFields(input: ConverseInput): Json {
  if (!isRecord(input.additionalModelRequestFields)) input.additionalModelRequestFields = {};
  return input.additionalModelRequestFields as Json;
}
