/**
 * @module
 * What every AWS route does before its own logic: record the request, require an
 * authorization header, take a matching script, honour its delay and its error.
 */
import type { Context } from "hono";
import { BedrockError } from "./errors";
import type { EmulatorState } from "./state";
import type { Operation, RecordedRequest, Script } from "./types";

/** One AWS call as the handlers see it. */
export interface Call {
  state: EmulatorState;
  operation: Operation;
  requestId: string;
  record: RecordedRequest;
  /** Decoded model id label (runtime operations). */
  modelId: string;
  script?: Script;
}

const decoder = new TextDecoder();

function parseJson(raw: Uint8Array): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(decoder.decode(raw));
  } catch {
    return undefined;
  }
}

/** Records a request in arrival order, with its raw path and body. */
export async function recordRequest(
  c: Context,
  state: EmulatorState,
  operation: Operation | "Unknown",
  modelId?: string,
): Promise<RecordedRequest> {
  const url = new URL(c.req.url);
  const rawBody = new Uint8Array(await c.req.raw.arrayBuffer());
  const record: RecordedRequest = {
    operation,
    method: c.req.method,
    path: url.pathname,
    ...(modelId !== undefined ? { modelId } : {}),
    query: Object.fromEntries(url.searchParams),
    headers: Object.fromEntries(c.req.raw.headers),
    body: parseJson(rawBody),
    rawBody,
  };
  state.requests.push(record);
  return record;
}

/** SigV4 or Bedrock API key (Bearer); signatures are not verified. */
function isAuthorized(headers: Headers): boolean {
  const auth = headers.get("authorization") ?? "";
  return auth.startsWith("AWS4-HMAC-SHA256 ") || auth.startsWith("Bearer ");
}

/** Scripted errors take a status from the table unless the script gives one. */
function scriptedError(error: NonNullable<Script["error"]>): BedrockError {
  return new BedrockError(error.type, error.message, {
    ...(error.status !== undefined ? { status: error.status } : {}),
    ...(error.headers ? { headers: error.headers } : {}),
    ...(error.body ? { extra: error.body } : {}),
  });
}

/** Prepares a call: record, auth, script (delay, then error). Throws BedrockError to answer early. */
export async function beginCall(
  c: Context,
  state: EmulatorState,
  operation: Operation,
  requestId: string,
): Promise<Call> {
  const modelId = c.req.param("modelId") ?? "";
  const record = await recordRequest(c, state, operation, modelId || undefined);
  if (!isAuthorized(c.req.raw.headers)) {
    throw new BedrockError(
      "UnrecognizedClientException",
      "The security token included in the request is invalid.",
    );
  }
  const script = state.scripts.take(operation, modelId || undefined);
  if (script?.delayMs) await Bun.sleep(script.delayMs);
  if (script?.error) throw scriptedError(script.error);
  return { state, operation, requestId, record, modelId, ...(script ? { script } : {}) };
}
