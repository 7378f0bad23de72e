/**
 * POST /responses (streaming and not), GET / DELETE /responses/{id},
 * GET /responses/{id}/input_items.
 *
 * A request runs: policy → stored history (previous_response_id) → decode to
 * the conversation → the chat translator (every Bedrock rule) → Converse →
 * the encoder (Responses events / Response object) → the store.
 *
 * @module
 */
import { Hono } from "hono";
import type { AppDeps, AppEnv } from "../../app";
import { newCompletionId, toChatCompletion } from "../../chat/from-converse";
import { resolveMedia } from "../../chat/media";
import { checkChatPolicy } from "../../chat/policy";
import type { ChatMessage } from "../../chat/schema";
import { toSseStream } from "../../chat/sse";
import { chunkBatches } from "../../chat/stream";
import { adaptConverseOutput, streamAdapterFor } from "../../chat/structured-output";
import { toConverse } from "../../chat/to-converse";
import type { ChatCompletion, ChatCompletionChunk } from "../../chat/types";
import { GatewayError, InvalidRequestError } from "../../errors";
import { headerSafe } from "../../headers";
import { requireJson } from "../../middleware/json-body";
import { methodNotAllowed } from "../../routes/method-not-allowed";
import { jsonBody } from "../../validation";
import { decodeRequest } from "./decode";
import {
  type ResponseEncoder as Encoder,
  newResponseId,
  ResponseEncoder,
  type ResponseEvent,
} from "./encode";
import { dropHostedTools, passthroughModel, relay } from "./passthrough";
import { checkResponsesPolicy, INCLUDE_ENCRYPTED } from "./policy";
import { type ResponsesRequest, responsesRequestSchema } from "./schema";
import { ReasoningSealer } from "./seal";

const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
};

export interface ResponsesDeps {
  /** Seals reasoning.encrypted_content; built from config.responsesSecret when absent. */
  sealer?: ReasoningSealer;
}

/** The request's own settings, echoed on the Response object. */
function settingsOf(req: ResponsesRequest, store: boolean): Record<string, unknown> {
  return {
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    max_tool_calls: req.max_tool_calls ?? null,
    metadata: req.metadata ?? {},
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: req.previous_response_id ?? null,
    reasoning: { effort: req.reasoning?.effort ?? null, summary: req.reasoning?.summary ?? null },
    service_tier: req.service_tier ?? "default",
    store,
    temperature: req.temperature ?? 1,
    text: {
      format: req.text?.format ?? { type: "text" },
      verbosity: req.text?.verbosity ?? "medium",
    },
    tool_choice: req.tool_choice ?? "auto",
    tools: req.tools ?? [],
    top_p: req.top_p ?? 1,
    truncation: req.truncation ?? "disabled",
    user: req.user ?? null,
  };
}

/** A whole chat completion as the chunks a stream would have carried. */
function chunksOf(c: ChatCompletion): ChatCompletionChunk[] {
  const base = {
    id: c.id,
    object: "chat.completion.chunk" as const,
    created: c.created,
    model: c.model,
  };
  const m = c.choices[0]?.message;
  const chunks: ChatCompletionChunk[] = [];
  const push = (
    delta: ChatCompletionChunk["choices"][number]["delta"],
    finish: ChatCompletion["choices"][number]["finish_reason"] | null = null,
  ) => {
    chunks.push({ ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
  };
  if (m?.reasoning_content) push({ reasoning_content: m.reasoning_content });
  if (m?.thinking_blocks?.length) push({ thinking_blocks: m.thinking_blocks });
  if (m?.content) push({ content: m.content });
  m?.tool_calls?.forEach((tc, index) => {
    push({
      tool_calls: [
        {
          index,
          id: tc.id,
          type: "function",
          function: { name: tc.function.name, arguments: tc.function.arguments },
        },
      ],
    });
  });
  push({}, c.choices[0]?.finish_reason ?? "stop");
  chunks.push({ ...base, choices: [], usage: c.usage });
  return chunks;
}

function notFound(id: string): GatewayError {
  return new GatewayError(404, `No response found with id '${id}'.`, {
    type: "invalid_request_error",
    code: "not_found",
    param: "response_id",
  });
}

export function responsesRoute(deps: AppDeps & ResponsesDeps): Hono<AppEnv> {
  const { config, runtime, models } = deps;
  const store = deps.store.responses;
  const sealer = deps.sealer ?? new ReasoningSealer(config.responsesSecret);
  const app = new Hono<AppEnv>();
  /** A stored response, if it exists and the caller's key created it (else it is not found). */
  const ownResponse = async (keyId: string | null, id: string) => {
    const r = await store.getResponse(id);
    return r && r.keyId === keyId ? r : null;
  };

  app.post("/responses", requireJson(), jsonBody(responsesRequestSchema), async (c) => {
    const req = c.req.valid("json");
    const warnings = checkResponsesPolicy(req);
    const storeIt = req.store !== false;
    const direct = passthroughModel(deps, req.model);
    if (direct) {
      const body: Record<string, unknown> = { ...req, model: direct };
      dropHostedTools(body, warnings);
      return relay(c, deps, "/responses", body, warnings);
    }

    let history: ChatMessage[] | undefined;
    if (req.previous_response_id) {
      const prev = await ownResponse(c.var.principal?.keyId ?? null, req.previous_response_id);
      if (!prev) {
        throw new GatewayError(
          404,
          `Previous response with id '${req.previous_response_id}' not found.`,
          {
            type: "invalid_request_error",
            code: "previous_response_not_found",
            param: "previous_response_id",
          },
        );
      }
      history = prev.conversation as ChatMessage[];
    }
    const decoded = decodeRequest(req, { sealer, ...(history ? { history } : {}) });
    warnings.push(...decoded.warnings);
    const chat = decoded.chat;
    warnings.push(...checkChatPolicy(chat));
    const model = models.resolve(chat.model ?? undefined, "chat");
    const obs = c.var.obs;
    // Also a virtual key's model allow-list (403 before any Bedrock call).
    obs.useModel(model.id, req.model ?? undefined, model.name);
    await resolveMedia(chat, {
      timeoutMs: config.imageFetchTimeoutMs,
      maxBytes: config.imageMaxBytes,
      allowPrivate: config.imageFetchAllowPrivate,
      allowHosts: config.imageFetchAllowHosts,
    });
    const translation = toConverse(chat, {
      modelId: model.id,
      caps: model.caps,
      defaults: { promptCaching: config.enablePromptCaching, guardrail: config.guardrail },
    });
    warnings.push(...translation.warnings);
    if (warnings.length > 0) c.header("x-gateway-warnings", headerSafe(warnings.join("; ")));

    const createdAt = Math.floor(Date.now() / 1000);
    const encoder = new ResponseEncoder({
      id: newResponseId(),
      createdAt,
      model: req.model ?? model.name ?? model.id,
      settings: settingsOf(req, storeIt),
      tools: decoded.tools,
      sealer,
      includeEncrypted: (req.include ?? []).includes(INCLUDE_ENCRYPTED),
    });
    // What previous_response_id replays: everything but `instructions` (OpenAI does not carry them over).
    const turns = req.instructions ? chat.messages.slice(1) : chat.messages;
    const save = async (e: Encoder) => {
      if (!storeIt) return;
      await store.putResponse({
        id: e.response.id,
        keyId: c.var.principal?.keyId ?? null,
        createdAt,
        expiresAt:
          config.responsesStoreTtlSeconds > 0 ? createdAt + config.responsesStoreTtlSeconds : null,
        response: e.response,
        inputItems: decoded.items.map((item, i) => ({
          id: typeof item.id === "string" ? item.id : `item_${e.response.id.slice(5, 21)}_${i}`,
          ...item,
        })),
        conversation: [...turns, e.assistantTurn()],
      });
    };

    c.env?.server?.timeout(c.req.raw, 0);
    const meta = { id: newCompletionId(), created: createdAt, model: model.name ?? model.id };

    if (!req.stream) {
      const signal = AbortSignal.any([
        c.req.raw.signal,
        AbortSignal.timeout(config.requestTimeoutMs),
        obs.shutdownSignal,
      ]);
      const out = await runtime.converse(translation.input, signal).catch((err: unknown) => {
        throw obs.shutdownSignal.aborted ? obs.shutdownSignal.reason : err;
      });
      obs.recordUsage(out.usage);
      obs.bedrockRequestId = out.$metadata.requestId;
      const completion = toChatCompletion(adaptConverseOutput(out, translation.structured), meta);
      const sink: ResponseEvent[] = [];
      for (const chunk of chunksOf(completion)) encoder.push(chunk, sink);
      await save(encoder);
      return c.json(encoder.response);
    }

    const upstream = new AbortController();
    const abort = () => upstream.abort();
    c.req.raw.signal.addEventListener("abort", abort, { once: true });
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
    const chunks = chunkBatches(stream, meta, {
      includeUsage: true,
      onEvent: () => {
        lastUpstreamEvent = Date.now();
      },
      tap: obs.tapEvent,
      adapter: streamAdapterFor(translation.structured),
    });
    async function* events(): AsyncGenerator<ResponseEvent[]> {
      const first: ResponseEvent[] = [];
      encoder.start(first);
      yield first;
      for await (const batch of chunks) {
        const out: ResponseEvent[] = [];
        for (const chunk of batch) encoder.push(chunk, out);
        if (out.length > 0) yield out;
      }
      if (!encoder.done)
        throw new GatewayError(502, "The Bedrock stream ended before the response was complete.", {
          code: "upstream_incomplete",
        });
      await save(encoder);
    }
    const body = toSseStream(events(), {
      keepaliveMs: config.streamKeepaliveMs,
      idleTimeoutMs: config.streamIdleTimeoutMs,
      lastActivity: () => lastUpstreamEvent,
      abort,
      shutdown: obs.shutdownSignal,
      named: { error: (error) => encoder.fail(error) },
      onEnd: (outcome) => {
        c.req.raw.signal.removeEventListener("abort", abort);
        obs.endStream(outcome);
      },
    });
    obs.beginStream();
    return c.body(body, 200, SSE_HEADERS);
  });
  app.all("/responses", methodNotAllowed(["POST"]));

  app.get("/responses/:id", async (c) => {
    const id = c.req.param("id");
    const stored = await ownResponse(c.var.principal?.keyId ?? null, id);
    if (!stored) throw notFound(id);
    if (c.req.query("stream") === "true") {
      throw new InvalidRequestError(
        "Streaming a stored response again is not supported.",
        "stream",
        "unsupported_parameter",
      );
    }
    return c.json(stored.response as object);
  });
  app.delete("/responses/:id", async (c) => {
    const id = c.req.param("id");
    const own = await ownResponse(c.var.principal?.keyId ?? null, id);
    if (!own || !(await store.deleteResponse(id))) throw notFound(id);
    return c.json({ id, object: "response", deleted: true });
  });
  app.post("/responses/:id/cancel", () => {
    throw new InvalidRequestError(
      "Only background responses can be cancelled, and background is not supported.",
      "response_id",
      "unsupported_parameter",
    );
  });
  app.get("/responses/:id/input_items", async (c) => {
    const id = c.req.param("id");
    const stored = await ownResponse(c.var.principal?.keyId ?? null, id);
    if (!stored) throw notFound(id);
    const order = c.req.query("order") === "asc" ? "asc" : "desc";
    const limit = Math.min(
      100,
      Math.max(1, Number.parseInt(c.req.query("limit") ?? "20", 10) || 20),
    );
    let items = stored.inputItems as Array<{ id: string }>;
    if (order === "desc") items = [...items].reverse();
    const after = c.req.query("after");
    if (after) {
      const at = items.findIndex((i) => i.id === after);
      items = at >= 0 ? items.slice(at + 1) : items;
    }
    const page = items.slice(0, limit);
    return c.json({
      object: "list",
      data: page,
      first_id: page[0]?.id ?? null,
      last_id: page[page.length - 1]?.id ?? null,
      has_more: items.length > page.length,
    });
  });
  return app;
}
