/**
 * The last step of request translation: Bedrock-native controls, reasoning and
 * prompt caching, in that order (reasoning must see a client's own
 * additionalModelRequestFields; caching counts every cache point at the end).
 *
 * @module
 */
import type { GuardrailStreamConfiguration } from "@aws-sdk/client-bedrock-runtime";
import type { ModelCapabilities } from "../models/capabilities";
import { applyPromptCaching } from "./caching";
import { applyNativeControls } from "./native-controls";
import { applyReasoning } from "./reasoning";
import type { ChatRequest } from "./schema";
import type { ConverseInput } from "./to-converse";

/** Gateway-wide defaults from the configuration. */
export interface ExtensionDefaults {
  /** ENABLE_PROMPT_CACHING. */
  promptCaching?: boolean;
  /** GUARDRAIL_ID / GUARDRAIL_VERSION / GUARDRAIL_TRACE / GUARDRAIL_STREAM_MODE. */
  guardrail?: GuardrailStreamConfiguration | undefined;
}

export function applyBedrockExtensions(
  req: ChatRequest,
  input: ConverseInput,
  caps: ModelCapabilities,
  defaults: ExtensionDefaults,
  warnings: string[],
): void {
  applyNativeControls(
    req,
    input,
    { caps, stream: req.stream === true, defaultGuardrail: defaults.guardrail },
    warnings,
  );
  applyReasoning(req, input, caps, warnings);
  applyPromptCaching(
    req,
    input,
    { caps, enabledByDefault: defaults.promptCaching ?? false },
    warnings,
  );
  const fields = input.additionalModelRequestFields;
  if (fields && typeof fields === "object" && Object.keys(fields).length === 0)
    delete input.additionalModelRequestFields;
}
