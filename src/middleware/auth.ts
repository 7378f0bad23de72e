/**
 * Bearer-key authentication with constant-time comparison and several keys.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { GatewayError } from "../errors";

/** Hash first so keys of any length compare in constant time. */
function digest(s: string): Buffer {
  return new Bun.CryptoHasher("sha256").update(s).digest();
}

/**
 * Accepts `Authorization: Bearer KEY` and, for Anthropic clients, `x-api-key: KEY`.
 * @param keys accepted keys; when empty, authentication is off
 */
export function bearerAuth(keys: readonly string[]): MiddlewareHandler {
  const digests = keys.map(digest);
  return async function bearerAuth(c, next) {
    if (digests.length === 0) return next();
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    const key = m?.[1] ?? c.req.header("x-api-key");
    if (!key?.trim()) {
      throw new GatewayError(401, "Missing API key: send 'Authorization: Bearer <key>'.", {
        code: "missing_api_key",
        headers: { "www-authenticate": "Bearer" },
      });
    }
    const given = digest(key.trim());
    // Compare against every key, without stopping early.
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, given) || ok;
    if (!ok) {
      throw new GatewayError(401, "Invalid API key.", {
        code: "invalid_api_key",
        headers: { "www-authenticate": "Bearer" },
      });
    }
    return next();
  };
}
