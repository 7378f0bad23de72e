/**
 * CORS for browser clients on other origins (web apps using the openai SDK
 * with `dangerouslyAllowBrowser`, internal tools). Off unless CORS_ORIGINS
 * lists origins. For a listed origin, preflights are answered here, before
 * authentication (browsers never send credentials on a preflight), and
 * responses expose the headers clients read. Requests from other origins
 * pass through untouched: no CORS headers, so the browser blocks them.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { cors as honoCors } from "hono/cors";

/** Response headers a browser client may read. */
export const EXPOSED_HEADERS = [
  "x-request-id",
  "retry-after",
  "x-should-retry",
  "x-gateway-warnings",
  "x-ratelimit-limit-requests",
  "x-ratelimit-remaining-requests",
  "x-ratelimit-reset-requests",
  "x-ratelimit-limit-tokens",
  "x-ratelimit-remaining-tokens",
  "x-ratelimit-reset-tokens",
];

/**
 * @param origins exact origins (`https://app.example.com`), or `*` for any
 */
export function cors(origins: readonly string[]): MiddlewareHandler {
  const any = origins.includes("*");
  const listed = new Set(origins.map((o) => o.replace(/\/$/, "").toLowerCase()));
  const allowed = (origin: string | undefined) =>
    origin !== undefined && (any || listed.has(origin.toLowerCase()));
  const handler = honoCors({
    origin: (origin) => (allowed(origin) ? origin : null),
    allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
    // Empty: the headers a preflight asks for are allowed (the openai SDK sends x-stainless-*).
    allowHeaders: [],
    exposeHeaders: EXPOSED_HEADERS,
    maxAge: 600,
  });
  return async function corsMiddleware(c, next) {
    if (origins.length === 0 || !allowed(c.req.header("origin"))) return next();
    return handler(c, next);
  };
}
