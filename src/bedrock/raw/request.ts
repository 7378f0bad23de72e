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

/** JSON body as the SDK's restJson1 serializer writes it: blobs as base64. */
function serializeBody(input: ConverseStreamCommandInput | ConverseCommandInput): string {
  const { modelId: _modelId, ...rest } = input;
  return JSON.stringify(rest, function (this: Record<string, unknown>, key, value) {
    const raw = this[key];
    return raw instanceof Uint8Array ? Buffer.from(raw).toString("base64") : value;
  });
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
