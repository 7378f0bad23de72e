/**
 * Claude Code's Bedrock mode through the gateway (`CLAUDE_CODE_USE_BEDROCK=1`,
 * `ANTHROPIC_BEDROCK_BASE_URL=<gateway>`, `CLAUDE_CODE_SKIP_BEDROCK_AUTH=1`):
 * `POST /model/{modelId}/invoke` and `/model/{modelId}/invoke-with-response-stream`,
 * behind the gateway key, re-signed to Bedrock with the gateway's credentials.
 *
 * Not an open proxy: only these two operations, only models the catalog serves
 * as chat models (Anthropic names mapped as on /v1/messages), and the body's
 * `anthropic_beta` filtered through the same allow-list. Bedrock's answer —
 * status, body and event-stream frames — is passed through byte for byte.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { isOk, UsageTap } from "../../bedrock/native-invoke";
import type { BodyReader, UpstreamResponse } from "../../bedrock/raw/http1";
import { GatewayError, InvalidRequestError, toGatewayError } from "../../errors";
import { headerSafe } from "../../headers";
import type { AppDeps, AppEnv } from "../../types";
import { toNativeBody } from "./betas";
import { resolveAnthropicModel } from "./models";
import { converseUsage } from "./native";

const OPERATION = /^\/model\/(.+)\/(invoke|invoke-with-response-stream)$/;

/** Bedrock response headers a Bedrock client reads. */
const PASSED_HEADERS = [
  "content-type",
  "x-amzn-requestid",
  "x-amzn-errortype",
  "x-amzn-bedrock-content-type",
  "x-amzn-bedrock-invocation-latency",
  "x-amzn-bedrock-input-token-count",
  "x-amzn-bedrock-output-token-count",
  "x-amzn-bedrock-cache-read-input-token-count",
  "x-amzn-bedrock-cache-write-input-token-count",
  "retry-after",
];

function decodeLabel(label: string): string {
  try {
    return decodeURIComponent(label);
  } catch {
    throw new InvalidRequestError("The model id in the path is not valid URL encoding.");
  }
}

/** The response's body reader; undefined for a status without a body, or none at all (fetch's null body). */
function bodyReader(res: UpstreamResponse): BodyReader | undefined {
  if (res.status === 204 || res.status === 205 || res.status === 304) return undefined;
  try {
    return res.reader();
  } catch {
    return undefined;
  }
}

interface PassThroughHooks {
  onBytes(value: Uint8Array): void;
  onEnd(): void;
  onError(err: unknown): void;
  onCancel(): void;
}

/** Bedrock's body as the client's, chunk for chunk (nothing decoded or re-encoded). */
function passThrough(reader: BodyReader, hooks?: PassThroughHooks): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const r = await reader.read();
        if (!r.done) {
          hooks?.onBytes(r.value);
          return controller.enqueue(r.value);
        }
        controller.close();
        hooks?.onEnd();
      } catch (err) {
        hooks?.onError(err);
        controller.error(err);
      }
    },
    cancel(reason) {
      hooks?.onCancel();
      return reader.cancel(reason);
    },
  });
}

export function bedrockModeRoute(deps: AppDeps): Hono<AppEnv> {
  const { config } = deps;
  const app = new Hono<AppEnv>();

  const handler = async (c: Context<AppEnv>) => {
    const m = OPERATION.exec(new URL(c.req.url).pathname);
    if (!m?.[1] || !m[2]) {
      throw new GatewayError(404, `Unknown route: POST ${c.req.path}`, { code: "unknown_route" });
    }
    const requested = decodeLabel(m[1]);
    const stream = m[2] === "invoke-with-response-stream";
    const obs = c.var.obs;
    obs.sessionId = c.req.header("x-claude-code-session-id");
    const target = resolveAnthropicModel(deps, requested);
    obs.model = target.id;
    if (!deps.native) throw new GatewayError(501, "No native Bedrock transport configured.");

    const raw = await c.req.text();
    let payload = raw;
    if (target.native) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw new InvalidRequestError("The request body is not valid JSON.");
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw new InvalidRequestError("The request body must be a JSON object.");
      }
      const { body, warnings } = toNativeBody(parsed as Record<string, unknown>, []);
      // Unchanged bodies go as the client sent them, byte for byte.
      if (warnings.length > 0) {
        payload = JSON.stringify(body);
        c.header("x-gateway-warnings", headerSafe(warnings.join("; ")));
      }
    }

    c.env?.server?.timeout(c.req.raw, 0);
    const signal = stream
      ? AbortSignal.any([c.req.raw.signal, obs.shutdownSignal])
      : AbortSignal.any([
          c.req.raw.signal,
          AbortSignal.timeout(config.requestTimeoutMs),
          obs.shutdownSignal,
        ]);
    const res = await deps.native.invoke(target.id, payload, { stream, signal });
    obs.bedrockRequestId = res.headers.get("x-amzn-requestid") ?? undefined;
    const input = res.headers.get("x-amzn-bedrock-input-token-count");
    const output = res.headers.get("x-amzn-bedrock-output-token-count");
    if (input !== null && output !== null) {
      obs.recordUsage({
        inputTokens: Number(input),
        outputTokens: Number(output),
        totalTokens: Number(input) + Number(output),
      });
    }
    const headers = new Headers();
    for (const name of PASSED_HEADERS) {
      const value = res.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    const warnings = c.res.headers.get("x-gateway-warnings");
    if (warnings) headers.set("x-gateway-warnings", warnings);
    if (c.var.requestId) headers.set("x-request-id", c.var.requestId);
    const reader = bodyReader(res);
    if (!stream || !isOk(res) || !reader) {
      return new Response(reader ? passThrough(reader) : null, { status: res.status, headers });
    }
    // The frames pass unchanged; the request counts as in flight until the stream ends.
    // Usage for the access log, metrics and budgets, read from the frames as they pass.
    let inputUsage: Record<string, unknown> | undefined;
    const tap = new UsageTap(({ type, value }) => {
      if (type === "message_start") {
        const message = value?.message as { usage?: Record<string, unknown> } | undefined;
        inputUsage = message?.usage;
      } else if (type === "message_delta") {
        obs.recordUsage(converseUsage({ ...inputUsage, ...(value?.usage as object) }));
      }
    });
    const body = passThrough(reader, {
      onBytes(value) {
        if (obs.ttftMs === undefined) obs.ttftMs = performance.now() - obs.startedAt;
        tap.push(value);
      },
      onEnd: () => obs.endStream({ cancelled: false }),
      onError: (err) => obs.endStream({ error: toGatewayError(err), cancelled: false }),
      onCancel: () => obs.endStream({ cancelled: true }),
    });
    obs.beginStream();
    return new Response(body, { status: res.status, headers });
  };
  // Named routes (not /model/*) so the access log and metrics label them. A plain
  // `:modelId` (clients percent-encode the label, ARNs included): a regex param
  // followed by more segments would push Hono off its RegExpRouter onto the trie
  // router, which measured at a third of the gateway's CPU on every request.
  app.post("/model/:modelId/invoke", handler);
  app.post("/model/:modelId/invoke-with-response-stream", handler);
  return app;
}
