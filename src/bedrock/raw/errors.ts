/**
 * Errors of the raw ConverseStream transport, rebuilt as the AWS SDK builds
 * them: HTTP error responses and exception frames become the SDK's modeled
 * exception classes (`instanceof ThrottlingException` holds), with `$fault`,
 * `$metadata` and `$response`; unmodeled ones a plain Error named after them.
 *
 * @module
 */
import * as runtimeModels from "@aws-sdk/client-bedrock-runtime";
import { BedrockRuntimeServiceException } from "@aws-sdk/client-bedrock-runtime";
import type { Frame } from "../frame-decoder";
import type { UpstreamResponse } from "./http1";

const decoder = new TextDecoder();

/** Members of ConverseStreamOutput that are exceptions: thrown as their modeled class. */
const EXCEPTION_MEMBERS = new Set([
  "internalServerException",
  "modelStreamErrorException",
  "validationException",
  "throttlingException",
  "serviceUnavailableException",
]);

type ExceptionCtor = new (
  opts: { message: string; $metadata: object } & Record<string, unknown>,
) => BedrockRuntimeServiceException;

/** The SDK's modeled exception class for a name, if it has one. */
function modeledException(name: string): ExceptionCtor | undefined {
  const candidate = (runtimeModels as Record<string, unknown>)[name];
  if (
    typeof candidate === "function" &&
    candidate.prototype instanceof BedrockRuntimeServiceException
  ) {
    return candidate as ExceptionCtor;
  }
  return undefined;
}

/** `x-amzn-errortype: ThrottlingException:http://internal…` → ThrottlingException (SDK's sanitizer). */
function sanitizeErrorCode(raw: string): string {
  let code = raw;
  if (code.includes(",")) code = code.split(",")[0] ?? code;
  if (code.includes(":")) code = code.split(":")[0] ?? code;
  if (code.includes("#")) code = code.split("#")[1] ?? code;
  return code.trim();
}

/** What an error response needs: fetch's `Response` or the socket client's. */
type ErrorResponse = Pick<UpstreamResponse, "status" | "headers" | "text">;

function headersOf(res: ErrorResponse): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    out[k] = v;
  });
  return out;
}

/** An HTTP error response → the error the SDK would throw for it. */
export async function httpError(res: ErrorResponse): Promise<Error> {
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = text ? JSON.parse(text) : {};
    if (typeof parsed === "object" && parsed !== null) body = parsed as Record<string, unknown>;
  } catch {
    // not JSON: the name still comes from the header
  }
  const rawCode =
    res.headers.get("x-amzn-errortype") ??
    (typeof body.code === "string" ? body.code : undefined) ??
    (typeof body.__type === "string" ? body.__type : undefined) ??
    "UnknownError";
  const name = sanitizeErrorCode(rawCode);
  const message = String(body.message ?? body.Message ?? "UnknownError");
  const $metadata = {
    httpStatusCode: res.status,
    requestId: res.headers.get("x-amzn-requestid") ?? undefined,
    extendedRequestId: res.headers.get("x-amz-id-2") ?? undefined,
    cfId: res.headers.get("x-amz-cf-id") ?? undefined,
  };
  const Modeled = modeledException(name);
  const { message: _m, Message: _M, ...extra } = body;
  const err: Error = Modeled
    ? new Modeled({ ...extra, message, $metadata })
    : new BedrockRuntimeServiceException({
        name,
        $fault: res.status >= 500 ? "server" : "client",
        message,
        $metadata,
      });
  Object.assign(err, {
    $response: { statusCode: res.status, headers: headersOf(res), body: undefined },
  });
  return err;
}

/** A decoded `:message-type: exception` or `error` frame → the SDK's error. */
export function frameError(msg: Frame, type: string): Error {
  if (type === "error") {
    const err = new Error(msg.errorMessage ?? "UnknownError");
    err.name = msg.errorCode ?? "UnknownError";
    return err;
  }
  const exceptionType = msg.exceptionType;
  const text = decoder.decode(msg.body);
  const Modeled = EXCEPTION_MEMBERS.has(exceptionType)
    ? modeledException(exceptionType.charAt(0).toUpperCase() + exceptionType.slice(1))
    : undefined;
  if (Modeled) {
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // an empty or non-JSON payload still names the exception
    }
    const { message, Message: _M, ...extra } = body;
    return new Modeled({ ...extra, message: String(message ?? ""), $metadata: {} });
  }
  const err = new Error(text);
  err.name = exceptionType;
  return err;
}
