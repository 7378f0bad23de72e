/**
 * POST /chat/completions, streaming and not: validate, decode, hand the
 * conversation to the Converse runner, encode what comes back.
 *
 * @module
 */
import { Hono } from "hono";
import type { ConverseRunner } from "../../converse/run";
import { headerSafe } from "../../headers";
import { methodNotAllowed } from "../../http/method-not-allowed";
import { dataOnlyFraming, SSE_HEADERS, toSseStream } from "../../http/sse";
import { requireJson } from "../../middleware/json-body";
import type { AppDeps, AppEnv } from "../../types";
import { jsonBody } from "../../validation";
import { openAIErrorBody } from "../openai-errors";
import { passthroughModel, relay } from "../openai-responses/passthrough";
import { decodeChatRequest } from "./decode";
import { newCompletionId, toChatCompletion } from "./encode-result";
import { ChatChunkEncoder } from "./encode-stream";
import { isCommonChatRequest } from "./fast-schema";
import { checkChatPolicy } from "./policy";
import { chatRequestSchema } from "./schema";

/** data: frames, [DONE], OpenAI's error body (the openai SDKs raise it as APIError). */
export const CHAT_FRAMING = dataOnlyFraming(openAIErrorBody);

export function chatRoute(deps: AppDeps, runner: ConverseRunner): Hono<AppEnv> {
  const { config } = deps;
  const app = new Hono<AppEnv>();

  app.post(
    "/chat/completions",
    requireJson(),
    jsonBody(chatRequestSchema, isCommonChatRequest),
    async (c) => {
      const req = c.req.valid("json");
      // Models Bedrock serves only through its OpenAI-compatible endpoint: passed through as they are.
      const direct = passthroughModel(deps, req.model);
      if (direct) return relay(c, deps, "/chat/completions", { ...req, model: direct }, []);
      const policyWarnings = checkChatPolicy(req);
      const obs = c.var.obs;
      const model = runner.resolveModel(req.model ?? undefined, obs);
      const call = await runner.prepare(decodeChatRequest(req), model, policyWarnings);
      if (call.warnings.length > 0)
        c.header("x-gateway-warnings", headerSafe(call.warnings.join("; ")));
      // The listed name (an application profile by name, not its ARN) when there is one.
      const meta = {
        id: newCompletionId(),
        created: Math.floor(Date.now() / 1000),
        model: model.name ?? model.id,
      };

      // Bun's idle timer (10 s by default) would cut a slow model; our own timeouts govern instead.
      c.env?.server?.timeout(c.req.raw, 0);

      if (!req.stream) {
        const result = await runner.complete(call, c.req.raw.signal, obs);
        return c.json(toChatCompletion(result, meta));
      }

      const encoder = new ChatChunkEncoder(meta, req.stream_options?.include_usage === true);
      const run = await runner.stream(call, c.req.raw.signal, obs, encoder);
      const body = toSseStream(run.batches, {
        framing: CHAT_FRAMING,
        keepaliveMs: config.streamKeepaliveMs,
        idleTimeoutMs: config.streamIdleTimeoutMs,
        lastActivity: run.lastActivity,
        abort: run.abort,
        shutdown: run.shutdown,
        onEnd: run.end,
      });
      return c.body(body, 200, SSE_HEADERS);
    },
  );
  app.all("/chat/completions", methodNotAllowed(["POST"]));
  return app;
}
