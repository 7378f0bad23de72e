/**
 * A fast path in front of `chatRequestSchema` (schema.ts, the source of
 * truth) for the request shape almost every client sends: plain messages
 * with string or text-part content, tool calls and results, function tools,
 * and the usual sampling fields.
 *
 * `isCommonChatRequest(body)` answers true only when the zod schema would
 * accept the body and return a value deep-equal to it (no defaults to fill
 * in, nothing to strip). Anything else, including every invalid body, answers
 * false and goes to zod, so errors keep zod's messages and parameter paths.
 * tests/unit/chat-fast-schema.test.ts checks this against zod on seeded
 * random bodies.
 *
 * Why: measured in bench/README.md, zod's general schema costs ~20 µs per
 * typical chat request; this check costs a fraction of that.
 *
 * @module
 */
import type { ChatRequest } from "./schema";

type Json = Record<string, unknown>;

const isPlainObject = (v: unknown): v is Json =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isNonEmptyString = (v: unknown): boolean => typeof v === "string" && v.length > 0;
const isNumberIn = (v: unknown, min: number, max: number): boolean =>
  typeof v === "number" && Number.isFinite(v) && v >= min && v <= max;
const isIntAtLeast = (v: unknown, min: number): boolean =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= min;

const REASONING_EFFORTS = new Set(["none", "minimal", "low", "medium", "high", "xhigh", "max"]);
const TOOL_CHOICE_WORDS = new Set(["none", "auto", "required"]);

/** A top-level field's check; the value is never null here (null is allowed for every one). */
const FIELDS: Record<string, (v: unknown) => boolean> = {
  model: isNonEmptyString,
  stream: (v) => typeof v === "boolean",
  stream_options: (v) =>
    isPlainObject(v) &&
    everyKey(
      v,
      (k, x) => (k === "include_usage" || k === "include_obfuscation") && typeof x === "boolean",
    ),
  temperature: (v) => isNumberIn(v, 0, 2),
  top_p: (v) => isNumberIn(v, 0, 1),
  max_tokens: (v) => isIntAtLeast(v, 1),
  max_completion_tokens: (v) => isIntAtLeast(v, 1),
  n: (v) => isIntAtLeast(v, 1),
  seed: (v) => typeof v === "number" && Number.isSafeInteger(v),
  stop: (v) =>
    typeof v === "string" ||
    (Array.isArray(v) && v.length <= 16 && v.every((s) => typeof s === "string")),
  user: (v) => typeof v === "string",
  parallel_tool_calls: (v) => typeof v === "boolean",
  reasoning_effort: (v) => typeof v === "string" && REASONING_EFFORTS.has(v),
  frequency_penalty: (v) => isNumberIn(v, -2, 2),
  presence_penalty: (v) => isNumberIn(v, -2, 2),
  tools: (v) => Array.isArray(v) && v.every(isFunctionTool),
  tool_choice: (v) => typeof v === "string" && TOOL_CHOICE_WORDS.has(v),
};

function everyKey(o: Json, check: (key: string, value: unknown) => boolean): boolean {
  for (const key in o) if (!check(key, o[key])) return false;
  return true;
}

function isFunctionTool(t: unknown): boolean {
  if (!isPlainObject(t) || t.type !== "function") return false;
  const fn = t.function;
  if (!isPlainObject(fn) || !isNonEmptyString(fn.name)) return false;
  for (const key in t) if (key !== "type" && key !== "function") return false;
  return everyKey(fn, (k, x) => {
    switch (k) {
      case "name":
        return true;
      case "description":
        return typeof x === "string";
      case "parameters":
        return isPlainObject(x);
      case "strict":
        return x === null || typeof x === "boolean";
      default:
        return false;
    }
  });
}

/** `{type: "text", text}` and nothing else. */
function isTextPart(p: unknown): boolean {
  if (!isPlainObject(p) || p.type !== "text" || typeof p.text !== "string") return false;
  for (const key in p) if (key !== "type" && key !== "text") return false;
  return true;
}

/** `{type: "image_url", image_url: {url, detail?}}` and nothing else. */
function isImagePart(p: unknown): boolean {
  if (!isPlainObject(p) || p.type !== "image_url") return false;
  for (const key in p) if (key !== "type" && key !== "image_url") return false;
  const img = p.image_url;
  if (!isPlainObject(img) || !isNonEmptyString(img.url)) return false;
  return everyKey(
    img,
    (k, x) => k === "url" || (k === "detail" && (x === "auto" || x === "low" || x === "high")),
  );
}

const isTextContent = (c: unknown): boolean =>
  typeof c === "string" || (Array.isArray(c) && c.every(isTextPart));

function isToolCall(tc: unknown): boolean {
  // `type` and `arguments` present: zod would fill in their defaults otherwise.
  if (!isPlainObject(tc) || !isNonEmptyString(tc.id) || tc.type !== "function") return false;
  for (const key in tc) if (key !== "id" && key !== "type" && key !== "function") return false;
  const fn = tc.function;
  if (!isPlainObject(fn) || !isNonEmptyString(fn.name) || typeof fn.arguments !== "string")
    return false;
  for (const key in fn) if (key !== "name" && key !== "arguments") return false;
  return true;
}

function isCommonMessage(m: unknown): boolean {
  if (!isPlainObject(m)) return false;
  switch (m.role) {
    case "system":
    case "developer":
    case "user":
      return everyKey(m, (k, x) => {
        if (k === "role") return true;
        if (k === "name") return typeof x === "string";
        if (k !== "content") return false;
        if (m.role !== "user") return isTextContent(x);
        return (
          typeof x === "string" ||
          (Array.isArray(x) && x.every((p) => isTextPart(p) || isImagePart(p)))
        );
      });
    case "assistant":
      return everyKey(m, (k, x) => {
        switch (k) {
          case "role":
            return true;
          case "content":
            return x === null || isTextContent(x);
          case "tool_calls":
            return Array.isArray(x) && x.every(isToolCall);
          case "name":
            return typeof x === "string";
          case "refusal":
          case "reasoning_content":
            return x === null || typeof x === "string";
          default:
            return false;
        }
      });
    case "tool":
      if (!("content" in m) || !isNonEmptyString(m.tool_call_id)) return false;
      return everyKey(
        m,
        (k, x) => k === "role" || k === "tool_call_id" || (k === "content" && isTextContent(x)),
      );
    default:
      return false;
  }
}

/**
 * True when `body` is a chat request of the common shape that
 * `chatRequestSchema` accepts unchanged; false means "ask zod".
 */
export function isCommonChatRequest(body: unknown): body is ChatRequest {
  if (!isPlainObject(body)) return false;
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return false;
  for (const m of messages) {
    if (!isCommonMessage(m)) return false;
    // system/user content is required by the schema.
    if ((m as Json).content === undefined && (m as Json).role !== "assistant") return false;
  }
  for (const key in body) {
    if (key === "messages") continue;
    const check = FIELDS[key];
    const value = body[key];
    if (!check || (value !== null && !check(value))) return false;
    if (value === null && key === "model") return false;
  }
  return true;
}
