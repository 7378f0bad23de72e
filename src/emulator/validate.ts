/**
 * @module
 * Converse / ConverseStream request validation, as Bedrock does it, so the gateway's
 * conversation-repair logic is tested against what Bedrock really rejects.
 *
 * Messages quote Bedrock's own texts where public captures exist. Two are inferred from the
 * pattern of their siblings and marked so: the empty-messages and blank-system texts.
 */

export const MESSAGES = {
  /** Inferred (no public capture found). */
  emptyMessages:
    "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
  firstNotUser:
    "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
  notAlternating:
    "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.",
  emptyContent: (i: number) =>
    `The content field in the Message object at messages.${i} is empty. Add a ContentBlock object to the content field and try again.`,
  blankText: (i: number, j: number) =>
    `The text field in the ContentBlock object at messages.${i}.content.${j} is blank. Add text to the text field, and try again.`,
  /** Inferred from the ContentBlock wording. */
  blankSystem: (k: number) =>
    `The text field in the SystemContentBlock object at system.${k} is blank. Add text to the text field, and try again.`,
  toolConfigMissing:
    "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
  tooManyToolResults: (i: number) =>
    `The number of toolResult blocks at messages.${i}.content exceeds the number of toolUse blocks of previous turn.`,
  missingToolResults: (i: number, ids: string[]) =>
    `Expected toolResult blocks at messages.${i}.content for the following Ids: ${ids.join(", ")}`,
  badRole: (i: number, role: unknown) =>
    `Value '${String(role)}' at 'messages.${i}.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]`,
  rangeMax: (field: string, value: number, max: number) =>
    `Value '${value}' at 'inferenceConfig.${field}' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
  rangeMin: (field: string, value: number, min: number) =>
    `Value '${value}' at 'inferenceConfig.${field}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`,
  /** AWS's standard constraint text for a pattern-checked member. */
  pattern: (value: string, path: string) =>
    `Value '${value}' at '${path}' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_-]+`,
  /** Inferred. */
  unknownToolResult: (i: number, id: string) =>
    `The toolResult block at messages.${i}.content has toolUseId ${id}, which does not match a toolUse block of the previous turn.`,
  /** Inferred. */
  duplicateToolName: (name: string) => `The toolConfig contains more than one tool named ${name}.`,
  /** Inferred. */
  unknownToolChoice: (name: string) =>
    `The tool ${name} named in toolConfig.toolChoice is not defined in toolConfig.tools.`,
  documentName:
    "The document file name can only contain alphanumeric characters, whitespace characters, hyphens, parentheses, and square brackets. The name can't contain more than one consecutive whitespace character.",
  /** Inferred. */
  outputSchema: "The JSON schema in outputConfig.textFormat is not valid JSON.",
} as const;

import { isRecord, type Json } from "../json";
import { ANTHROPIC_RULE_MESSAGES, BEDROCK_ANTHROPIC_BETAS } from "./anthropic-rules";
import { validateFeatures } from "./features";

/** Claude's betas reach the model's own body, so an unknown one fails as on InvokeModel. */
function checkBetas(body: Json): string | undefined {
  const fields = isRecord(body.additionalModelRequestFields)
    ? body.additionalModelRequestFields
    : {};
  const betas = Array.isArray(fields.anthropic_beta) ? fields.anthropic_beta : [];
  return betas.some((b) => !BEDROCK_ANTHROPIC_BETAS.includes(b))
    ? ANTHROPIC_RULE_MESSAGES.invalidBeta
    : undefined;
}

function blocksOf(message: unknown): unknown[] | undefined {
  return isRecord(message) && Array.isArray(message.content) ? message.content : undefined;
}

function toolUseIds(blocks: unknown[]): string[] {
  return blocks.flatMap((b) =>
    isRecord(b) && isRecord(b.toolUse) && typeof b.toolUse.toolUseId === "string"
      ? [b.toolUse.toolUseId]
      : [],
  );
}

function toolResultIds(blocks: unknown[]): string[] {
  return blocks.flatMap((b) =>
    isRecord(b) && isRecord(b.toolResult) && typeof b.toolResult.toolUseId === "string"
      ? [b.toolResult.toolUseId]
      : [],
  );
}

function isBlankText(block: unknown): boolean {
  return isRecord(block) && typeof block.text === "string" && block.text.trim() === "";
}

/** Roles, alternation, empty content and blank text blocks. */
function checkMessageShapes(messages: unknown[]): string | undefined {
  let previousRole: unknown;
  for (const [i, message] of messages.entries()) {
    const role = isRecord(message) ? message.role : undefined;
    if (role !== "user" && role !== "assistant") return MESSAGES.badRole(i, role);
    if (i === 0 && role !== "user") return MESSAGES.firstNotUser;
    if (role === previousRole) return MESSAGES.notAlternating;
    previousRole = role;
    const blocks = blocksOf(message);
    if (!blocks || blocks.length === 0) return MESSAGES.emptyContent(i);
    const blank = blocks.findIndex(isBlankText);
    if (blank >= 0) return MESSAGES.blankText(i, blank);
  }
  return undefined;
}

/** toolConfig presence and toolUse → toolResult pairing between consecutive turns. */
function checkToolPairing(messages: unknown[], hasToolConfig: boolean): string | undefined {
  const usesTools = messages.some((m) => {
    const blocks = blocksOf(m) ?? [];
    return toolUseIds(blocks).length > 0 || toolResultIds(blocks).length > 0;
  });
  if (usesTools && !hasToolConfig) return MESSAGES.toolConfigMissing;
  for (let i = 1; i < messages.length; i++) {
    const message = messages[i];
    if (!isRecord(message) || message.role !== "user") continue;
    const requested = toolUseIds(blocksOf(messages[i - 1]) ?? []);
    const answered = toolResultIds(blocksOf(message) ?? []);
    if (answered.length > requested.length) return MESSAGES.tooManyToolResults(i);
    const missing = requested.filter((id) => !answered.includes(id));
    if (missing.length > 0) return MESSAGES.missingToolResults(i, missing);
  }
  const first = messages[0];
  if (toolResultIds(blocksOf(first) ?? []).length > 0) return MESSAGES.tooManyToolResults(0);
  return undefined;
}

function checkSystem(system: unknown): string | undefined {
  if (!Array.isArray(system)) return undefined;
  const blank = system.findIndex(isBlankText);
  return blank >= 0 ? MESSAGES.blankSystem(blank) : undefined;
}

/** Converse shape constraints on inferenceConfig (they apply to every model). */
function checkInferenceConfig(config: unknown): string | undefined {
  if (!isRecord(config)) return undefined;
  const { temperature, topP, maxTokens } = config;
  for (const [field, value] of [
    ["temperature", temperature],
    ["topP", topP],
  ] as const) {
    if (typeof value !== "number") continue;
    if (value > 1) return MESSAGES.rangeMax(field, value, 1);
    if (value < 0) return MESSAGES.rangeMin(field, value, 0);
  }
  if (typeof maxTokens === "number" && maxTokens < 1)
    return MESSAGES.rangeMin("maxTokens", maxTokens, 1);
  return undefined;
}

const ID_PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
const DOCUMENT_NAME = /^(?!.*\s\s)[A-Za-z0-9\s\-()[\]]+$/;

/** toolUse ids, result ids against the previous turn, and document names. */
function checkBlocks(messages: unknown[]): string | undefined {
  for (const [i, message] of messages.entries()) {
    const blocks = blocksOf(message) ?? [];
    for (const [j, b] of blocks.entries()) {
      if (!isRecord(b)) continue;
      const id = isRecord(b.toolUse) ? b.toolUse.toolUseId : undefined;
      if (typeof id === "string" && !ID_PATTERN.test(id))
        return MESSAGES.pattern(id, `messages.${i}.member.content.${j}.member.toolUse.toolUseId`);
      const doc = isRecord(b.document) ? b.document : undefined;
      if (doc && (typeof doc.name !== "string" || !DOCUMENT_NAME.test(doc.name)))
        return MESSAGES.documentName;
    }
    if (i > 0 && isRecord(message) && message.role === "user") {
      const requested = toolUseIds(blocksOf(messages[i - 1]) ?? []);
      const unknown = toolResultIds(blocks).find((r) => !requested.includes(r));
      if (unknown !== undefined) return MESSAGES.unknownToolResult(i, unknown);
    }
  }
  return undefined;
}

/** Tool names (pattern, uniqueness), the named toolChoice, and the outputConfig schema. */
function checkToolConfig(body: Json): string | undefined {
  const config = isRecord(body.toolConfig) ? body.toolConfig : {};
  const tools = Array.isArray(config.tools) ? config.tools : [];
  const names = new Set<string>();
  for (const [k, t] of tools.entries()) {
    const name = isRecord(t) && isRecord(t.toolSpec) ? t.toolSpec.name : undefined;
    if (typeof name !== "string") continue;
    if (!ID_PATTERN.test(name))
      return MESSAGES.pattern(name, `toolConfig.tools.${k}.member.toolSpec.name`);
    if (names.has(name)) return MESSAGES.duplicateToolName(name);
    names.add(name);
  }
  const choice = isRecord(config.toolChoice) ? config.toolChoice : {};
  if (isRecord(choice.tool) && typeof choice.tool.name === "string" && !names.has(choice.tool.name))
    return MESSAGES.unknownToolChoice(choice.tool.name);
  const output = isRecord(body.outputConfig) ? body.outputConfig : {};
  const format = isRecord(output.textFormat) ? output.textFormat : undefined;
  if (format) {
    const structure = isRecord(format.structure) ? format.structure : {};
    const schema = isRecord(structure.jsonSchema) ? structure.jsonSchema.schema : undefined;
    try {
      if (typeof schema !== "string") throw new Error("not a string");
      JSON.parse(schema);
    } catch {
      return MESSAGES.outputSchema;
    }
  }
  return undefined;
}

/**
 * Validates a Converse request body. Returns Bedrock's ValidationException message, or
 * undefined when Bedrock would accept the request.
 */
export function validateConverseRequest(body: unknown): string | undefined {
  if (!isRecord(body)) return "The provided request is not valid";
  const messages = Array.isArray(body.messages) ? body.messages : [];
  if (messages.length === 0) return MESSAGES.emptyMessages;
  const toolConfig = body.toolConfig;
  const hasToolConfig =
    isRecord(toolConfig) && Array.isArray(toolConfig.tools) && toolConfig.tools.length > 0;
  return (
    checkMessageShapes(messages) ??
    checkSystem(body.system) ??
    checkToolPairing(messages, hasToolConfig) ??
    checkBlocks(messages) ??
    checkToolConfig(body) ??
    checkInferenceConfig(body.inferenceConfig) ??
    checkBetas(body) ??
    validateFeatures(body)
  );
}
