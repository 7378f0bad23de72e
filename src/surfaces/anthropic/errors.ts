/**
 * Errors in Anthropic's shape: `{"type":"error","error":{"type","message"}}`
 * with Anthropic's statuses, for /v1/messages*, /v1/models in Anthropic mode and
 * Claude Code's Bedrock-mode routes.
 *
 * Bedrock exceptions keep Bedrock's own message text (Claude Code's recovery
 * logic matches on wording such as "invalid beta flag"); ServiceUnavailable and
 * ModelNotReady become 529 overloaded_error, which Anthropic clients retry.
 * Every response carries `x-should-retry` (false on 4xx other than 429), so
 * Claude Code does not back off for minutes on a wrong key.
 *
 * @module
 */
import { GatewayError, toGatewayError } from "../../errors";

export type AnthropicErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "timeout_error"
  | "overloaded_error";

export interface AnthropicError {
  status: number;
  type: AnthropicErrorType;
  message: string;
  headers: Record<string, string>;
}

/** Bedrock exception name → Anthropic status and type. */
const BEDROCK_TO_ANTHROPIC: Record<string, { status: number; type: AnthropicErrorType }> = {
  ValidationException: { status: 400, type: "invalid_request_error" },
  ConflictException: { status: 400, type: "invalid_request_error" },
  AccessDeniedException: { status: 403, type: "permission_error" },
  ResourceNotFoundException: { status: 404, type: "not_found_error" },
  ThrottlingException: { status: 429, type: "rate_limit_error" },
  ServiceQuotaExceededException: { status: 429, type: "rate_limit_error" },
  ModelNotReadyException: { status: 529, type: "overloaded_error" },
  ServiceUnavailableException: { status: 529, type: "overloaded_error" },
  ModelTimeoutException: { status: 504, type: "timeout_error" },
  ModelErrorException: { status: 500, type: "api_error" },
  ModelStreamErrorException: { status: 500, type: "api_error" },
  InternalServerException: { status: 500, type: "api_error" },
};

function typeForStatus(status: number): AnthropicErrorType {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 413) return "request_too_large";
  if (status === 429) return "rate_limit_error";
  if (status === 504 || status === 408) return "timeout_error";
  if (status === 529 || status === 503) return "overloaded_error";
  if (status >= 500) return "api_error";
  return "invalid_request_error";
}

interface AwsLike {
  name?: string;
  message?: string;
}

/** Unmodeled exception frames carry the raw JSON body as message; unwrap it. */
function bedrockMessage(message: string | undefined, fallback: string): string {
  if (!message) return fallback;
  if (message.startsWith("{")) {
    try {
      const parsed = JSON.parse(message) as { message?: unknown };
      if (typeof parsed.message === "string") return parsed.message;
    } catch {
      // not JSON after all
    }
  }
  return message;
}

/** The Bedrock exception behind an error, if there is one. */
function bedrockCause(err: unknown): AwsLike | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 3; depth++) {
    if (typeof e === "object" && e !== null) {
      const name = (e as AwsLike).name ?? "";
      const key = name.charAt(0).toUpperCase() + name.slice(1);
      // Error's own `message` is not enumerable: read it, do not spread.
      if (key in BEDROCK_TO_ANTHROPIC) return { name: key, message: (e as AwsLike).message };
      e = (e as { cause?: unknown }).cause;
    } else break;
  }
  return undefined;
}

/** Any thrown value → Anthropic's error (status, type, message, headers). */
export function toAnthropicError(err: unknown): AnthropicError {
  const gateway = toGatewayError(err);
  const bedrock = bedrockCause(err);
  if (bedrock?.name) {
    const mapped = BEDROCK_TO_ANTHROPIC[bedrock.name] ?? { status: 500, type: "api_error" };
    const headers: Record<string, string> = {};
    if (gateway.headers["retry-after"]) headers["retry-after"] = gateway.headers["retry-after"];
    else if (mapped.status === 429 || mapped.status === 529) headers["retry-after"] = "1";
    return {
      ...mapped,
      message: bedrockMessage(bedrock.message, gateway.message),
      headers,
    };
  }
  return {
    status: gateway.status,
    type: typeForStatus(gateway.status),
    message: gateway.message,
    headers: gateway.headers,
  };
}

export function anthropicErrorBody(e: AnthropicError): {
  type: "error";
  error: { type: AnthropicErrorType; message: string };
} {
  return { type: "error", error: { type: e.type, message: e.message } };
}

/** Paths whose errors are in Anthropic's shape: /v1/messages*, /api/v1/messages*, /model/*. */
export const ANTHROPIC_PATH = /^\/((api\/)?v1\/messages(\/|$)|model\/)/;

/** The error body for app.ts's renderer table (the status comes from {@link anthropicStatus}). */
export function anthropicErrorRender(err: GatewayError): unknown {
  return anthropicErrorBody(toAnthropicError(err));
}

/**
 * The same error with Anthropic's status, message and retry headers (529 for an
 * unavailable Bedrock, Bedrock's own wording): Anthropic routes throw this, so the
 * app's one error path answers with the status Anthropic clients act on.
 */
export function anthropicStatus(err: unknown): GatewayError {
  const gateway = toGatewayError(err);
  const e = toAnthropicError(gateway);
  if (e.status === gateway.status && e.message === gateway.message) return gateway;
  return new GatewayError(e.status, e.message, {
    code: gateway.code,
    headers: { ...gateway.headers, ...e.headers },
    cause: gateway.cause ?? gateway,
  });
}

/** 404 for a model name the gateway does not serve; no Bedrock call is made. */
export class AnthropicModelNotFound extends GatewayError {
  override name = "AnthropicModelNotFound";
  constructor(model: string) {
    super(404, `model: ${model}`, { type: "not_found_error", code: "model_not_found" });
  }
}
