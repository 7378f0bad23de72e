/**
 * The ConverseStream HTTP request as the SDK would send it: endpoint (explicit,
 * the standard env variables, else the SDK's endpoint rules), the restJson1
 * body, and SigV4 (or a Bedrock API key as bearer token).
 *
 * @module
 */
import type {
  BedrockRuntimeClient,
  ConverseCommandInput,
  ConverseStreamCommandInput,
} from "@aws-sdk/client-bedrock-runtime";
import { SignatureV4 } from "@smithy/signature-v4";

type SignableRequest = Parameters<SignatureV4["presign"]>[0];

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

interface Endpoint {
  url: URL;
  region: string;
}

export interface RawRuntimeOptions {
  /** Explicit endpoint (tests); otherwise AWS_ENDPOINT_URL_BEDROCK_RUNTIME, AWS_ENDPOINT_URL, or the SDK's endpoint rules. */
  endpoint?: string;
  env?: Record<string, string | undefined>;
}

/** The two runtime operations the raw transport sends: their URL path suffix. */
export type RawOperation = "converse" | "converse-stream";

/** Builds signed Converse / ConverseStream requests with the SDK client's own resolved config. */
export class RuntimeRequests {
  private readonly signer: SignatureV4;
  private readonly env: Record<string, string | undefined>;
  private endpoint: Promise<Endpoint> | undefined;
  private readonly userAgent = "bedrock-gateway raw-transport";

  constructor(
    private readonly client: BedrockRuntimeClient,
    private readonly opts: RawRuntimeOptions = {},
  ) {
    this.env = opts.env ?? process.env;
    // The client's own resolved providers: same credential chain (memoised,
    // refreshed before expiry), same region, same hash implementation.
    this.signer = new SignatureV4({
      credentials: client.config.credentials,
      region: client.config.region,
      service: "bedrock",
      sha256: client.config.sha256,
    });
  }

  /** Resolved once: explicit option, the standard env variables, else the SDK's endpoint rules. */
  private resolveEndpoint(): Promise<Endpoint> {
    this.endpoint ??= (async () => {
      const region = await this.client.config.region();
      const ignoreEnv = this.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === "true";
      const configured =
        this.opts.endpoint ??
        (ignoreEnv
          ? undefined
          : this.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME || this.env.AWS_ENDPOINT_URL || undefined);
      if (configured) return { url: new URL(configured), region };
      const resolved = this.client.config.endpointProvider({
        Region: region,
        UseFIPS: await this.client.config.useFipsEndpoint(),
        UseDualStack: await this.client.config.useDualstackEndpoint(),
      });
      return { url: new URL(resolved.url.href), region };
    })();
    return this.endpoint;
  }

  async build(
    input: ConverseStreamCommandInput | ConverseCommandInput,
    operation: RawOperation = "converse-stream",
  ): Promise<Request> {
    const { url } = await this.resolveEndpoint();
    const basePath = url.pathname.replace(/\/$/, "");
    const path = `${basePath}/model/${encodeLabel(input.modelId ?? "")}/${operation}`;
    const body = serializeBody(input);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      host: url.host,
      "user-agent": this.userAgent,
    };
    const token = this.env.AWS_BEARER_TOKEN_BEDROCK;
    let finalHeaders: Record<string, string>;
    if (token) {
      finalHeaders = { ...headers, authorization: `Bearer ${token}` };
    } else {
      const toSign: SignableRequest = {
        method: "POST",
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path,
        query: {},
        headers,
        body,
      };
      finalHeaders = (await this.signer.sign(toSign)).headers;
    }
    // fetch sets host itself from the URL.
    const { host: _host, ...sendHeaders } = finalHeaders;
    return new Request(`${url.protocol}//${url.host}${path}`, {
      method: "POST",
      headers: sendHeaders,
      body,
    });
  }
}
