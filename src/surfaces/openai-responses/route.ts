/**
 * POST /responses (streaming and not), GET / DELETE /responses/{id},
 * GET /responses/{id}/input_items.
 *
 * A request runs: policy → stored history (previous_response_id) → decode to
 * the conversation → the Converse runner (every Bedrock rule) → the encoder
 * (Responses events / Response object) → the store. Models Bedrock serves
 * only through its OpenAI-compatible endpoint are passed through instead.
 *
 * @module
 */
import { Hono } from "hono";
import { aroundBatches } from "../../converse/events";
import type { ConverseRunner } from "../../converse/run";
import { GatewayError, InvalidRequestError, storeUnavailableError } from "../../errors";
import { headerSafe } from "../../headers";
import { methodNotAllowed } from "../../http/method-not-allowed";
import { namedFrame, SSE_HEADERS, type SseFraming, toSseStream } from "../../http/sse";
import { requireJson } from "../../middleware/json-body";
import type { AppDeps, AppEnv } from "../../types";
import { jsonBody } from "../../validation";
import { decodeResponsesRequest, type Replay } from "./decode";
import { newResponseId, ResponseEncoder, type ResponseEvent } from "./encode";
import { dropHostedTools, passthroughModel, relay } from "./passthrough";
import { checkResponsesPolicy, INCLUDE_ENCRYPTED } from "./policy";
import { type ResponsesRequest, responsesRequestSchema } from "./schema";
import { ReasoningSealer } from "./seal";

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

function notFound(id: string): GatewayError {
  return new GatewayError(404, `No response found with id '${id}'.`, {
    type: "invalid_request_error",
    code: "not_found",
    param: "response_id",
  });
}

export function responsesRoute(deps: AppDeps, runner: ConverseRunner): Hono<AppEnv> {
  const { config } = deps;
  // The secret may still be on its way from the store at startup; a failure to read it
  // is a 503 per request (and not an unhandled rejection meanwhile).
  const sealerReady = Promise.resolve(deps.responsesSecret).then((s) => new ReasoningSealer(s));
  sealerReady.catch(() => {});
  const store = deps.store.responses;
  const app = new Hono<AppEnv>();
  /** A stored response, if it exists and the caller's key created it (else: not found). */
  const own = async (keyId: string | null, id: string) => {
    const r = await store.getResponse(id);
    return r && r.keyId === keyId ? r : null;
  };

  app.post("/responses", requireJson(), jsonBody(responsesRequestSchema), async (c) => {
    const req = c.req.valid("json");
    const warnings = checkResponsesPolicy(req);
    const keyId = c.var.principal?.keyId ?? null;
    const storeIt = req.store !== false;

    const direct = passthroughModel(deps, req.model);
    if (direct) {
      const body: Record<string, unknown> = { ...req, model: direct };
      dropHostedTools(body, warnings);
      return relay(c, deps, "/responses", body, warnings);
    }

    let history: Replay | undefined;
    if (req.previous_response_id) {
      const prev = await own(keyId, req.previous_response_id);
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
      history = prev.conversation as Replay;
    }
    const sealer = await sealerReady.catch((err: unknown) => {
      throw storeUnavailableError(err);
    });
    const decoded = decodeResponsesRequest(req, { sealer, ...(history ? { history } : {}) });
    const obs = c.var.obs;
    const model = runner.resolveModel(req.model ?? undefined, obs);
    const call = await runner.prepare(decoded.conversation, model, [
      ...warnings,
      ...decoded.warnings,
    ]);
    if (call.warnings.length > 0)
      c.header("x-gateway-warnings", headerSafe(call.warnings.join("; ")));

    const createdAt = Math.floor(Date.now() / 1000);
    const encoder = new ResponseEncoder({
      id: newResponseId(),
      createdAt,
      // An OpenAI name mapped to DEFAULT_MODEL reports what ran (as chat does); aliases echo.
      model: model.mappedFrom ? (model.name ?? model.id) : (req.model ?? model.name ?? model.id),
      settings: settingsOf(req, storeIt),
      tools: decoded.tools,
      sealer,
      includeEncrypted: (req.include ?? []).includes(INCLUDE_ENCRYPTED),
    });
    const save = async () => {
      if (!storeIt) return;
      const id = encoder.response.id;
      const replay: Replay = {
        system: decoded.replay.system,
        turns: [...decoded.replay.turns, encoder.assistantTurn()],
      };
      await store.putResponse({
        id,
        keyId,
        createdAt,
        expiresAt:
          config.responsesStoreTtlSeconds > 0 ? createdAt + config.responsesStoreTtlSeconds : null,
        response: encoder.response,
        inputItems: decoded.items.map((item, i) => ({
          id: typeof item.id === "string" ? item.id : `item_${id.slice(5, 21)}_${i}`,
          ...item,
        })),
        conversation: replay,
      });
    };

    // Bun's idle timer (10 s by default) would cut a slow model; our own timeouts govern instead.
    c.env?.server?.timeout(c.req.raw, 0);

    if (!req.stream) {
      const result = await runner.complete(call, c.req.raw.signal, obs);
      encoder.pushResult(result);
      await save();
      return c.json(encoder.response);
    }

    const run = await runner.stream(call, c.req.raw.signal, obs, encoder);
    const first: ResponseEvent[] = [];
    encoder.start(first);
    // Named events; the failure event is the encoder's (it owns sequence_number).
    const framing: SseFraming<ResponseEvent> = {
      frame: (e) => namedFrame(e.type, e),
      keepalive: ": keep-alive\n\n",
      error: (err) => namedFrame("error", encoder.fail(err)),
    };
    // response.created first, the encoded batches, then the store write once the stream succeeded.
    const body = toSseStream(aroundBatches(first, run.batches, save), {
      framing,
      keepaliveMs: config.streamKeepaliveMs,
      idleTimeoutMs: config.streamIdleTimeoutMs,
      lastActivity: run.lastActivity,
      abort: run.abort,
      shutdown: run.shutdown,
      onEnd: run.end,
    });
    return c.body(body, 200, SSE_HEADERS);
  });
  app.all("/responses", methodNotAllowed(["POST"]));

  app.get("/responses/:id", async (c) => {
    const id = c.req.param("id");
    const stored = await own(c.var.principal?.keyId ?? null, id);
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
    const stored = await own(c.var.principal?.keyId ?? null, id);
    if (!stored || !(await store.deleteResponse(id))) throw notFound(id);
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
    const stored = await own(c.var.principal?.keyId ?? null, id);
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
      if (at >= 0) items = items.slice(at + 1);
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
