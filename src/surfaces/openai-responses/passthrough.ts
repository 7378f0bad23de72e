/**
 * Requests for models Bedrock serves only through its OpenAI-compatible
 * endpoint go there as they are (model id resolved through MODEL_ALIASES),
 * the answer relayed as it comes: status, JSON or SSE stream.
 *
 * The gateway's own rules still apply first: `background` is refused, hosted
 * tools are dropped with a warning (the runtime endpoint rejects them, and
 * Codex always sends some). Stored responses, encrypted_content sealing and
 * tool-name flattening are the Converse path's: a pass-through request is the
 * endpoint's own conversation.
 *
 * @module
 */
import type { TokenUsage } from "@aws-sdk/client-bedrock-runtime";
import type { Context } from "hono";
import { modelMatcher } from "../../bedrock/openai-compat";
import { GatewayError } from "../../errors";
import { headerSafe } from "../../headers";
import type { AppDeps, AppEnv } from "../../types";

const matchers = new WeakMap<readonly string[], (id: string) => boolean>();

/** The Bedrock model id to pass through to, or undefined for the Converse path. */
export function passthroughModel(
  deps: AppDeps,
  requested: string | null | undefined,
): string | undefined {
  if (!deps.openaiCompat) return undefined;
  const name = requested?.trim() || deps.config.defaultModel;
  const id = deps.config.modelAliases[name] ?? name;
  const patterns = deps.config.bedrockOpenAiModels;
  let match = matchers.get(patterns);
  if (!match) {
    match = modelMatcher(patterns);
    matchers.set(patterns, match);
  }
  return match(id) ? id : undefined;
}

/** Tools the runtime endpoint accepts; the rest are dropped with a warning. */
export function dropHostedTools(body: Record<string, unknown>, warnings: string[]): void {
  if (!Array.isArray(body.tools)) return;
  const kept: unknown[] = [];
  const dropped: string[] = [];
  for (const t of body.tools as Array<{ type?: unknown }>) {
    if (t.type === "function" || t.type === "custom") kept.push(t);
    else dropped.push(String(t.type));
  }
  if (dropped.length > 0) {
    warnings.push(
      `hosted tools dropped (Bedrock cannot run them): ${[...new Set(dropped)].join(", ")}`,
    );
    body.tools = kept;
  }
}

export async function relay(
  c: Context<AppEnv>,
  deps: AppDeps,
  path: string,
  body: Record<string, unknown>,
  warnings: string[],
): Promise<Response> {
  const compat = deps.openaiCompat;
  if (!compat) throw new GatewayError(500, "No OpenAI-compatible Bedrock client configured.");
  // Also a virtual key's model allow-list (403 before any Bedrock call).
  c.var.obs.useModel(String(body.model));
  c.env?.server?.timeout(c.req.raw, 0);
  const upstream = await compat
    .post(path, JSON.stringify(body), c.req.raw.signal)
    .catch((err: unknown) => {
      throw new GatewayError(502, "Bedrock's OpenAI-compatible endpoint could not be reached.", {
        code: "upstream_unreachable",
        cause: err,
      });
    });
  const headers = new Headers({
    "content-type": upstream.headers.get("content-type") ?? "application/json",
    "cache-control": "no-cache",
  });
  const requestId = upstream.headers.get("x-amzn-requestid");
  if (requestId) c.var.obs.bedrockRequestId = requestId;
  if (warnings.length > 0) headers.set("x-gateway-warnings", headerSafe(warnings.join("; ")));
  const obs = c.var.obs;
  const isStream = (upstream.headers.get("content-type") ?? "").includes("text/event-stream");
  if (!isStream || !upstream.body) {
    // Small JSON: read it whole, note its usage (limits, budgets, the access log), send it on.
    const text = await upstream.text();
    if (upstream.ok) obs.recordUsage(usageOf(text));
    return new Response(text, { status: upstream.status, headers });
  }
  // A stream is relayed as it comes; the usage on its last event is noted at the end.
  let tail = "";
  const decoder = new TextDecoder();
  const tap = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      tail = (tail + decoder.decode(chunk, { stream: true })).slice(-TAIL_CHARS);
      controller.enqueue(chunk);
    },
    flush() {
      const lines = tail.split("\n").filter((l) => l.startsWith("data: {"));
      for (const line of lines.reverse()) {
        const usage = usageOf(line.slice(6));
        if (usage) {
          obs.recordUsage(usage);
          break;
        }
      }
      obs.endStream({ cancelled: false });
    },
  });
  // The client went away: the fetch (same signal) is aborted; the request ends here.
  c.req.raw.signal.addEventListener("abort", () => obs.endStream({ cancelled: true }), {
    once: true,
  });
  obs.beginStream();
  return new Response(upstream.body.pipeThrough(tap), { status: upstream.status, headers });
}

/** Enough of a stream's end to hold its final event (a Response object with its output). */
const TAIL_CHARS = 256 * 1024;

/** Responses' or chat's usage in a JSON body → Bedrock's token usage shape. */
function usageOf(json: string): TokenUsage | undefined {
  let body: unknown;
  try {
    body = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof body !== "object" || body === null) return undefined;
  const b = body as {
    usage?: Record<string, unknown>;
    response?: { usage?: Record<string, unknown> };
  };
  const u = b.usage ?? b.response?.usage;
  if (!u) return undefined;
  const input = Number(u.input_tokens ?? u.prompt_tokens ?? 0);
  const output = Number(u.output_tokens ?? u.completion_tokens ?? 0);
  return { inputTokens: input, outputTokens: output, totalTokens: input + output };
}
