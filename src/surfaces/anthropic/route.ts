/**
 * POST /messages (Claude Code calls /v1/messages?beta=true: the query is
 * tolerated) and POST /messages/count_tokens, mounted under /v1 and /api/v1.
 *
 * Claude models go to Bedrock natively (native.ts); every other model goes
 * through the Converse core (decode.ts → ConverseRunner → encode.ts).
 * Errors are rethrown with Anthropic's statuses (anthropicStatus) and rendered
 * in Anthropic's shape by the app's renderer table.
 *
 * @module
 */

import { type Context, Hono } from "hono";
import { callSignal } from "../../abort";
import type { ConverseRunner } from "../../converse/run";
import { GatewayError } from "../../errors";
import { headerSafe } from "../../headers";
import { methodNotAllowed } from "../../http/method-not-allowed";
import { SSE_HEADERS, toSseStream } from "../../http/sse";
import { requireJson } from "../../middleware/json-body";
import type { AppDeps, AppEnv } from "../../types";
import { jsonBody } from "../../validation";
import { parseBetaHeader, toNativeBody } from "./betas";
import { decodeMessagesRequest } from "./decode";
import { AnthropicStreamEncoder, newMessageId, toAnthropicMessage } from "./encode";
import { anthropicStatus } from "./errors";
import { isValidMessagesRequest } from "./fast-schema";
import { type AnthropicTarget, resolveAnthropicModel } from "./models";
import { converseUsage, invokeMessage, invokeStream } from "./native";
import { countTokensRequestSchema, type MessagesRequest, messagesRequestSchema } from "./schema";
import { ANTHROPIC_FRAMING } from "./sse";

/** A handler whose errors leave with Anthropic's status (529, Bedrock's wording…). */
async function anthropicErrors(handler: () => Promise<Response>): Promise<Response> {
  try {
    return await handler();
  } catch (err) {
    throw anthropicStatus(err);
  }
}

/** Non-Claude models through the Converse core. */
async function viaConverse(
  c: Context<AppEnv>,
  deps: AppDeps,
  runner: ConverseRunner,
  req: MessagesRequest,
  target: AnthropicTarget,
): Promise<Response> {
  const obs = c.var.obs;
  const warnings: string[] = [];
  if (c.req.header("anthropic-beta"))
    warnings.push("anthropic-beta ignored: betas apply to Claude models only");
  const conversation = decodeMessagesRequest(req, warnings);
  const call = await runner.prepare(conversation, target, warnings);
  if (call.warnings.length > 0)
    c.header("x-gateway-warnings", headerSafe(call.warnings.join("; ")));
  const meta = { id: newMessageId(), model: req.model };
  c.env?.server?.timeout(c.req.raw, 0);
  if (!req.stream) {
    const result = await runner.complete(call, c.req.raw.signal, obs);
    return c.json(toAnthropicMessage(result, meta));
  }
  const run = await runner.stream(call, c.req.raw.signal, obs, new AnthropicStreamEncoder(meta));
  const body = toSseStream(run.batches, {
    framing: ANTHROPIC_FRAMING,
    keepaliveMs: deps.config.streamKeepaliveMs,
    idleTimeoutMs: deps.config.streamIdleTimeoutMs,
    lastActivity: run.lastActivity,
    abort: run.abort,
    shutdown: run.shutdown,
    onEnd: run.end,
  });
  return c.body(body, 200, SSE_HEADERS);
}

export function anthropicRoute(deps: AppDeps, runner: ConverseRunner): Hono<AppEnv> {
  const { config } = deps;
  const app = new Hono<AppEnv>();

  const invoker = () => {
    if (!deps.native) {
      throw new GatewayError(501, "This gateway has no native Bedrock transport configured.", {
        code: "not_configured",
      });
    }
    return deps.native;
  };

  app.post(
    "/messages",
    requireJson(),
    jsonBody(messagesRequestSchema, isValidMessagesRequest),
    async (c) =>
      anthropicErrors(async () => {
        const req = c.req.valid("json");
        const obs = c.var.obs;
        obs.sessionId = c.req.header("x-claude-code-session-id");
        const target = resolveAnthropicModel(deps, req.model);
        obs.model = target.id;
        if (!target.native) return viaConverse(c, deps, runner, req, target);
        const { body, warnings } = toNativeBody(
          req,
          parseBetaHeader(c.req.header("anthropic-beta")),
        );
        if (warnings.length > 0) c.header("x-gateway-warnings", headerSafe(warnings.join("; ")));
        const call = { modelId: target.id, body, clientModel: req.model };
        // Bun's idle timer would cut a slow model; our own timeouts govern instead.
        c.env?.server?.timeout(c.req.raw, 0);

        if (!req.stream) {
          const bound = callSignal(c.req.raw.signal, obs.shutdownSignal, config.requestTimeoutMs);
          const out = await invokeMessage(invoker(), call, bound.signal)
            .catch((err: unknown) => {
              throw obs.shutdownSignal.aborted ? obs.shutdownSignal.reason : err;
            })
            .finally(bound.release);
          obs.recordUsage(converseUsage(out.message.usage));
          obs.bedrockRequestId = out.requestId;
          return c.json(out.message);
        }

        const upstream = new AbortController();
        const abort = () => upstream.abort();
        c.req.raw.signal.addEventListener("abort", abort, { once: true });
        const firstEventTimer = setTimeout(abort, config.requestTimeoutMs);
        let lastUpstreamEvent = Date.now();
        let inputUsage: unknown;
        const tap = {
          onEvent(type: string, value: Record<string, unknown> | undefined) {
            lastUpstreamEvent = Date.now();
            if (type === "message_start") {
              const message = value?.message as { usage?: unknown } | undefined;
              inputUsage = message?.usage;
            } else if (
              obs.ttftMs === undefined &&
              (type === "content_block_delta" || type === "content_block_start")
            ) {
              obs.ttftMs = performance.now() - obs.startedAt;
            } else if (type === "message_delta") {
              const usage = { ...(inputUsage as object), ...(value?.usage as object) };
              obs.recordUsage(converseUsage(usage));
            }
          },
        };
        let stream: Awaited<ReturnType<typeof invokeStream>>;
        try {
          stream = await invokeStream(invoker(), call, upstream.signal, tap);
        } finally {
          clearTimeout(firstEventTimer);
        }
        obs.bedrockRequestId = stream.requestId;
        const sse = toSseStream(stream.events, {
          keepaliveMs: config.streamKeepaliveMs,
          idleTimeoutMs: config.streamIdleTimeoutMs,
          lastActivity: () => lastUpstreamEvent,
          abort,
          shutdown: obs.shutdownSignal,
          framing: ANTHROPIC_FRAMING,
          onEnd: (outcome) => {
            c.req.raw.signal.removeEventListener("abort", abort);
            obs.endStream(outcome);
          },
        });
        obs.beginStream();
        return c.body(sse, 200, SSE_HEADERS);
      }),
  );

  app.post("/messages/count_tokens", requireJson(), jsonBody(countTokensRequestSchema), async (c) =>
    anthropicErrors(async () => {
      const req = c.req.valid("json");
      const target = resolveAnthropicModel(deps, req.model);
      c.var.obs.model = target.id;
      const signal = AbortSignal.any([
        c.req.raw.signal,
        AbortSignal.timeout(config.requestTimeoutMs),
      ]);
      let input: string | Record<string, unknown>;
      if (target.native) {
        const { body, warnings } = toNativeBody(
          { max_tokens: 1, ...req },
          parseBetaHeader(c.req.header("anthropic-beta")),
        );
        if (warnings.length > 0) c.header("x-gateway-warnings", headerSafe(warnings.join("; ")));
        input = JSON.stringify(body);
      } else {
        // The Converse input the core would send, counted by Bedrock; where the model
        // cannot be counted, Bedrock's ValidationException comes back as a 400.
        const conv = decodeMessagesRequest({ max_tokens: 1, ...req });
        const call = await runner.prepare(conv, target);
        const { messages, system, toolConfig } = call.translation.input;
        input = { messages, ...(system ? { system } : {}), ...(toolConfig ? { toolConfig } : {}) };
      }
      // CountTokens takes foundation-model ids, never inference profiles.
      const inputTokens = await invoker().countTokens(target.foundationModelId, input, signal);
      return c.json({ input_tokens: inputTokens });
    }),
  );

  app.all("/messages", methodNotAllowed(["POST"]));
  app.all("/messages/count_tokens", methodNotAllowed(["POST"]));
  return app;
}
