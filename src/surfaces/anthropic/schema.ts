/**
 * The Anthropic Messages request as the gateway checks it. Loose on purpose:
 * on the native path the body goes to Claude as the client sent it (minus what
 * Bedrock rejects), so every field Anthropic adds later passes through; only
 * what the gateway itself reads is typed.
 *
 * @module
 */
import { z } from "zod";

const block = z.looseObject({ type: z.string() });

const message = z.looseObject({
  // "system": Anthropic's mid-conversation system messages (Claude Code sends them).
  role: z.enum(["user", "assistant", "system"]),
  content: z.union([z.string(), z.array(block)]),
});

const tool = z.looseObject({ name: z.string().min(1) });

const base = {
  model: z.string().min(1),
  messages: z.array(message),
  system: z.union([z.string(), z.array(block)]).optional(),
  tools: z.array(tool).optional(),
  tool_choice: z.looseObject({ type: z.enum(["auto", "any", "tool", "none"]) }).optional(),
  thinking: z.looseObject({ type: z.string() }).optional(),
  metadata: z.looseObject({ user_id: z.string().nullish() }).optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
};

export const messagesRequestSchema = z.looseObject({
  ...base,
  max_tokens: z.number().int().min(1),
  stream: z.boolean().optional(),
});

export type MessagesRequest = z.infer<typeof messagesRequestSchema>;

export const countTokensRequestSchema = z.looseObject(base);
