/**
 * A fast path in front of `messagesRequestSchema` (schema.ts, the source of
 * truth). That schema is loose on purpose and has no defaults or transforms,
 * so zod returns a copy of what it accepts: this check answers true only for
 * bodies the schema accepts, and then the body itself is used as zod's value
 * would be. Anything it declines (every invalid body, and any shape it does
 * not know) goes to zod, so errors keep zod's messages and parameter paths.
 * tests/unit/anthropic-fast-schema.test.ts checks it against zod on seeded
 * random bodies.
 *
 * Why: zod copies every loose object it checks (each message and content
 * block, each tool): ~50 µs for a Claude Code request (40 messages, 18 tools),
 * against a few µs here (bench/README.md, "Session 3: surfaces").
 *
 * @module
 */
import type { MessagesRequest } from "./schema";

type Json = Record<string, unknown>;

const isPlainObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isUnitNumber = (v: unknown): boolean =>
  typeof v === "number" && Number.isFinite(v) && v >= 0 && v <= 1;
const isIntAtLeast = (v: unknown, min: number): boolean =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= min;

const ROLES = new Set(["user", "assistant", "system"]);
const TOOL_CHOICES = new Set(["auto", "any", "tool", "none"]);

/** `z.looseObject({ type: z.string() })` */
const isBlock = (v: unknown): boolean => isPlainObject(v) && typeof v.type === "string";

function isBlocks(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (const b of v) if (!isBlock(b)) return false;
  return true;
}

function isMessage(v: unknown): boolean {
  if (!isPlainObject(v)) return false;
  const { role, content } = v;
  return (
    typeof role === "string" &&
    ROLES.has(role) &&
    (typeof content === "string" || isBlocks(content))
  );
}

/** The optional top-level fields the schema types (absent: undefined; null is not accepted). */
const OPTIONAL: Record<string, (v: unknown) => boolean> = {
  system: (v) => typeof v === "string" || isBlocks(v),
  tools: (v) =>
    Array.isArray(v) &&
    v.every((t) => isPlainObject(t) && typeof t.name === "string" && t.name.length > 0),
  tool_choice: (v) => isPlainObject(v) && typeof v.type === "string" && TOOL_CHOICES.has(v.type),
  thinking: (v) => isPlainObject(v) && typeof v.type === "string",
  metadata: (v) =>
    isPlainObject(v) &&
    (v.user_id === undefined || v.user_id === null || typeof v.user_id === "string"),
  stop_sequences: (v) => Array.isArray(v) && v.every((s) => typeof s === "string"),
  temperature: isUnitNumber,
  top_p: isUnitNumber,
  top_k: (v) => isIntAtLeast(v, 0),
  stream: (v) => typeof v === "boolean",
};
const OPTIONAL_KEYS = Object.keys(OPTIONAL);

/** True only when `messagesRequestSchema` accepts `body` (its value then equals `body`). */
export function isValidMessagesRequest(body: unknown): body is MessagesRequest {
  if (!isPlainObject(body)) return false;
  if (typeof body.model !== "string" || body.model.length === 0) return false;
  if (!isIntAtLeast(body.max_tokens, 1)) return false;
  const messages = body.messages;
  if (!Array.isArray(messages)) return false;
  for (const m of messages) if (!isMessage(m)) return false;
  for (const key of OPTIONAL_KEYS) {
    const v = body[key];
    if (v !== undefined && !(OPTIONAL[key] as (v: unknown) => boolean)(v)) return false;
  }
  return true;
}
