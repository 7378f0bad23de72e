/**
 * The Converse / ConverseStream HTTP request as the SDK would send it: the
 * restJson1 body on a request signed by {@link SignedRuntime}.
 *
 * @module
 */
import type {
  BedrockRuntimeClient,
  ConverseCommandInput,
  ConverseStreamCommandInput,
} from "@aws-sdk/client-bedrock-runtime";
import { type SignedRequest, SignedRuntime, type SignedRuntimeOptions } from "./signed";

/**
 * JSON body as the SDK's restJson1 serializer writes it: blobs as base64. The
 * replacer (a JS call per value) only when the input holds bytes (images,
 * documents, redacted reasoning): a plain stringify is ~5× cheaper for the
 * common text-only request (bench/README.md, "Session 3: per-request path").
 */
function serializeBody(input: ConverseStreamCommandInput | ConverseCommandInput): string {
  const { modelId: _modelId, ...rest } = input;
  if (!hasBytes(rest)) return JSON.stringify(rest);
  return JSON.stringify(rest, function (this: Record<string, unknown>, key, value) {
    const raw = this[key];
    return raw instanceof Uint8Array ? Buffer.from(raw).toString("base64") : value;
  });
}

/** Whether a Uint8Array is anywhere in `value`. */
function hasBytes(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (value instanceof Uint8Array) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (hasBytes(item)) return true;
    return false;
  }
  for (const key in value) if (hasBytes((value as Record<string, unknown>)[key])) return true;
  return false;
}

/** The SDK's label encoding: encodeURIComponent plus !'()*. */
export function encodeLabel(label: string): string {
  return encodeURIComponent(label).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The two runtime operations the raw transport sends: their URL path suffix. */
export type RawOperation = "converse" | "converse-stream";

/** Builds signed Converse / ConverseStream requests with the SDK client's own resolved config. */
export class RuntimeRequests {
  private readonly signed: SignedRuntime;
  private static readonly HEADERS = {
    "content-type": "application/json",
    "user-agent": "bedrock-gateway raw-transport",
  };

  constructor(client: BedrockRuntimeClient, opts: SignedRuntimeOptions = {}) {
    this.signed = new SignedRuntime(client, opts);
  }

  build(
    input: ConverseStreamCommandInput | ConverseCommandInput,
    operation: RawOperation = "converse-stream",
  ): Promise<SignedRequest> {
    const path = `/model/${encodeLabel(input.modelId ?? "")}/${operation}`;
    return this.signed.post(path, RuntimeRequests.HEADERS, serializeBody(input));
  }
}
