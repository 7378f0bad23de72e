/**
 * @module
 * bedrock-runtime operations: Converse, ConverseStream, InvokeModel,
 * InvokeModelWithResponseStream and CountTokens.
 */

import { isRecord } from "../json";
import type { Call } from "./call";
import type { ResolvedModel } from "./catalog";
import {
  converseResponseBody,
  converseStreamEvents,
  converseView,
  DEFAULT_CHUNK_SIZE,
  type StreamEvent,
} from "./converse";
import { type Directives, parseDirectives } from "./directives";
import { BedrockError, validationError } from "./errors";
import { cacheUsage, reasoningRequested } from "./features";
import { findInvokeHandler, type InvokeHandler, type InvokeRequest } from "./invoke";
import { completeReply, planDefaultReply } from "./reply";
import { eventStreamResponse, type StreamHooks } from "./stream-response";
import { countConverseInputTokens, countInvokeInputTokens } from "./tokens";
import type { ConverseReply, StreamControl } from "./types";
import { validateConverseRequest } from "./validate";

const NOT_A_CHAT_MODEL =
  "This action doesn't support the model that you provided. Try again with a supported text or chat model.";
const NO_STREAMING = "The model is unsupported for streaming.";

function jsonResponse(
  body: unknown,
  requestId: string,
  extra: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status: 200,
    headers: { "content-type": "application/json", "x-amzn-requestid": requestId, ...extra },
  });
}

/** Script stream settings win over prompt directives. */
function streamControlOf(script: StreamControl | undefined, d: Directives): StreamControl {
  const fromDirectives: StreamControl = {
    ...(d.chunkSize !== undefined ? { chunkSize: d.chunkSize } : {}),
    ...(d.delayMs !== undefined ? { eventDelayMs: d.delayMs } : {}),
    ...(d.firstMs !== undefined ? { firstEventDelayMs: d.firstMs } : {}),
    ...(d.midstream !== undefined ? { exceptionAfter: { events: 2, type: d.midstream } } : {}),
    ...(d.endAfter !== undefined ? { endAfter: d.endAfter } : {}),
    ...(d.resetAfter !== undefined ? { resetAfter: d.resetAfter } : {}),
  };
  return { ...fromDirectives, ...(script ?? {}) };
}

function streamHooks(call: Call): StreamHooks {
  const { stats } = call.state;
  return {
    onStart: () => {
      stats.streamsStarted += 1;
      stats.streamsOpen += 1;
      stats.peakStreamsOpen = Math.max(stats.peakStreamsOpen, stats.streamsOpen);
    },
    onComplete: () => {
      stats.streamsCompleted += 1;
      stats.streamsOpen -= 1;
    },
    onCancel: () => {
      stats.streamsCancelled += 1;
      stats.streamsOpen -= 1;
    },
    onReset: () => {
      stats.streamsOpen -= 1;
    },
  };
}

function requireTextModel(resolved: ResolvedModel): void {
  const output = resolved.model?.outputModalities;
  if (output && !output.includes("TEXT")) throw validationError(NOT_A_CHAT_MODEL);
}

function directiveError(d: Directives): void {
  if (d.error) throw new BedrockError(d.error);
}

/**
 * What Bedrock's answer reflects of the request: cache usage when it has cache
 * points (unless a script fixed the usage) and the service tier it asked for.
 */
function applyRequestEchoes(body: Record<string, unknown>, call: Call, reply: ConverseReply): void {
  const cache = cacheUsage(body, call.modelId, call.state.promptCache);
  if (cache && reply.usage && !call.script?.reply?.usage) {
    const u = reply.usage;
    u.inputTokens = Math.max(0, u.inputTokens - cache.cached);
    u.cacheReadInputTokens = cache.read;
    u.cacheWriteInputTokens = cache.write;
    u.totalTokens = u.inputTokens + u.outputTokens + cache.read + cache.write;
  }
  const tier = body.serviceTier;
  if (reply.serviceTier === undefined && isRecord(tier) && typeof tier.type === "string")
    reply.serviceTier = { type: tier.type };
}

/** Converse and ConverseStream. */
export async function handleConverse(call: Call, stream: boolean): Promise<Response> {
  requireTextModel(call.state.catalog.resolveRuntimeModel(call.modelId));
  const body = call.record.body;
  const invalid = validateConverseRequest(body);
  if (invalid || !isRecord(body))
    throw validationError(invalid ?? "The provided request is not valid");
  const view = converseView(body);
  const directives = parseDirectives(view.lastUserText);
  directiveError(directives);
  // A request that turns reasoning on gets a reasoning block, as with `[emu reasoning=1]`.
  const planned = call.script?.reply
    ? { reply: completeReply(call.script.reply, view.inputTokens) }
    : planDefaultReply(
        view,
        reasoningRequested(body) ? { ...directives, reasoning: true } : directives,
      );
  applyRequestEchoes(body, call, planned.reply);
  if (!stream) {
    if (directives.firstMs) await Bun.sleep(directives.firstMs);
    return jsonResponse(converseResponseBody(planned.reply), call.requestId);
  }
  const control = streamControlOf(call.script?.stream, directives);
  const events = converseStreamEvents(
    planned,
    control.chunkSize ?? DEFAULT_CHUNK_SIZE,
    control.omitMetadata,
  );
  return eventStreamResponse(events, control, streamHooks(call), {
    "x-amzn-requestid": call.requestId,
  });
}

interface PreparedInvoke {
  handler: InvokeHandler;
  request: InvokeRequest;
  resolved: ResolvedModel;
}

function prepareInvoke(call: Call): PreparedInvoke {
  const resolved = call.state.catalog.resolveRuntimeModel(call.modelId);
  const handler = findInvokeHandler(resolved.foundationModelId);
  if (!handler) {
    throw validationError(
      `The emulator has no InvokeModel handler for model ${resolved.foundationModelId}.`,
    );
  }
  const base = {
    modelId: call.modelId,
    foundationModelId: resolved.foundationModelId,
    body: call.record.body,
    rawBody: call.record.rawBody,
  };
  const directives = parseDirectives(handler.promptText(base));
  directiveError(directives);
  const request: InvokeRequest = {
    ...base,
    directives,
    promptCache: call.state.promptCache,
    ...(call.script?.reply ? { scriptedReply: call.script.reply } : {}),
  };
  return { handler, request, resolved };
}

export async function handleInvoke(call: Call): Promise<Response> {
  if (call.script?.invokeBody !== undefined) {
    call.state.catalog.resolveRuntimeModel(call.modelId);
    return jsonResponse(call.script.invokeBody, call.requestId);
  }
  const { handler, request } = prepareInvoke(call);
  const result = handler.respond(request);
  if (request.directives.firstMs) await Bun.sleep(request.directives.firstMs);
  return jsonResponse(result.body, call.requestId, {
    "x-amzn-bedrock-invocation-latency": "1",
    "x-amzn-bedrock-input-token-count": String(result.inputTokens),
    "x-amzn-bedrock-output-token-count": String(result.outputTokens),
  });
}

/** Each model-native chunk travels base64-encoded in a `chunk` event. */
function chunkEvents(chunks: unknown[]): StreamEvent[] {
  return chunks.map((chunk) => ({
    type: "chunk",
    payload: { bytes: Buffer.from(JSON.stringify(chunk)).toString("base64") },
  }));
}

export async function handleInvokeStream(call: Call): Promise<Response> {
  const { handler, request, resolved } = prepareInvoke(call);
  if (!handler.streamChunks || resolved.model?.responseStreamingSupported === false) {
    throw validationError(NO_STREAMING);
  }
  const control = streamControlOf(call.script?.stream, request.directives);
  const chunks = handler.streamChunks(request, control.chunkSize ?? DEFAULT_CHUNK_SIZE);
  return eventStreamResponse(chunkEvents(chunks), control, streamHooks(call), {
    "x-amzn-requestid": call.requestId,
    "x-amzn-bedrock-content-type": "application/json",
  });
}

/** CountTokens: the same deterministic count Converse / InvokeModel report as inputTokens. */
export async function handleCountTokens(call: Call): Promise<Response> {
  call.state.catalog.resolveCountTokensModel(call.modelId);
  const body = call.record.body;
  const input = isRecord(body) && isRecord(body.input) ? body.input : {};
  if (isRecord(input.converse)) {
    const invalid = validateConverseRequest(input.converse);
    if (invalid) throw validationError(invalid);
    return jsonResponse({ inputTokens: countConverseInputTokens(input.converse) }, call.requestId);
  }
  if (isRecord(input.invokeModel) && typeof input.invokeModel.body === "string") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(input.invokeModel.body, "base64").toString("utf8"));
    } catch {
      throw validationError("The provided request is not valid");
    }
    if (!isRecord(parsed)) throw validationError("The provided request is not valid");
    return jsonResponse({ inputTokens: countInvokeInputTokens(parsed) }, call.requestId);
  }
  throw validationError("The provided request is not valid");
}
