/**
 * The Converse (non-streaming) JSON body → the SDK's `ConverseCommandOutput`
 * shape: only the members the SDK's schema knows, blobs (base64 on the wire)
 * as Uint8Array, `$metadata` as the SDK fills it. Everything else (documents
 * such as tool input and additional response fields) is passed through as
 * parsed, which is what the SDK does too.
 *
 * @module
 */
import type { ConverseCommandOutput } from "@aws-sdk/client-bedrock-runtime";
import type { UpstreamResponse } from "./http1";

/** Top-level members of ConverseResponse, in the SDK's order. */
const MEMBERS = [
  "output",
  "stopReason",
  "usage",
  "metrics",
  "additionalModelResponseFields",
  "trace",
  "performanceConfig",
  "serviceTier",
] as const;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null;

const fromBase64 = (s: unknown): unknown =>
  typeof s === "string" ? Uint8Array.from(Buffer.from(s, "base64")) : s;

/** `{source: {bytes: "<base64>"}}` (image, document, video) → bytes as Uint8Array, in place. */
function decodeSourceBytes(media: unknown): void {
  if (!isObject(media) || !isObject(media.source)) return;
  if (media.source.bytes !== undefined) media.source.bytes = fromBase64(media.source.bytes);
}

/** The blob members an output content block can carry, decoded in place. */
function decodeBlock(block: unknown): void {
  if (!isObject(block)) return;
  if (block.text !== undefined || block.toolUse !== undefined) return; // the common case
  const reasoning = block.reasoningContent;
  if (isObject(reasoning) && reasoning.redactedContent !== undefined) {
    reasoning.redactedContent = fromBase64(reasoning.redactedContent);
  }
  decodeSourceBytes(block.image);
  decodeSourceBytes(block.document);
  decodeSourceBytes(block.video);
  if (isObject(block.toolResult) && Array.isArray(block.toolResult.content)) {
    for (const part of block.toolResult.content) {
      if (!isObject(part)) continue;
      decodeSourceBytes(part.image);
      decodeSourceBytes(part.document);
      decodeSourceBytes(part.video);
    }
  }
}

/** A parsed Converse body and the response it came in → the SDK's output object. */
export function converseOutput(
  body: unknown,
  res: Pick<UpstreamResponse, "status" | "headers">,
  attempts: number,
  totalRetryDelay: number,
): ConverseCommandOutput {
  const out: Json = {};
  if (isObject(body)) {
    for (const key of MEMBERS) {
      const value = body[key];
      if (value !== undefined && value !== null) out[key] = value;
    }
    const message = isObject(out.output) ? out.output.message : undefined;
    if (isObject(message) && Array.isArray(message.content)) {
      for (const block of message.content) decodeBlock(block);
    }
  }
  out.$metadata = {
    httpStatusCode: res.status,
    requestId: res.headers.get("x-amzn-requestid") ?? undefined,
    extendedRequestId: res.headers.get("x-amz-id-2") ?? undefined,
    cfId: res.headers.get("x-amz-cf-id") ?? undefined,
    attempts,
    totalRetryDelay,
  };
  return out as unknown as ConverseCommandOutput;
}
