/**
 * Signed POSTs to bedrock-runtime with the SDK client's own resolved config:
 * the endpoint (explicit, the standard env variables, else the SDK's endpoint
 * rules), SigV4 with the client's credential chain, region and hash (service
 * `bedrock`), or `AWS_BEARER_TOKEN_BEDROCK` (a Bedrock API key) as a bearer
 * token when it is set. Every transport that bypasses the SDK's commands
 * (raw Converse, native InvokeModel, the OpenAI-compatible endpoint) builds its
 * requests here, so they authenticate and resolve endpoints alike.
 *
 * @module
 */
import type { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { SigV4 } from "./sigv4";

export interface SignedRuntimeOptions {
  /** Explicit endpoint (tests); otherwise AWS_ENDPOINT_URL_BEDROCK_RUNTIME, AWS_ENDPOINT_URL, or the SDK's endpoint rules. */
  endpoint?: string;
  env?: Record<string, string | undefined>;
}

/**
 * A signed request as plain data: what goes on the wire, before any
 * `Request` object exists (sending one is up to the transport, see
 * {@link sendSigned}).
 */
export interface SignedRequest {
  url: string;
  method: "POST";
  /** Every header to send except `host`, which the URL carries. */
  headers: Record<string, string>;
  body: string;
}

/** Sends a signed request. */
export function sendSigned(req: SignedRequest, signal?: AbortSignal): Promise<Response> {
  return fetch(req.url, {
    method: req.method,
    headers: req.headers,
    body: req.body,
    ...(signal ? { signal } : {}),
  });
}

/** Builds signed requests against one bedrock-runtime endpoint. */
export class SignedRuntime {
  private readonly signer: SigV4;
  private readonly env: Record<string, string | undefined>;
  private endpoint: Promise<URL> | undefined;
  /** The endpoint once resolved: no await per request after the first. */
  private base: { url: URL; host: string; pathPrefix: string; origin: string } | undefined;

  constructor(
    private readonly client: BedrockRuntimeClient,
    private readonly opts: SignedRuntimeOptions = {},
  ) {
    this.env = opts.env ?? process.env;
    // The client's own resolved providers: same credential chain (memoised,
    // refreshed before expiry), same region; the SDK signer's bytes (src/bedrock/raw/sigv4.ts).
    this.signer = new SigV4({
      credentials: client.config.credentials,
      region: client.config.region,
      service: "bedrock",
    });
  }

  /** The endpoint's base URL, resolved once. */
  baseUrl(): Promise<URL> {
    this.endpoint ??= (async () => {
      const ignoreEnv = this.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === "true";
      const configured =
        this.opts.endpoint ??
        (ignoreEnv
          ? undefined
          : this.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME || this.env.AWS_ENDPOINT_URL || undefined);
      if (configured) return new URL(configured);
      const resolved = this.client.config.endpointProvider({
        Region: await this.client.config.region(),
        UseFIPS: await this.client.config.useFipsEndpoint(),
        UseDualStack: await this.client.config.useDualstackEndpoint(),
      });
      return new URL(resolved.url.href);
    })();
    return this.endpoint;
  }

  /**
   * A signed POST of `body` to `path` below the endpoint's base path.
   * @param path starts with `/`, already label-encoded
   */
  async post(path: string, headers: Record<string, string>, body: string): Promise<SignedRequest> {
    let base = this.base;
    if (base === undefined) {
      const url = await this.baseUrl();
      base = {
        url,
        host: url.host,
        pathPrefix: url.pathname.replace(/\/$/, ""),
        origin: `${url.protocol}//${url.host}`,
      };
      this.base = base;
    }
    const fullPath = `${base.pathPrefix}${path}`;
    const token = this.env.AWS_BEARER_TOKEN_BEDROCK;
    let send: Record<string, string>;
    if (token) {
      send = { ...headers, authorization: `Bearer ${token}` };
    } else {
      send = await this.signer.sign({
        method: "POST",
        path: fullPath,
        host: base.host,
        headers,
        body,
      });
    }
    return { url: `${base.origin}${fullPath}`, method: "POST", headers: send, body };
  }
}
