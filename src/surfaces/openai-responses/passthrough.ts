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
import type { Context } from "hono";
import type { AppDeps, AppEnv } from "../../app";
import { modelMatcher } from "../../bedrock/openai-compat";
import { GatewayError } from "../../errors";
import { headerSafe } from "../../headers";

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
  return new Response(upstream.body, { status: upstream.status, headers });
}
