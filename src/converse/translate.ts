/**
 * Conversation → Converse input: the passes, in their one order.
 *
 * Each pass returns a new input and its warnings; the order is the only
 * coupling between them:
 * 1. messages: system blocks and the message list (a fresh input);
 * 2. inference: maxTokens, temperature, topP, stop sequences;
 * 3. tool history: flattened to text (no tools) or its pairs repaired;
 * 4. tool config: needs the repaired history (tools it still uses);
 * 5. output format: adds its hidden tool to the tool config;
 * 6. native controls: the client's additionalModelRequestFields, top_k…;
 * 7. reasoning: must see the client's own `thinking` (6) and drops what
 *    thinking forbids (2, 4);
 * 8. caching: counts every cache point, so it comes last;
 * then an empty additionalModelRequestFields is removed.
 *
 * @module
 */
import type { Conversation } from "../conversation";
import { cachingPass } from "./caching";
import type { ConverseInput, Pass, TranslateContext } from "./input";
import { inferencePass, messagesPass } from "./messages";
import { nativeControlsPass } from "./native-controls";
import { reasoningPass } from "./reasoning";
import { outputFormatPass, type StructuredOutputPlan } from "./structured-output";
import { toolConfigPass, toolHistoryPass } from "./tools";

export interface Translation {
  input: ConverseInput;
  /** Things we changed or dropped, reported to the client in a header. */
  warnings: string[];
  /** How the output format is delivered; the response side must undo a forced tool. */
  structured: StructuredOutputPlan;
}

const BEFORE_OUTPUT_FORMAT: readonly Pass[] = [
  messagesPass,
  inferencePass,
  toolHistoryPass,
  toolConfigPass,
];
const AFTER_OUTPUT_FORMAT: readonly Pass[] = [nativeControlsPass, reasoningPass, cachingPass];

/** Runs every pass in order. Pure: no I/O, no clock; throws InvalidRequestError. */
export function toConverseInput(conv: Conversation, ctx: TranslateContext): Translation {
  const warnings: string[] = [];
  let input: ConverseInput = { modelId: ctx.modelId };
  for (const pass of BEFORE_OUTPUT_FORMAT) {
    const r = pass(input, conv, ctx);
    input = r.input;
    warnings.push(...r.warnings);
  }
  const format = outputFormatPass(input, conv, ctx);
  input = format.input;
  warnings.push(...format.warnings);
  for (const pass of AFTER_OUTPUT_FORMAT) {
    const r = pass(input, conv, ctx);
    input = r.input;
    warnings.push(...r.warnings);
  }
  const fields = input.additionalModelRequestFields;
  if (fields && typeof fields === "object" && Object.keys(fields).length === 0) {
    const { additionalModelRequestFields: _empty, ...rest } = input;
    input = rest;
  }
  return { input, warnings, structured: format.plan };
}
