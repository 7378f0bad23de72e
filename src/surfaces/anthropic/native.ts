/**
 * Claude on Bedrock, natively: the client's Messages body (filtered, see
 * betas.ts) goes to InvokeModel / InvokeModelWithResponseStream, and Claude's
 * own answer comes back as Anthropic JSON or Anthropic stream events, so
 * Anthropic-only features (cache_control ttl, thinking display, interleaved
 * thinking, context_management, tool types, citations, documents) pass unchanged.
 *
 * @module
 */
import type { TokenUsage } from "@aws-sdk/client-bedrock-runtime";
import {
  type InvokeChunk,
  invokeChunkBatches,
  invokeError,
  isOk,
  type NativeInvoker,
} from "../../bedrock/native-invoke";
import type { BodyReader } from "../../bedrock/raw/http1";
import { IncompleteStreamError } from "../../converse/events";
import type { AnthropicSseEvent as NamedEvent } from "./sse";

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Anthropic usage → Converse's shape, for the access log and metrics. */
export function converseUsage(u: unknown): TokenUsage | undefined {
  if (!isRecord(u)) return undefined;
  const n = (v: unknown) => (typeof v === "number" ? v : 0);
  const inputTokens = n(u.input_tokens);
  const outputTokens = n(u.output_tokens);
  return {
    inputTokens,
    outputTokens,
    totalTokens: inputTokens + outputTokens,
    cacheReadInputTokens: n(u.cache_read_input_tokens),
    cacheWriteInputTokens: n(u.cache_creation_input_tokens),
  };
}

export interface NativeCall {
  /** Bedrock model id (foundation, profile or ARN). */
  modelId: string;
  /** The body for Bedrock (already filtered). */
  body: Json;
  /** The name the client sent: the response's `model` echoes it. */
  clientModel: string;
}

export interface NativeMessage {
  message: Json;
  requestId: string | undefined;
}

/** InvokeModel: Claude's message, `model` set to the client's name. */
export async function invokeMessage(
  invoker: NativeInvoker,
  call: NativeCall,
  signal: AbortSignal,
): Promise<NativeMessage> {
  const res = await invoker.invoke(call.modelId, JSON.stringify(call.body), {
    stream: false,
    signal,
  });
  if (!isOk(res)) throw await invokeError(res);
  const message = JSON.parse(await res.text()) as Json;
  message.model = call.clientModel;
  return { message, requestId: res.headers.get("x-amzn-requestid") ?? undefined };
}

export interface StreamTap {
  /** Called for every event (usage, time to first token); `value` only where parsed. */
  onEvent(type: string, value: Json | undefined): void;
}

export interface NativeStream {
  events: AsyncIterator<readonly NamedEvent[]>;
  requestId: string | undefined;
}

/** A chunk → the SSE event the client gets. */
function toNamed(chunk: InvokeChunk, clientModel: string): NamedEvent {
  const { type, value } = chunk;
  if (type === "message_start" && isRecord(value?.message)) {
    value.message.model = clientModel;
    return { event: type, data: JSON.stringify(value) };
  }
  // Bedrock's amazon-bedrock-invocationMetrics is not Anthropic's.
  if (type === "message_stop") return { event: type, data: '{"type":"message_stop"}' };
  return { event: type, data: chunk.text };
}

/**
 * InvokeModelWithResponseStream: resolves once the first events are in hand, so
 * an HTTP error or a first-frame exception still gets a real status. The event
 * iterator throws on a later exception frame and when the stream ends without
 * `message_stop` (a dropped upstream is never a clean end).
 */
export async function invokeStream(
  invoker: NativeInvoker,
  call: NativeCall,
  signal: AbortSignal,
  tap: StreamTap,
): Promise<NativeStream> {
  const res = await invoker.invoke(call.modelId, JSON.stringify(call.body), {
    stream: true,
    signal,
  });
  if (!isOk(res)) throw await invokeError(res);
  let body: BodyReader;
  try {
    body = res.reader();
  } catch {
    throw new IncompleteStreamError(); // no body at all (fetch's null body)
  }
  const batches = invokeChunkBatches(body);
  let stopped = false;
  const convert = (r: IteratorResult<InvokeChunk[]>): IteratorResult<readonly NamedEvent[]> => {
    if (r.done) {
      if (!stopped) throw new IncompleteStreamError();
      return { done: true, value: undefined };
    }
    const out: NamedEvent[] = [];
    for (const chunk of r.value) {
      const named = toNamed(chunk, call.clientModel);
      if (named.event === "message_stop") stopped = true;
      tap.onEvent(named.event, chunk.value);
      out.push(named);
    }
    return { done: false, value: out };
  };
  const first = convert(await batches.next());
  let head: IteratorResult<readonly NamedEvent[]> | undefined = first;
  // Plain functions, not async ones: one promise per network read (the generator's), as on
  // the Converse path's iterators (bench/README.md, "Session 3: surfaces").
  const events: AsyncIterator<readonly NamedEvent[]> = {
    next: () => {
      if (head) {
        const r = head;
        head = undefined;
        return Promise.resolve(r);
      }
      return batches.next().then(convert);
    },
    return: () => batches.return(undefined).then(() => ({ done: true as const, value: undefined })),
  };
  return { events, requestId: res.headers.get("x-amzn-requestid") ?? undefined };
}
