/**
 * Gives every request an id: the caller's `x-request-id` when it is sane,
 * otherwise a new one. It is echoed on the response and put on `c.var`.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";

export interface RequestIdVariables {
  requestId: string;
}

const SANE = /^[\w.:-]{1,128}$/;

export function requestId(): MiddlewareHandler<{ Variables: RequestIdVariables }> {
  return async function requestId(c, next) {
    const given = c.req.header("x-request-id");
    const id = given && SANE.test(given) ? given : crypto.randomUUID();
    c.set("requestId", id);
    c.header("x-request-id", id);
    await next();
  };
}
