/**
 * The OpenAI Responses request (`POST /v1/responses`), as we accept it: the
 * shapes of openai-node's `ResponseCreateParams`, loose (unknown keys pass, as
 * on chat). Input items are checked here only for being objects; decode.ts
 * reads each item type and fails with a 400 naming the exact item.
 *
 * Every field has a decision in policy.ts (honour / ignore with a warning /
 * 400 naming the param); the README's table mirrors it.
 *
 * @module
 */
import { z } from "zod";

const jsonObject = z.record(z.string(), z.unknown());

export const functionToolSchema = z
  .object({
    type: z.literal("function"),
    name: z.string().min(1),
    description: z.string().nullable().optional(),
    parameters: jsonObject.nullable().optional(),
    strict: z.boolean().nullable().optional(),
  })
  .loose();

const grammarFormat = z
  .object({
    type: z.literal("grammar"),
    syntax: z.enum(["lark", "regex"]),
    definition: z.string(),
  })
  .loose();

export const customToolSchema = z
  .object({
    type: z.literal("custom"),
    name: z.string().min(1),
    description: z.string().nullable().optional(),
    format: z
      .union([z.object({ type: z.literal("text") }).loose(), grammarFormat])
      .nullable()
      .optional(),
  })
  .loose();

const namespaceToolSchema = z
  .object({
    type: z.literal("namespace"),
    name: z.string().min(1),
    description: z.string().nullable().optional(),
    tools: z.array(z.union([functionToolSchema, customToolSchema])),
  })
  .loose();

/** Any other tool type (hosted tools): kept as an object, dropped by decode with a warning. */
const otherToolSchema = z.object({ type: z.string() }).loose();

export const toolSchema = z.union([
  functionToolSchema,
  customToolSchema,
  namespaceToolSchema,
  otherToolSchema,
]);

const toolChoiceSchema = z.union([
  z.enum(["none", "auto", "required"]),
  z.object({ type: z.enum(["function", "custom"]), name: z.string().min(1) }).loose(),
  z
    .object({
      type: z.literal("allowed_tools"),
      mode: z.enum(["auto", "required"]),
      tools: z.array(z.object({ type: z.string() }).loose()),
    })
    .loose(),
  // Hosted tool choices ({type: "web_search"} …): decode relaxes them to auto with a warning.
  z.object({ type: z.string() }).loose(),
]);

const textFormatSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }).loose(),
  z.object({ type: z.literal("json_object") }).loose(),
  z
    .object({
      type: z.literal("json_schema"),
      name: z.string().min(1),
      description: z.string().nullable().optional(),
      schema: jsonObject,
      strict: z.boolean().nullable().optional(),
    })
    .loose(),
]);

export const responsesRequestSchema = z
  .object({
    model: z.string().min(1).optional(),
    input: z.union([z.string(), z.array(z.unknown())]).optional(),
    instructions: z.string().nullable().optional(),
    previous_response_id: z.string().min(1).nullable().optional(),
    conversation: z.unknown().optional(),
    prompt: z.unknown().optional(),
    stream: z.boolean().nullable().optional(),
    stream_options: z
      .object({ include_obfuscation: z.boolean().optional() })
      .loose()
      .nullable()
      .optional(),
    store: z.boolean().nullable().optional(),
    background: z.boolean().nullable().optional(),
    include: z.array(z.string()).nullable().optional(),
    tools: z.array(toolSchema).nullable().optional(),
    tool_choice: toolChoiceSchema.nullable().optional(),
    parallel_tool_calls: z.boolean().nullable().optional(),
    max_tool_calls: z.number().int().min(1).nullable().optional(),
    text: z
      .object({
        format: textFormatSchema.nullable().optional(),
        verbosity: z.enum(["low", "medium", "high"]).nullable().optional(),
      })
      .loose()
      .nullable()
      .optional(),
    reasoning: z
      .object({
        effort: z
          .enum(["none", "minimal", "low", "medium", "high", "xhigh", "max"])
          .nullable()
          .optional(),
        summary: z.enum(["auto", "concise", "detailed"]).nullable().optional(),
        generate_summary: z.enum(["auto", "concise", "detailed"]).nullable().optional(),
      })
      .loose()
      .nullable()
      .optional(),
    max_output_tokens: z.number().int().min(1).nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
    truncation: z.enum(["auto", "disabled"]).nullable().optional(),
    metadata: z.record(z.string(), z.string()).nullable().optional(),
    user: z.string().nullable().optional(),
    safety_identifier: z.string().nullable().optional(),
    prompt_cache_key: z.string().nullable().optional(),
    prompt_cache_retention: z.string().nullable().optional(),
    prompt_cache_options: z.unknown().optional(),
    client_metadata: z.record(z.string(), z.unknown()).nullable().optional(),
    service_tier: z.string().nullable().optional(),
    context_management: z.unknown().optional(),
    moderation: z.unknown().optional(),
  })
  .loose();

export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;
export type ResponsesTool = z.infer<typeof toolSchema>;
export type FunctionTool = z.infer<typeof functionToolSchema>;
export type CustomTool = z.infer<typeof customToolSchema>;
