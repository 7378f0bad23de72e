/**
 * @module
 * Bedrock's HTTP error responses (restJson1): status by exception name, the
 * `x-amzn-errortype: <Name>:http://internal.amazon.com/coral/com.amazon.bedrock/` header the
 * SDK reads the code from, and a `{"message": …}` body.
 */

const CORAL_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/";

/** HTTP status Bedrock uses for each modeled exception (measured with the real SDK). */
export const ERROR_STATUS: Readonly<Record<string, number>> = {
  ValidationException: 400,
  AccessDeniedException: 403,
  UnrecognizedClientException: 403,
  ResourceNotFoundException: 404,
  ModelTimeoutException: 408,
  ThrottlingException: 429,
  ModelNotReadyException: 429,
  ServiceQuotaExceededException: 400,
  ConflictException: 400,
  ModelErrorException: 424,
  InternalServerException: 500,
  ServiceUnavailableException: 503,
  UnknownOperationException: 404,
};

/** Default messages, as Bedrock words them where known. */
const DEFAULT_MESSAGE: Readonly<Record<string, string>> = {
  ValidationException: "The provided request is not valid",
  AccessDeniedException: "You don't have access to the model with the specified model ID.",
  ResourceNotFoundException: "The requested resource could not be found.",
  ModelTimeoutException: "Model has timed out in processing the request. Try your request again.",
  ThrottlingException: "Too many requests, please wait before trying again.",
  ModelNotReadyException: "Model is not ready to serve inference requests. Try again later.",
  ServiceQuotaExceededException: "Your request exceeds the service quota for your account.",
  ConflictException: "The request conflicts with the current state of the resource.",
  ModelErrorException: "The system encountered an unexpected error during processing.",
  InternalServerException:
    "The system encountered an unexpected error during processing. Try your request again.",
  ServiceUnavailableException: "Bedrock is unable to process your request.",
  UnrecognizedClientException: "The security token included in the request is invalid.",
};

/** Thrown by handlers; rendered by the app's error handler as a Bedrock error response. */
export class BedrockError extends Error {
  readonly type: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly extra: Record<string, unknown>;

  constructor(
    type: string,
    message?: string,
    options: {
      status?: number;
      headers?: Record<string, string>;
      extra?: Record<string, unknown>;
    } = {},
  ) {
    super(message ?? defaultErrorMessage(type));
    this.name = type;
    this.type = type;
    this.status = options.status ?? errorStatus(type);
    this.headers = options.headers ?? {};
    this.extra = options.extra ?? defaultExtra(type);
  }
}

export function errorStatus(type: string): number {
  return ERROR_STATUS[type] ?? 400;
}

export function defaultErrorMessage(type: string): string {
  return DEFAULT_MESSAGE[type] ?? `${type} (emulated)`;
}

/** ModelErrorException carries the upstream model's status and name; give them plausible values. */
function defaultExtra(type: string): Record<string, unknown> {
  if (type === "ModelErrorException")
    return { originalStatusCode: 500, resourceName: "emulated-model" };
  return {};
}

export function validationError(message: string): BedrockError {
  return new BedrockError("ValidationException", message);
}

/** Renders an error as Bedrock's JSON error response. */
export function errorResponse(err: BedrockError, requestId: string): Response {
  const headers = new Headers({
    "content-type": "application/json",
    "x-amzn-errortype": `${err.type}${CORAL_SUFFIX}`,
    "x-amzn-requestid": requestId,
  });
  for (const [k, v] of Object.entries(err.headers)) headers.set(k, v);
  const body = JSON.stringify({ message: err.message, ...err.extra });
  return new Response(body, { status: err.status, headers });
}
