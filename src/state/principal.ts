/**
 * Who is calling: put on the context (`c.var.principal`) and on the request's
 * observations (`c.var.obs.principal`) by the auth middleware, read by every
 * route that picks a model and by usage recording.
 *
 * @module
 */
import { GatewayError } from "../errors";
import type { ModelMatcher } from "./keys";
import type { KeyRecord } from "./types";

export interface Principal {
  /** `static`: an API_KEY key; `virtual`: a key from /admin/keys; `open`: auth is off. */
  kind: "static" | "virtual" | "open";
  /** The virtual key's id; null otherwise. */
  keyId: string | null;
  /** The virtual key (limits, budget, metadata). */
  key?: KeyRecord;
  /** Null: every model. */
  models: ModelMatcher | null;
}

export const OPEN_PRINCIPAL: Principal = { kind: "open", keyId: null, models: null };
export const STATIC_PRINCIPAL: Principal = { kind: "static", keyId: null, models: null };

/** 403 for a model outside the key's allow-list; Bedrock is never called. */
export class ModelNotAllowedError extends GatewayError {
  override name = "ModelNotAllowedError";
  constructor(model: string) {
    super(403, `This API key is not allowed to use the model '${model}'.`, {
      type: "permission_error",
      code: "model_not_allowed",
      param: "model",
    });
  }
}

/** True when the principal may use a model known by any of `names`. */
export function mayUse(p: Principal | undefined, ...names: Array<string | undefined>): boolean {
  return !p?.models || p.models.allows(...names);
}

/**
 * The model-access check.
 * @throws ModelNotAllowedError
 */
export function assertModel(p: Principal | undefined, ...names: Array<string | undefined>): void {
  if (!mayUse(p, ...names)) throw new ModelNotAllowedError(names.find((n) => n) ?? "");
}
