/**
 * Bedrock ConverseStream events → OpenAI ChatCompletionChunks, as an async
 * generator. Pure apart from pulling the upstream iterator: no framing, no
 * timers, no HTTP. SSE framing is a separate step (`sse.ts`).
 *
 * Rules the generator enforces:
 * - the role comes once, on the first chunk;
 * - tool calls get dense indexes 0, 1, 2… in arrival order, whatever text or
 *   reasoning blocks come before them; the first delta of a call carries id,
 *   type and name;
 * - exactly one chunk carries finish_reason, emitted once `metadata` (the last
 *   event) has arrived; a usage chunk with `choices: []` follows only when asked;
 * - an upstream that ends without messageStop and metadata is an error, never a
 *   success (a dropped connection can end the SDK's iterator silently).
 *
 * @module
 */
import type { ConverseStreamOutput, TokenUsage } from "@aws-sdk/client-bedrock-runtime";
import { fromBedrockError, GatewayError } from "../errors";
import { type CompletionMeta, finishReason, toUsage } from "./from-converse";
import { responseExtras } from "./native-controls";
import { ThinkingStream } from "./reasoning";
import type { ChatCompletionChunk, ChunkDelta, FinishReason } from "./types";

export interface StreamOptions {
  includeUsage: boolean;
  /** Called for every upstream event, including those that yield no chunk (idle tracking). */
  onEvent?: () => void;
}

/** Thrown when Bedrock's stream ends before its final events. */
export class IncompleteStreamError extends GatewayError {
  override name = "IncompleteStreamError";
  constructor() {
    super(502, "The Bedrock stream ended before the response was complete.", {
      code: "upstream_incomplete",
    });
  }
}

export async function* toChunks(
  events: AsyncIterable<ConverseStreamOutput>,
  meta: CompletionMeta,
  opts: StreamOptions,
): AsyncGenerator<ChatCompletionChunk> {
  const chunk = (delta: ChunkDelta, finish: FinishReason | null = null): ChatCompletionChunk => {
    const c: ChatCompletionChunk = {
      id: meta.id,
      object: "chat.completion.chunk",
      created: meta.created,
      model: meta.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    };
    // OpenAI: with include_usage, every chunk but the last carries usage: null.
    if (opts.includeUsage) c.usage = null;
    return c;
  };

  let roleSent = false;
  const withRole = (delta: ChunkDelta): ChunkDelta => {
    if (roleSent) return delta;
    roleSent = true;
    return { role: "assistant", content: "", refusal: null, ...delta };
  };

  /** contentBlockIndex → dense tool-call index. */
  const toolIndex = new Map<number, number>();
  let stopReason: string | undefined;
  let usage: TokenUsage | undefined;
  let stopped = false;
  let finished = false;
  const thinking = new ThinkingStream();
  let responseFields: unknown;

  try {
    for await (const ev of events) {
      opts.onEvent?.();
      if (ev.messageStart) {
        if (!roleSent) yield chunk(withRole({}));
      } else if (ev.contentBlockStart) {
        const tool = ev.contentBlockStart.start?.toolUse;
        if (tool) {
          const index = toolIndex.size;
          toolIndex.set(ev.contentBlockStart.contentBlockIndex ?? -1, index);
          yield chunk(
            withRole({
              tool_calls: [
                {
                  index,
                  id: tool.toolUseId ?? "",
                  type: "function",
                  function: { name: tool.name ?? "", arguments: "" },
                },
              ],
            }),
          );
        }
      } else if (ev.contentBlockDelta) {
        const { delta, contentBlockIndex } = ev.contentBlockDelta;
        if (delta?.text !== undefined) {
          if (delta.text !== "") yield chunk(withRole({ content: delta.text }));
        } else if (delta?.reasoningContent) {
          const out = thinking.delta(contentBlockIndex ?? -1, delta.reasoningContent);
          if (out) yield chunk(withRole(out));
        } else if (delta?.toolUse) {
          const index = toolIndex.get(contentBlockIndex ?? -1);
          // Bedrock always opens a tool block with contentBlockStart; a delta without one is ignored.
          if (index !== undefined && delta.toolUse.input) {
            yield chunk(
              withRole({ tool_calls: [{ index, function: { arguments: delta.toolUse.input } }] }),
            );
          }
        }
        // Other deltas (signatures, citations, images) carry nothing for this shape.
      } else if (ev.messageStop) {
        stopped = true;
        stopReason = ev.messageStop.stopReason;
        responseFields = ev.messageStop.additionalModelResponseFields;
      } else if (ev.metadata) {
        usage = ev.metadata.usage;
        if (!stopped) throw new IncompleteStreamError();
        finished = true;
        // service_tier and Bedrock's trace / response fields ride on the last chunks.
        const extras = responseExtras({
          trace: ev.metadata.trace,
          serviceTier: ev.metadata.serviceTier,
          additionalModelResponseFields: responseFields,
        });
        yield { ...chunk(withRole({}), finishReason(stopReason)), ...extras };
        if (opts.includeUsage) {
          yield { ...chunk({}), choices: [], usage: toUsage(usage), ...extras };
        }
      } else {
        const member = Object.keys(ev).find((k) => k !== "$unknown");
        const payload = member ? (ev as unknown as Record<string, unknown>)[member] : undefined;
        if (member?.endsWith("Exception"))
          throw Object.assign(new Error(messageOf(payload)), { name: member });
      }
    }
  } catch (err) {
    throw fromBedrockError(err);
  }
  if (!finished) throw new IncompleteStreamError();
}

function messageOf(payload: unknown): string {
  if (typeof payload === "object" && payload !== null && "message" in payload)
    return String(payload.message);
  return "";
}
