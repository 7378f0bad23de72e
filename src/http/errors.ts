/**
 * Where a GatewayError becomes an HTTP response: the status, the retry
 * headers every surface shares, and a body in the shape of the surface that
 * was called (its renderer).
 *
 * @module
 */
import type { GatewayError } from "../errors";

/** A surface's error body for an error (OpenAI `{"error":{…}}`, Anthropic `{"type":"error",…}`). */
export type ErrorRenderer = (err: GatewayError) => unknown;

/** Whether a client may retry: 408, 429 and 5xx, except a spent budget (it stays spent until the period rolls over). */
export function isRetryable(err: GatewayError): boolean {
  return (
    (err.status === 408 || err.status === 429 || err.status >= 500) &&
    err.type !== "insufficient_quota"
  );
}

export function errorResponse(
  err: GatewayError,
  render: ErrorRenderer,
  extraHeaders: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(render(err)), {
    status: err.status,
    headers: {
      "content-type": "application/json",
      "x-should-retry": isRetryable(err) ? "true" : "false",
      ...err.headers,
      ...extraHeaders,
    },
  });
}
