/**
 * One error hierarchy for the whole gateway, tied to no API: each surface
 * renders a {@link GatewayError} in its own shape (src/http/errors.ts picks
 * the renderer; OpenAI's `{"error":{…}}` in src/surfaces/openai-errors.ts).
 *
 * Everything that can go wrong becomes a GatewayError: our own validation,
 * Hono's HTTPExceptions, Bedrock exceptions (mapped by name, because
 * mid-stream exceptions carry no HTTP status), and unexpected bugs (a generic
 * 500 that leaks nothing).
 *
 * @module
 */
import { HTTPException } from "hono/http-exception";

/** The kind of failure (OpenAI's error types; other surfaces map them to theirs). */
export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "insufficient_quota"
  | "timeout_error"
  | "server_error";

export interface GatewayErrorInit {
  type?: ErrorType;
  code?: string | null;
  param?: string | null;
  headers?: Record<string, string>;
  cause?: unknown;
}

/** Longest client value echoed inside an error message. */
export const ECHO_MAX_CHARS = 200;
/** Longest error message and param, whatever they echo (a safety net under {@link echo}). */
const MESSAGE_MAX_CHARS = 2_000;
const PARAM_MAX_CHARS = 256;

/**
 * A client-supplied value as it may appear in an error message: cut to
 * {@link ECHO_MAX_CHARS}, saying how long it was, so a 10 MB model name does
 * not come back in a 10 MB error.
 */
export function echo(value: string, max = ECHO_MAX_CHARS): string {
  return value.length <= max ? value : `${value.slice(0, max)}…(${value.length} chars)`;
}

/** Base of every error the gateway answers with. */
export class GatewayError extends Error {
  override name = "GatewayError";
  readonly status: number;
  readonly type: ErrorType;
  readonly code: string | null;
  readonly param: string | null;
  /** Extra response headers, e.g. retry-after. */
  readonly headers: Record<string, string>;

  constructor(status: number, message: string, init: GatewayErrorInit = {}) {
    super(echo(message, MESSAGE_MAX_CHARS), { cause: init.cause });
    this.status = status;
    this.type = init.type ?? defaultType(status);
    this.code = init.code ?? null;
    this.param = init.param == null ? null : echo(init.param, PARAM_MAX_CHARS);
    this.headers = init.headers ?? {};
  }
}

function defaultType(status: number): ErrorType {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 408 || status === 504) return "timeout_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

/** 400: the request is malformed or asks for something we cannot do. */
export class InvalidRequestError extends GatewayError {
  override name = "InvalidRequestError";
  constructor(message: string, param: string | null = null, code: string | null = null) {
    super(400, message, { param, code });
  }
}

/** 404 with OpenAI's `model_not_found` code. */
export class ModelNotFoundError extends GatewayError {
  override name = "ModelNotFoundError";
  constructor(model: string) {
    super(404, `The model '${echo(model)}' does not exist or is not available on this gateway.`, {
      type: "invalid_request_error",
      code: "model_not_found",
      param: "model",
    });
  }
}

/**
 * The client went away before its response was ready (nginx's 499). Its own
 * outcome in logs and metrics: not a 5xx, not a Bedrock error. The client
 * never sees it.
 */
export function clientCancelledError(cause?: unknown): GatewayError {
  return new GatewayError(499, "The client closed the request before the response was ready.", {
    type: "invalid_request_error",
    code: "client_cancelled",
    cause,
  });
}

/**
 * The error a request ended with, given whether its client is gone: once the
 * client has disconnected, whatever follows (an aborted Bedrock call, a body
 * cut off mid-read that no longer parses) is the consequence of the
 * disconnect, not a gateway, Bedrock or client-input fault, and nobody reads
 * the response anyway.
 */
export function requestOutcome(err: unknown, clientGone: boolean): GatewayError {
  const error = toGatewayError(err);
  if (!clientGone || error.code === "client_cancelled") return error;
  return clientCancelledError(err);
}

/**
 * The connection to Bedrock broke after its stream had started: the answer is
 * incomplete (not "unreachable": Bedrock was reached and was answering).
 */
export function upstreamIncompleteError(cause?: unknown): GatewayError {
  return new GatewayError(502, "The Bedrock stream ended before the response was complete.", {
    code: "upstream_incomplete",
    cause,
  });
}

/** A failure of the state store itself (not the request) → 503, retryable. */
export function storeUnavailableError(cause?: unknown): GatewayError {
  if (cause instanceof GatewayError) return cause;
  return new GatewayError(503, "The state store (database) is unavailable; retry shortly.", {
    type: "server_error",
    code: "store_unavailable",
    headers: { "retry-after": "1" },
    cause,
  });
}

/** Hono throws HTTPException for body limits, bad JSON etc.; give them our shape. */
function fromHttpException(err: HTTPException): GatewayError {
  const status = err.status;
  if (status === 413) {
    return new GatewayError(413, "Request body is too large.", { code: "request_too_large" });
  }
  return new GatewayError(status, err.message || "Bad request.", { cause: err });
}

interface AwsLikeError {
  name: string;
  message?: string;
  $fault?: "client" | "server";
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $response?: { headers?: Record<string, string | undefined> };
  $retryable?: unknown;
  code?: string;
}

function isAwsLike(err: unknown): err is AwsLikeError {
  return typeof err === "object" && err !== null && ("$metadata" in err || "$fault" in err);
}

/**
 * Bedrock exception name → how the client should see it. Client-fault messages
 * are passed through (they tell the caller what to fix); server-side ones get a
 * fixed text, so 5xx bodies leak nothing from upstream.
 */
const BEDROCK_ERRORS: Record<string, { status: number; code: string; publicMessage?: string }> = {
  ValidationException: { status: 400, code: "invalid_request" },
  ConflictException: { status: 409, code: "conflict" },
  AccessDeniedException: { status: 403, code: "access_denied" },
  ResourceNotFoundException: { status: 404, code: "model_not_found" },
  ThrottlingException: { status: 429, code: "rate_limit_exceeded" },
  ModelNotReadyException: { status: 429, code: "model_not_ready" },
  ServiceQuotaExceededException: { status: 429, code: "insufficient_quota" },
  ModelTimeoutException: {
    status: 504,
    code: "model_timeout",
    publicMessage: "The model timed out while processing the request.",
  },
  ModelErrorException: {
    status: 502,
    code: "model_error",
    publicMessage: "The model failed to process the request.",
  },
  ModelStreamErrorException: {
    status: 502,
    code: "model_error",
    publicMessage: "The model failed while streaming the response.",
  },
  InternalServerException: {
    status: 502,
    code: "upstream_error",
    publicMessage: "Bedrock reported an internal error.",
  },
  ServiceUnavailableException: {
    status: 503,
    code: "service_unavailable",
    publicMessage: "Bedrock is temporarily unavailable.",
  },
};

/** Seconds to suggest when Bedrock did not say; the SDK already retried once. */
const DEFAULT_RETRY_AFTER_S = 1;

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND"]);

function retryAfterOf(err: AwsLikeError): string {
  const h = err.$response?.headers ?? {};
  const raw = h["retry-after"] ?? h["x-amz-retry-after"];
  if (raw !== undefined && /^\d+(\.\d+)?$/.test(raw.trim())) {
    // x-amz-retry-after is in milliseconds; retry-after in seconds.
    const seconds = h["retry-after"] !== undefined ? Number(raw) : Number(raw) / 1000;
    return String(Math.max(1, Math.ceil(seconds)));
  }
  return String(DEFAULT_RETRY_AFTER_S);
}

/**
 * Maps an error from the Bedrock SDK (thrown by `send()` or from a stream
 * iterator) to a GatewayError. Mid-stream errors have no HTTP status, so the
 * mapping goes by `name` first.
 */
export function fromBedrockError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const e = (typeof err === "object" && err !== null ? err : { name: String(err) }) as AwsLikeError;
  const name = e.name ?? "Error";
  // Unmodeled exception frames surface as Error(name=<lowerCamel>), so normalise.
  const key = upperFirst(name);
  const known = BEDROCK_ERRORS[key];
  const requestId = e.$metadata?.requestId;
  const suffix = requestId ? ` (Bedrock request id ${requestId})` : "";
  if (known) {
    const headers: Record<string, string> = {};
    if (known.status === 429) headers["retry-after"] = retryAfterOf(e);
    const message = known.publicMessage
      ? `${known.publicMessage.slice(0, -1)}${suffix}.`
      : cleanMessage(e.message || key);
    return new GatewayError(known.status, message, { code: known.code, headers, cause: err });
  }
  if (name === "AbortError" || name === "TimeoutError") {
    return new GatewayError(504, "Bedrock did not answer in time.", {
      code: "upstream_timeout",
      cause: err,
    });
  }
  if (
    NETWORK_CODES.has(e.code ?? "") ||
    name === "ConnectionRefused" ||
    /fetch failed|socket|network/i.test(e.message ?? "")
  ) {
    return new GatewayError(502, "Could not reach Bedrock.", {
      code: "upstream_unreachable",
      cause: err,
    });
  }
  if (name === "CredentialsProviderError") {
    return new GatewayError(500, "The gateway has no usable AWS credentials.", {
      code: "upstream_credentials",
      cause: err,
    });
  }
  if (isAwsLike(err)) {
    const status = e.$metadata?.httpStatusCode;
    if (e.$fault === "client" && status !== undefined && status >= 400 && status < 500) {
      // Authentication failures are the gateway's, not the caller's.
      if (status === 401 || status === 403) {
        return new GatewayError(
          502,
          `Bedrock rejected the gateway's credentials (${key})${suffix}.`,
          {
            code: "upstream_auth_failed",
            cause: err,
          },
        );
      }
      return new GatewayError(400, cleanMessage(e.message ?? key), {
        code: "invalid_request",
        cause: err,
      });
    }
    return new GatewayError(502, `Bedrock failed to process the request (${key})${suffix}.`, {
      code: "upstream_error",
      cause: err,
    });
  }
  return internalError(err);
}

/** Unmodeled frames carry the raw JSON body as message; unwrap it. */
function cleanMessage(message: string): string {
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

function internalError(cause: unknown): GatewayError {
  return new GatewayError(500, "The gateway hit an unexpected error.", {
    code: "internal_error",
    cause,
  });
}

/** Any thrown value → GatewayError. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof HTTPException) return fromHttpException(err);
  if (isAwsLike(err) || (err instanceof Error && isUpstreamName(err.name)))
    return fromBedrockError(err);
  return internalError(err);
}

/** Names the Bedrock client (or its HTTP handler) throws without AWS metadata. */
function isUpstreamName(name: string): boolean {
  return name === "AbortError" || name === "TimeoutError" || upperFirst(name) in BEDROCK_ERRORS;
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
