/**
 * Bedrock's OpenAI-compatible endpoint on bedrock-runtime
 * (`https://bedrock-runtime.{region}.amazonaws.com/openai/v1`): the only way
 * Bedrock serves some models (OpenAI's GPT-5.x). Requests are signed with the
 * runtime client's own credentials (SigV4, service `bedrock`), or carry
 * `AWS_BEARER_TOKEN_BEDROCK` (a Bedrock API key) when it is set.
 *
 * @module
 */
import type { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { SignatureV4 } from "@smithy/signature-v4";

export interface OpenAiCompatOptions {
  /** Overrides AWS_ENDPOINT_URL_BEDROCK_RUNTIME; tests use it. */
  endpoint?: string;
  env?: Record<string, string | undefined>;
}

export class BedrockOpenAiCompat {
  readonly #signer: SignatureV4;
  readonly #env: Record<string, string | undefined>;
  #base: Promise<URL> | undefined;

  constructor(
    private readonly client: BedrockRuntimeClient,
    private readonly opts: OpenAiCompatOptions = {},
  ) {
    this.#env = opts.env ?? process.env;
    this.#signer = new SignatureV4({
      credentials: client.config.credentials,
      region: client.config.region,
      service: "bedrock",
      sha256: client.config.sha256,
    });
  }

  /** The endpoint's base URL (…/openai/v1), resolved once. */
  #baseUrl(): Promise<URL> {
    this.#base ??= (async () => {
      const configured =
        this.opts.endpoint ??
        (this.#env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS === "true"
          ? undefined
          : this.#env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME || this.#env.AWS_ENDPOINT_URL || undefined);
      const root =
        configured ?? `https://bedrock-runtime.${await this.client.config.region()}.amazonaws.com`;
      return new URL(`${root.replace(/\/$/, "")}/openai/v1`);
    })();
    return this.#base;
  }

  /**
   * POSTs a JSON body to `path` (`/responses`, `/chat/completions`) and returns
   * the upstream response as it is (status, body stream).
   */
  async post(path: string, body: string, signal?: AbortSignal): Promise<Response> {
    const base = await this.#baseUrl();
    const url = new URL(`${base.pathname}${path}`, base);
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      host: url.host,
    };
    const token = this.#env.AWS_BEARER_TOKEN_BEDROCK;
    let final: Record<string, string>;
    if (token) final = { ...headers, authorization: `Bearer ${token}` };
    else {
      final = (
        await this.#signer.sign({
          method: "POST",
          protocol: url.protocol,
          hostname: url.hostname,
          ...(url.port ? { port: Number(url.port) } : {}),
          path: url.pathname,
          query: {},
          headers,
          body,
        })
      ).headers;
    }
    const { host: _host, ...send } = final;
    return fetch(url, { method: "POST", headers: send, body, ...(signal ? { signal } : {}) });
  }
}

/** `*` wildcards → a matcher over model ids. */
export function modelMatcher(patterns: readonly string[]): (id: string) => boolean {
  const res = patterns.map(
    (p) =>
      new RegExp(
        `^${p
          .split("*")
          .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
          .join(".*")}$`,
      ),
  );
  return (id) => res.some((r) => r.test(id));
}
