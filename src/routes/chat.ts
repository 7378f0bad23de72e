/**
 * POST /chat/completions, streaming and not.
 *
 * @module
 */
import { Hono } from "hono";
import type { AppDeps, AppEnv } from "../app";
import { newCompletionId, toChatCompletion } from "../chat/from-converse";
import { resolveMedia } from "../chat/media";
import { checkChatPolicy } from "../chat/policy";
import { chatRequestSchema } from "../chat/schema";
import { toSseStream } from "../chat/sse";
import { chunkBatches } from "../chat/stream";
import { adaptConverseOutput, streamAdapterFor } from "../chat/structured-output";
import { toConverse } from "../chat/to-converse";
import { headerSafe } from "../headers";
import { requireJson } from "../middleware/json-body";
import { passthroughModel, relay } from "../surfaces/openai-responses/passthrough";
import { jsonBody } from "../validation";
import { methodNotAllowed } from "./method-not-allowed";

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  // Tell nginx-style proxies not to buffer the stream.
  "x-accel-buffering": "no",
};

export function chatRoute(deps: AppDeps): Hono<AppEnv> {
  const { config, runtime, models } = deps;
  const app = new Hono<AppEnv>();

  app.post("/chat/completions", requireJson(), jsonBody(chatRequestSchema), async (c) => {
    const req = c.req.valid("json");
    // Models Bedrock serves only through its OpenAI-compatible endpoint: passed through as they are.
    const direct = passthroughModel(deps, req.model);
    if (direct) return relay(c, deps, "/chat/completions", { ...req, model: direct }, []);
    const warnings = checkChatPolicy(req);
    const model = models.resolve(req.model ?? undefined, "chat");
    const obs = c.var.obs;
    // Also the model-access check of a virtual key (403 before any Bedrock call).
    obs.useModel(model.id, req.model ?? undefined, model.name);
    // I/O before the pure translator: http(s) image URLs become data: URLs.
    await resolveMedia(req, {
      timeoutMs: config.imageFetchTimeoutMs,
      maxBytes: config.imageMaxBytes,
      allowPrivate: config.imageFetchAllowPrivate,
      allowHosts: config.imageFetchAllowHosts,
    });
    const translation = toConverse(req, {
      modelId: model.id,
      caps: model.caps,
      defaults: { promptCaching: config.enablePromptCaching, guardrail: config.guardrail },
    });
    warnings.push(...translation.warnings);
    if (warnings.length > 0) c.header("x-gateway-warnings", headerSafe(warnings.join("; ")));
    // The listed name (an application profile by name, not its ARN) when there is one.
    const meta = {
      id: newCompletionId(),
      created: Math.floor(Date.now() / 1000),
      model: model.name ?? model.id,
    };

    // Bun's idle timer (10 s by default) would cut a slow model; our own timeouts govern instead.
    c.env?.server?.timeout(c.req.raw, 0);

    if (!req.stream) {
      const signal = AbortSignal.any([
        c.req.raw.signal,
        AbortSignal.timeout(config.requestTimeoutMs),
        obs.shutdownSignal,
      ]);
      const out = await runtime.converse(translation.input, signal).catch((err: unknown) => {
        // Interrupted by a shutdown deadline: say so, not "Bedrock timed out".
        throw obs.shutdownSignal.aborted ? obs.shutdownSignal.reason : err;
      });
      obs.recordUsage(out.usage);
      obs.bedrockRequestId = out.$metadata.requestId;
      return c.json(toChatCompletion(adaptConverseOutput(out, translation.structured), meta));
    }

    const upstream = new AbortController();
    const abort = () => upstream.abort();
    c.req.raw.signal.addEventListener("abort", abort, { once: true });
    // Errors before the first event still get a real HTTP status (onError).
    const firstEventTimer = setTimeout(abort, config.requestTimeoutMs);
    let stream: Awaited<ReturnType<typeof runtime.converseStream>>["stream"];
    try {
      ({ stream, requestId: obs.bedrockRequestId } = await runtime.converseStream(
        translation.input,
        upstream.signal,
      ));
    } finally {
      clearTimeout(firstEventTimer);
    }
    let lastUpstreamEvent = Date.now();
    // One loop per upstream event: obs.tapEvent notes time to first token and
    // usage (access log, metrics), the adapter undoes structured output's tool, the
    // translator makes chunks.
    const chunks = chunkBatches(stream, meta, {
      includeUsage: req.stream_options?.include_usage === true,
      onEvent: () => {
        lastUpstreamEvent = Date.now();
      },
      tap: obs.tapEvent,
      adapter: streamAdapterFor(translation.structured),
    });
    const body = toSseStream(chunks, {
      keepaliveMs: config.streamKeepaliveMs,
      idleTimeoutMs: config.streamIdleTimeoutMs,
      lastActivity: () => lastUpstreamEvent,
      abort,
      shutdown: obs.shutdownSignal,
      onEnd: (outcome) => {
        c.req.raw.signal.removeEventListener("abort", abort);
        obs.endStream(outcome);
      },
    });
    obs.beginStream();
    return c.body(body, 200, SSE_HEADERS);
  });
  app.all("/chat/completions", methodNotAllowed(["POST"]));
  return app;
}
