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

export function jsonBody<T extends z.ZodType>(schema: T) {
  return zValidator("json", schema, (result) => {
    if (result.success) return;
    const issue = result.error.issues[0];
    const param = issue ? paramPath(issue.path) : "";
    const message = issue
      ? param
        ? `Invalid '${param}': ${issue.message}`
        : issue.message
      : "Invalid request body.";
    throw new InvalidRequestError(message, param || null, "invalid_value");
  });
}
