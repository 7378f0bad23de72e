/**
 * Per-request observations: the facts routes learn (model, tokens, time to
 * first token, Bedrock request id, errors) gathered in one object on
 * `c.var.obs`, so the access log line and the metrics can be written once,
 * when the request is really over. For a stream that is when the stream
 * ends, long after the handler returned; {@link RequestObs.settled} says when.
 *
 * Never put prompts, completions or keys here.
 *
 * @module
 */
import type { ConverseStreamOutput, TokenUsage } from "@aws-sdk/client-bedrock-runtime";
import type { GatewayError } from "../errors";
import { assertModel, type Principal } from "../state/principal";

export interface StreamOutcome {
  error?: GatewayError;
  cancelled: boolean;
}

export class RequestObs {
  /** performance.now() when the request arrived. */
  readonly startedAt = performance.now();
  /** Who is calling (set by the auth middleware); absent on unauthenticated routes. */
  principal: Principal | undefined;
  #model: string | undefined;
  /** Prompt tokens as the client sees them (input + cache read + cache write). */
  tokensIn: number | undefined;
  tokensOut: number | undefined;
  /** Of tokensIn: read from and written to Bedrock's prompt cache (usage records keep them apart). */
  cacheReadTokens: number | undefined;
  cacheWriteTokens: number | undefined;
  /**
   * Set once the request was sent on to Bedrock (usage counts it as a request,
   * and as an error if it then fails). Also implied by a Bedrock request id,
   * reported tokens or a Bedrock exception.
   */
  upstreamCalled = false;
  /** Characters of text, tool input and reasoning streamed so far (an estimate when a stream ends without usage). */
  streamedChars = 0;
  /** The request body's size (content-length), for the same estimate. */
  requestBytes = 0;
  /** Milliseconds from arrival to the first content delta of a stream. */
  ttftMs: number | undefined;
  bedrockRequestId: string | undefined;
  /** Claude Code's `x-claude-code-session-id`, for attribution in the access log. */
  sessionId: string | undefined;
  /** A refusal answered without throwing (auth and limits, rendered in the surface's shape). */
  refusal: GatewayError | undefined;
  /** An error that ended a stream after its 200 was sent. */
  streamError: GatewayError | undefined;
  /** The client went away before the stream ended. */
  cancelled = false;
  #streaming = false;
  #resolveSettled!: () => void;
  /** Resolves once: when the response is complete (for a stream, when it ends). */
  readonly settled = new Promise<void>((resolve) => {
    this.#resolveSettled = resolve;
  });

  constructor(
    /** Aborted when a shutdown deadline passes. */
    readonly shutdownSignal: AbortSignal = new AbortController().signal,
  ) {}

  get streaming(): boolean {
    return this.#streaming;
  }

  /** The Bedrock model id the request resolved to. */
  get model(): string | undefined {
    return this.#model;
  }

  /**
   * Every surface sets this right after resolving the model and before calling
   * Bedrock, so this is where a virtual key's allow-list is enforced.
   * @throws ModelNotAllowedError (403) when the principal may not use it
   */
  set model(id: string | undefined) {
    if (id !== undefined) assertModel(this.principal, id);
    this.#model = id;
  }

  /**
   * Like `obs.model = resolved.id`, also matching the allow-list against the
   * name the client asked for and the catalog's name (aliases, profile names).
   * @throws ModelNotAllowedError (403)
   */
  useModel(id: string, ...names: Array<string | undefined>): void {
    assertModel(this.principal, id, ...names);
    this.#model = id;
  }

  /** Records Bedrock token usage (Converse or ConverseStream metadata). */
  recordUsage(usage: TokenUsage | undefined): void {
    if (!usage) return;
    // Bedrock's inputTokens excludes cache reads and writes; clients count them.
    this.tokensIn =
      (usage.inputTokens ?? 0) +
      (usage.cacheReadInputTokens ?? 0) +
      (usage.cacheWriteInputTokens ?? 0);
    this.tokensOut = usage.outputTokens ?? 0;
    this.cacheReadTokens = usage.cacheReadInputTokens ?? 0;
    this.cacheWriteTokens = usage.cacheWriteInputTokens ?? 0;
    this.upstreamCalled = true;
  }

  /**
   * Notes the first content delta (time to first token) and the usage in the
   * final metadata event. Synchronous, for the fused stream loop (encodeBatches).
   */
  readonly tapEvent = (ev: ConverseStreamOutput): void => {
    const d = ev.contentBlockDelta?.delta;
    if (d) {
      if (this.ttftMs === undefined) this.ttftMs = performance.now() - this.startedAt;
      this.streamedChars +=
        (d.text?.length ?? 0) +
        (d.toolUse?.input?.length ?? 0) +
        (d.reasoningContent?.text?.length ?? 0);
    } else if (ev.contentBlockStart?.start?.toolUse && this.ttftMs === undefined) {
      this.ttftMs = performance.now() - this.startedAt;
    } else if (ev.metadata) {
      this.recordUsage(ev.metadata.usage);
    }
  };

  /** The handler is about to return a streaming body: the request ends with {@link endStream}. */
  beginStream(): void {
    this.#streaming = true;
  }

  /** Called from the SSE framer's onEnd. */
  endStream(outcome: StreamOutcome): void {
    this.streamError = outcome.error;
    this.cancelled = outcome.cancelled;
    this.#resolveSettled();
  }

  /** Called by the access-log middleware once the handler returned a non-stream response. */
  finishUnlessStreaming(): void {
    if (!this.#streaming) this.#resolveSettled();
  }
}
