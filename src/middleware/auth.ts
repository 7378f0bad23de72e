/**
 * Authentication for the API: static API_KEY keys (full access, compared in
 * constant time) and virtual keys from /admin/keys (restricted: allow-list,
 * rate limits, budget). The key comes as `Authorization: Bearer KEY` or
 * `x-api-key: KEY` (Anthropic's header).
 *
 * A refusal (401, 429, 503) is answered here, in the shape of the surface
 * being called (the app's renderer for the path: Anthropic's
 * `{"type":"error","error":{…}}` under /v1/messages* and /model/*, OpenAI's
 * everywhere else); always with `x-should-retry` (false for 401). A virtual key's responses all carry the
 * x-ratelimit-* headers of its limits.
 *
 * The principal goes on `c.var.principal` and `c.var.obs.principal`; routes
 * check model access through `obs.model = id` (see request-obs.ts) and usage
 * is recorded when the access line is written.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { GatewayError, toGatewayError } from "../errors";
import { type ErrorRenderer, errorResponse } from "../http/errors";
import type { RequestObs } from "../observability/request-obs";
import type { Access } from "../state/access";
import { OPEN_PRINCIPAL, type Principal, STATIC_PRINCIPAL } from "../state/principal";

export interface AuthVariables {
  principal: Principal;
}

/** Hash first so keys of any length compare in constant time. */
function digest(s: string): Buffer {
  return new Bun.CryptoHasher("sha256").update(s).digest();
}

/** The presented key: `Authorization: Bearer KEY`, else `x-api-key: KEY`. */
export function presentedKey(c: Context): string | undefined {
  const header = c.req.header("authorization");
  if (header) {
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (m?.[1]) return m[1].trim();
  }
  const x = c.req.header("x-api-key")?.trim();
  return x || undefined;
}

function unauthorized(message: string, code: string): GatewayError {
  return new GatewayError(401, message, {
    type: "authentication_error",
    code,
    headers: { "www-authenticate": "Bearer" },
  });
}

export interface GatewayAuthOptions {
  /** Static keys (API_KEY). */
  apiKeys: readonly string[];
  /** Virtual keys; absent when the admin API is off. */
  access?: Access;
  /** The error shape of the surface at a path (the app's errorRendererFor). */
  renderFor: (path: string) => ErrorRenderer;
}

/**
 * The API's authentication. Off (every request accepted, principal "open")
 * only when there are neither static keys nor virtual keys.
 */
export function gatewayAuth(
  opts: GatewayAuthOptions,
): MiddlewareHandler<{ Variables: AuthVariables & { obs: RequestObs; requestId: string } }> {
  const digests = opts.apiKeys.map(digest);
  const { access } = opts;
  const enabled = digests.length > 0 || access !== undefined;
  return async function gatewayAuth(c, next) {
    let principal: Principal = OPEN_PRINCIPAL;
    let limitHeaders: Record<string, string> | undefined;
    if (enabled) {
      try {
        const secret = presentedKey(c);
        if (!secret) {
          throw unauthorized(
            "Missing API key: send 'Authorization: Bearer <key>' or 'x-api-key: <key>'.",
            "missing_api_key",
          );
        }
        const given = digest(secret);
        // Compare against every static key, without stopping early.
        let ok = false;
        for (const d of digests) ok = timingSafeEqual(d, given) || ok;
        if (ok) principal = STATIC_PRINCIPAL;
        else {
          const found = access?.lookup(given.toString("hex"));
          const entry = found instanceof Promise ? await found : found;
          if (!entry || !access) throw unauthorized("Invalid API key.", "invalid_api_key");
          principal = {
            kind: "virtual",
            keyId: entry.record.id,
            key: entry.record,
            models: entry.matcher,
          };
          if (c.var.obs) {
            c.var.obs.principal = principal;
            c.var.obs.requestBytes = Number(c.req.header("content-length") ?? 0) || 0;
          }
          limitHeaders = await access.admit(entry);
        }
      } catch (err) {
        const error = toGatewayError(err);
        if (c.var.obs) c.var.obs.refusal = error;
        const reqId = c.var.requestId;
        return errorResponse(
          error,
          opts.renderFor(c.req.path),
          reqId ? { "x-request-id": reqId } : {},
        );
      }
    }
    c.set("principal", principal);
    if (c.var.obs) c.var.obs.principal = principal;
    await next();
    if (limitHeaders) {
      try {
        for (const [k, v] of Object.entries(limitHeaders)) c.res.headers.set(k, v);
      } catch {
        // Immutable headers (a fetched Response passed through): copy once.
        c.res = new Response(c.res.body, c.res);
        for (const [k, v] of Object.entries(limitHeaders)) c.res.headers.set(k, v);
      }
    }
    return undefined;
  };
}

/**
 * Static keys only, Bearer or x-api-key (GET /metrics): virtual keys have no
 * business reading the gateway's metrics.
 * @param keys accepted keys; when empty, authentication is off
 */
export function bearerAuth(keys: readonly string[]): MiddlewareHandler {
  const digests = keys.map(digest);
  return async function bearerAuth(c, next) {
    if (digests.length === 0) return next();
    const secret = presentedKey(c);
    if (!secret) {
      throw unauthorized("Missing API key: send 'Authorization: Bearer <key>'.", "missing_api_key");
    }
    const given = digest(secret);
    let ok = false;
    for (const d of digests) ok = timingSafeEqual(d, given) || ok;
    if (!ok) throw unauthorized("Invalid API key.", "invalid_api_key");
    return next();
  };
}

/**
 * /admin: only `Authorization: Bearer <ADMIN_API_KEY>`; anything else,
 * virtual keys included, is a 401 in OpenAI's shape.
 */
export function adminAuth(adminKey: string): MiddlewareHandler {
  const expected = digest(adminKey);
  return async function adminAuth(c, next) {
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (!m?.[1]) {
      throw unauthorized(
        "Missing admin key: send 'Authorization: Bearer <ADMIN_API_KEY>'.",
        "missing_api_key",
      );
    }
    if (!timingSafeEqual(expected, digest(m[1].trim()))) {
      throw unauthorized("Invalid admin key.", "invalid_api_key");
    }
    return next();
  };
}
