/**
 * Rejects request bodies that are not JSON before anyone parses them.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { GatewayError } from "../errors";

export function requireJson(): MiddlewareHandler {
  return async function requireJson(c, next) {
    const type = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
    if (type !== "application/json" && !/^application\/[\w.+-]+\+json$/.test(type)) {
      throw new GatewayError(
        415,
        "Request body must be JSON: send 'Content-Type: application/json'.",
        {
          type: "invalid_request_error",
          code: "unsupported_media_type",
        },
      );
    }
    return next();
  };
}
