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
import { SignedRuntime, type SignedRuntimeOptions, sendSigned } from "./raw/signed";

export type OpenAiCompatOptions = SignedRuntimeOptions;

export class BedrockOpenAiCompat {
  readonly #signed: SignedRuntime;

  constructor(client: BedrockRuntimeClient, opts: OpenAiCompatOptions = {}) {
    this.#signed = new SignedRuntime(client, opts);
  }

  /**
   * POSTs a JSON body to `path` (`/responses`, `/chat/completions`) below
   * `/openai/v1` and returns the upstream response as it is (status, body stream).
   */
  async post(path: string, body: string, signal?: AbortSignal): Promise<Response> {
    const req = await this.#signed.post(
      `/openai/v1${path}`,
      { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body,
    );
    return sendSigned(req, signal);
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
