import { GatewayError } from "../errors";

/** A handler for paths that exist under another method: 405 with `Allow`. */
export function methodNotAllowed(allowed: string[]) {
  return function methodNotAllowed(): never {
    throw new GatewayError(405, `Method not allowed; use ${allowed.join(", ")}.`, {
      type: "invalid_request_error",
      code: "method_not_allowed",
      headers: { allow: allowed.join(", ") },
    });
  };
}
