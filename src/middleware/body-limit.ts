/**
 * Hono's bodyLimit with a fast path: when the request declares its size
 * (content-length, no transfer-encoding), that header decides, without
 * touching `request.body`. Hono's own middleware reads `request.body` first,
 * and on Bun that getter materialises a ReadableStream for every request,
 * which then also makes the later `req.json()` go through the stream path
 * (measured on the hot path by bench/). Chunked uploads still go through
 * Hono's counting reader.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";

export function bodyLimit(options: {
  maxSize: number;
  onError: Parameters<typeof honoBodyLimit>[0]["onError"] & {};
}): MiddlewareHandler {
  const counting = honoBodyLimit(options);
  return async function bodyLimit(c, next) {
    const headers = c.req.raw.headers;
    const length = headers.get("content-length");
    if (length !== null && !headers.has("transfer-encoding")) {
      return Number.parseInt(length || "0", 10) > options.maxSize ? options.onError(c) : next();
    }
    return counting(c, next);
  };
}
