/**
 * The one runner every surface calls: it resolves the model (catalog
 * capabilities), fetches remote media, translates the conversation, calls
 * Bedrock with the timeouts, abort wiring and shutdown signal, and taps every
 * upstream event for observability. Surfaces only decode and encode.
 *
 * Retries: the BedrockRuntime port retries (the SDK's standard strategy,
 * AWS_MAX_ATTEMPTS, on both transports) only until a stream's first event;
 * the runner awaits that first event before a surface commits to a 200, so
 * an error up to then still gets a real HTTP status, and nothing after it is
 * ever retried (no duplicated output).
 *
 * @module
 */
import type { ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import { callSignal } from "../abort";
import type { BedrockRuntime } from "../bedrock/runtime";
import type { Config } from "../config";
import type { Conversation, ConversationResult } from "../conversation";
import { mappedWarning } from "../models/openai-names";
import type { ModelResolver, ResolvedModel } from "../models/resolver";
import type { RequestObs, StreamOutcome } from "../observability/request-obs";
import { encodeBatches, type StreamEncoder } from "./events";
import { resolveMedia } from "./media";
import { resultOf } from "./result";
import { adaptResult, streamAdapterFor } from "./structured-output";
import { type Translation, toConverseInput } from "./translate";

export interface RunnerDeps {
  config: Config;
  runtime: BedrockRuntime;
  models: ModelResolver;
}

/** A prepared call: the Converse input is ready, nothing was sent yet. */
export interface PreparedCall {
  model: ResolvedModel;
  translation: Translation;
  /** Warnings for the client: the surface's own, then the translation's. */
  warnings: string[];
}

/** A stream whose first event has arrived: encode it, frame it, end it once. */
export interface StreamRun<T> {
  /** Wire items per upstream read; throws a GatewayError when the stream fails. */
  batches: AsyncGenerator<T[]>;
  /** When upstream last sent an event (ms since epoch): idle timeout and keep-alive. */
  lastActivity(): number;
  /** Cancels the upstream request (client gone, idle timeout, shutdown). */
  abort(): void;
  /** Fires when the server's shutdown deadline passes. */
  shutdown: AbortSignal;
  /** Call once when the response ends, however it ends. */
  end(outcome: StreamOutcome): void;
}

export class ConverseRunner {
  constructor(private readonly deps: RunnerDeps) {}

  /** The model a request names (absent: the default), with its capabilities. */
  resolveModel(requested: string | undefined, obs: RequestObs): ResolvedModel {
    const model = this.deps.models.resolve(requested, "chat");
    // Also a virtual key's allow-list check (403 before any Bedrock call), by id, asked name and catalog name.
    obs.useModel(model.id, requested, model.name);
    return model;
  }

  /**
   * Fetches remote media (I/O, guarded), then translates. Throws
   * InvalidRequestError for anything Bedrock would reject.
   */
  async prepare(
    conversation: Conversation,
    model: ResolvedModel,
    surfaceWarnings: string[] = [],
  ): Promise<PreparedCall> {
    const { config } = this.deps;
    const resolved = await resolveMedia(conversation, {
      timeoutMs: config.imageFetchTimeoutMs,
      maxBytes: config.imageMaxBytes,
      allowPrivate: config.imageFetchAllowPrivate,
      allowHosts: config.imageFetchAllowHosts,
    });
    const translation = toConverseInput(resolved, {
      modelId: model.id,
      caps: model.caps,
      defaults: { promptCaching: config.enablePromptCaching, guardrail: config.guardrail },
    });
    // An OpenAI model name served by DEFAULT_MODEL (models/openai-names.ts) says so.
    const mapped = model.mappedFrom
      ? [mappedWarning(model.mappedFrom, model.name ?? model.id)]
      : [];
    return {
      model,
      translation,
      warnings: [...mapped, ...surfaceWarnings, ...translation.warnings],
    };
  }

  /** Converse: the whole answer, bounded by REQUEST_TIMEOUT_MS, the client and shutdown. */
  async complete(
    call: PreparedCall,
    clientSignal: AbortSignal,
    obs: RequestObs,
  ): Promise<ConversationResult> {
    const bound = callSignal(clientSignal, obs.shutdownSignal, this.deps.config.requestTimeoutMs);
    const out = await this.deps.runtime
      .converse(call.translation.input, bound.signal)
      .catch((err: unknown) => {
        // Interrupted by a shutdown deadline: say so, not "Bedrock timed out".
        throw obs.shutdownSignal.aborted ? obs.shutdownSignal.reason : err;
      })
      .finally(bound.release);
    obs.recordUsage(out.usage);
    obs.bedrockRequestId = out.$metadata.requestId;
    return adaptResult(resultOf(out), call.translation.structured);
  }

  /**
   * ConverseStream: resolves once the first event is in (errors until then
   * reject, for a real HTTP status), bounded by REQUEST_TIMEOUT_MS; after
   * that the SSE layer's idle timeout governs.
   */
  async stream<T>(
    call: PreparedCall,
    clientSignal: AbortSignal,
    obs: RequestObs,
    encoder: StreamEncoder<T>,
  ): Promise<StreamRun<T>> {
    const upstream = new AbortController();
    const abort = () => upstream.abort();
    clientSignal.addEventListener("abort", abort, { once: true });
    const firstEventTimer = setTimeout(abort, this.deps.config.requestTimeoutMs);
    let events: AsyncIterable<ConverseStreamOutput>;
    try {
      ({ stream: events, requestId: obs.bedrockRequestId } = await this.deps.runtime.converseStream(
        call.translation.input,
        upstream.signal,
      ));
    } catch (err) {
      clientSignal.removeEventListener("abort", abort);
      throw err;
    } finally {
      clearTimeout(firstEventTimer);
    }
    let lastUpstreamEvent = Date.now();
    const plan = call.translation.structured;
    const batches = encodeBatches(events, encoder, {
      tap: (ev) => {
        lastUpstreamEvent = Date.now();
        obs.tapEvent(ev);
      },
      ...(plan.mode === "tool" ? { adapt: (sink) => streamAdapterFor(plan, sink) } : {}),
    });
    obs.beginStream();
    return {
      batches,
      lastActivity: () => lastUpstreamEvent,
      abort,
      shutdown: obs.shutdownSignal,
      end: (outcome) => {
        clientSignal.removeEventListener("abort", abort);
        obs.endStream(outcome);
      },
    };
  }
}
