/**
 * zod validation that fails as an OpenAI 400 naming the offending parameter.
 *
 * @module
 */
import { zValidator } from "@hono/zod-validator";
import type { z } from "zod";
import { InvalidRequestError } from "./errors";

/** `["messages", 0, "content"]` → `messages[0].content`. */
export function paramPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else out += out === "" ? String(p) : `.${String(p)}`;
  }
  return out;
}

/**
 * Deepest nesting a request body may have. Free-form objects (tool
 * `parameters`, `response_format.json_schema`, `additionalModelRequestFields`,
 * `extra_body`…) pass zod as `unknown` and reach the AWS SDK's recursive
 * serializer, which overflows the stack at a few thousand levels (a 500).
 * Real JSON Schemas nest a few dozen levels at most.
 */
export const MAX_JSON_DEPTH = 64;
/** Values (objects, arrays, scalars) a body may hold; bounds the walk and the SDK's work. */
export const MAX_JSON_NODES = 1_000_000;

/**
 * Checks the nesting depth and size of a parsed body, iteratively (no
 * recursion, so hostile input cannot overflow this check either).
 * @throws InvalidRequestError naming the parameter that nests too deep
 */
export function checkJsonShape(body: unknown): void {
  const stack: Array<[unknown, number]> = [[body, 0]];
  let nodes = 0;
  while (stack.length > 0) {
    const [value, depth] = stack.pop() as [unknown, number];
    if (++nodes > MAX_JSON_NODES) {
      throw new InvalidRequestError(
        `The request body holds more than ${MAX_JSON_NODES} values.`,
        null,
        "request_too_complex",
      );
    }
    if (typeof value !== "object" || value === null) continue;
    if (depth >= MAX_JSON_DEPTH) {
      const param = deepestPath(body, 4);
      throw new InvalidRequestError(
        `Invalid '${param}': nested more than ${MAX_JSON_DEPTH} levels deep.`,
        param,
        "nesting_too_deep",
      );
    }
    for (const child of Array.isArray(value) ? value : Object.values(value))
      stack.push([child, depth + 1]);
  }
}

/** The first `segments` steps of the path to the most deeply nested value. */
function deepestPath(body: unknown, segments: number): string {
  const path: PropertyKey[] = [];
  let node = body;
  while (path.length < segments && typeof node === "object" && node !== null) {
    let best: [PropertyKey, unknown] | undefined;
    let bestDepth = -1;
    const entries: Array<[PropertyKey, unknown]> = Array.isArray(node)
      ? node.map((v, i) => [i, v])
      : Object.entries(node);
    for (const [key, child] of entries) {
      const d = depthOf(child);
      if (d > bestDepth) {
        bestDepth = d;
        best = [key, child];
      }
    }
    if (!best) break;
    path.push(best[0]);
    node = best[1];
  }
  return paramPath(path);
}

/** Nesting depth of a value, iteratively, capped just past the limit. */
function depthOf(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v !== "object" || v === null) continue;
    max = Math.max(max, d + 1);
    if (max > MAX_JSON_DEPTH) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

/**
 * Validates the JSON body with `schema`. `fast`, when given, answers true for
 * bodies the schema accepts unchanged (a cheaper check for the common shape,
 * verified against the schema in tests); those skip zod. Everything else,
 * and every error message, is zod's.
 */
export function jsonBody<T extends z.ZodType>(
  schema: T,
  fast?: (body: unknown) => body is z.output<T>,
) {
  // Synchronous safeParse: the schemas have no async refinements, and
  // safeParseAsync (zValidator's default) costs a promise per step.
  // (`never`: zod-validator's result type is a conditional on the generic T.)
  const validationFunction = (s: T, value: unknown) =>
    (fast?.(value) ? { success: true, data: value } : s.safeParse(value)) as never;
  return zValidator(
    "json",
    schema,
    (result) => {
      if (result.success) {
        checkJsonShape(result.data);
        return;
      }
      const issue = result.error.issues[0];
      const param = issue ? paramPath(issue.path) : "";
      const message = issue
        ? param
          ? `Invalid '${param}': ${issue.message}`
          : issue.message
        : "Invalid request body.";
      throw new InvalidRequestError(message, param || null, "invalid_value");
    },
    { validationFunction },
  );
}
