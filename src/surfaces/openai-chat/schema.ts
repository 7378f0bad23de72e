/**
 * The OpenAI chat completions request, as we accept it.
 *
 * Unknown top-level keys pass through (the OpenAI SDKs put `extra_body` keys at
 * the top level, and Bedrock-native controls arrive that way); every known
 * OpenAI field has an explicit decision in `policy.ts`.
 *
 * @module
 */
import { z } from "zod";

const textPart = z.object({ type: z.literal("text"), text: z.string() }).loose();

const imagePart = z
  .object({
    type: z.literal("image_url"),
    image_url: z
      .object({ url: z.string().min(1), detail: z.enum(["auto", "low", "high"]).optional() })
      .loose(),
  })
  .loose();

const audioPart = z
  .object({
    type: z.literal("input_audio"),
    input_audio: z.object({ data: z.string(), format: z.string() }).loose(),
  })
  .loose();

const filePart = z
  .object({
    type: z.literal("file"),
    file: z
      .object({
        file_data: z.string().optional(),
        file_id: z.string().optional(),
        filename: z.string().optional(),
      })
      .loose(),
  })
  .loose();

const refusalPart = z.object({ type: z.literal("refusal"), refusal: z.string() }).loose();

export const userContentPart = z.discriminatedUnion("type", [
  textPart,
  imagePart,
  audioPart,
  filePart,
]);

const toolCall = z
  .object({
    id: z.string().min(1),
    type: z.literal("function").default("function"),
    function: z.object({ name: z.string().min(1), arguments: z.string().default("") }).loose(),
  })
  .loose();

const systemMessage = z
  .object({
    role: z.enum(["system", "developer"]),
    content: z.union([z.string(), z.array(textPart)]),
    name: z.string().optional(),
  })
  .loose();

const userMessage = z
  .object({
    role: z.literal("user"),
    content: z.union([z.string(), z.array(userContentPart)]),
    name: z.string().optional(),
  })
  .loose();

/** A thinking block sent back on an assistant message (see converse/reasoning.ts). */
export const thinkingBlockSchema = z.discriminatedUnion("type", [
  z
    .object({ type: z.literal("thinking"), thinking: z.string(), signature: z.string().optional() })
    .loose(),
  z.object({ type: z.literal("redacted_thinking"), data: z.string().min(1) }).loose(),
]);

const assistantMessage = z
  .object({
    role: z.literal("assistant"),
    content: z.union([z.string(), z.array(z.union([textPart, refusalPart])), z.null()]).optional(),
    tool_calls: z.array(toolCall).optional(),
    refusal: z.string().nullable().optional(),
    name: z.string().optional(),
    /** Reasoning text from an earlier turn (our response field, sent back). */
    reasoning_content: z.string().nullable().optional(),
    /** Signed / redacted thinking from an earlier turn (our response field, sent back). */
    thinking_blocks: z.array(thinkingBlockSchema).nullable().optional(),
  })
  .loose();

const toolMessage = z
  .object({
    role: z.literal("tool"),
    // Images in tool results are not in OpenAI's schema, but agents (MCP bridges,
    // computer-use loops) send them; Bedrock accepts them for some models.
    content: z.union([z.string(), z.array(z.discriminatedUnion("type", [textPart, imagePart]))]),
    tool_call_id: z.string().min(1),
    /** Non-standard error marks (Anthropic's is_error, LangChain's status); see decode.ts. */
    is_error: z.boolean().nullable().optional(),
    status: z.string().nullable().optional(),
  })
  .loose();

const functionMessage = z
  .object({ role: z.literal("function"), name: z.string(), content: z.string().nullable() })
  .loose();

export const chatMessage = z.discriminatedUnion("role", [
  systemMessage,
  userMessage,
  assistantMessage,
  toolMessage,
  functionMessage,
]);

const functionTool = z
  .object({
    type: z.literal("function"),
    function: z
      .object({
        name: z.string().min(1),
        description: z.string().optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
        strict: z.boolean().nullable().optional(),
      })
      .loose(),
  })
  .loose();

const namedToolChoice = z
  .object({ type: z.literal("function"), function: z.object({ name: z.string().min(1) }) })
  .loose();

const allowedToolsChoice = z
  .object({
    type: z.literal("allowed_tools"),
    allowed_tools: z.object({
      mode: z.enum(["auto", "required"]),
      tools: z.array(
        z.object({ type: z.literal("function"), function: z.object({ name: z.string() }) }).loose(),
      ),
    }),
  })
  .loose();

export const toolChoice = z.union([
  z.enum(["none", "auto", "required"]),
  namedToolChoice,
  allowedToolsChoice,
]);

const responseFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }).loose(),
  z.object({ type: z.literal("json_object") }).loose(),
  z
    .object({
      type: z.literal("json_schema"),
      json_schema: z
        .object({
          name: z.string().min(1),
          description: z.string().optional(),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullable().optional(),
        })
        .loose(),
    })
    .loose(),
]);

export const chatRequestSchema = z
  .object({
    model: z.string().min(1).optional(),
    messages: z.array(chatMessage).min(1, "messages must contain at least one message"),
    stream: z.boolean().nullable().optional(),
    stream_options: z
      .object({
        include_usage: z.boolean().optional(),
        include_obfuscation: z.boolean().optional(),
      })
      .loose()
      .nullable()
      .optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    max_tokens: z.number().int().min(1).nullable().optional(),
    max_completion_tokens: z.number().int().min(1).nullable().optional(),
    stop: z
      .union([z.string(), z.array(z.string()).max(16)])
      .nullable()
      .optional(),
    n: z.number().int().min(1).nullable().optional(),
    tools: z.array(functionTool).nullable().optional(),
    tool_choice: toolChoice.nullable().optional(),
    parallel_tool_calls: z.boolean().nullable().optional(),
    response_format: responseFormat.nullable().optional(),
    reasoning_effort: z
      .enum(["none", "minimal", "low", "medium", "high", "xhigh", "max"])
      .nullable()
      .optional(),
    frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
    presence_penalty: z.number().min(-2).max(2).nullable().optional(),
    logprobs: z.boolean().nullable().optional(),
    top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
    logit_bias: z.record(z.string(), z.number()).nullable().optional(),
    seed: z.number().int().nullable().optional(),
    user: z.string().nullable().optional(),
    metadata: z.record(z.string(), z.string()).nullable().optional(),
    service_tier: z.string().nullable().optional(),
    modalities: z.array(z.string()).nullable().optional(),
    audio: z.unknown().optional(),
    functions: z.unknown().optional(),
    function_call: z.unknown().optional(),
    web_search_options: z.unknown().optional(),
  })
  .loose();

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type ChatMessage = z.infer<typeof chatMessage>;
export type ThinkingBlockInput = z.infer<typeof thinkingBlockSchema>;
export type UserContentPart = z.infer<typeof userContentPart>;
export type ChatTool = z.infer<typeof functionTool>;
export type ToolChoice = z.infer<typeof toolChoice>;
