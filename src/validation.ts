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
      if (result.success) return;
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
