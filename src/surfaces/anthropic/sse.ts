/**
 * Anthropic's stream on the wire: named events (`event: x` + `data: {…}`),
 * `ping` events during silences, and `event: error` (then close, no
 * `message_stop`) when the stream fails after it started. Framed by the shared
 * SSE pump (chat/sse.ts) with this format.
 *
 * @module
 */
import type { SseFormat } from "../../chat/sse";
import { toGatewayError } from "../../errors";
import { anthropicErrorBody, toAnthropicError } from "./errors";

/** One Anthropic stream event: its type (the SSE event name) and its JSON text. */
export interface NamedEvent {
  event: string;
  data: string;
}

const encoder = new TextEncoder();

export function namedFrame(e: NamedEvent): string {
  return `event: ${e.event}\ndata: ${e.data}\n\n`;
}

export const ANTHROPIC_SSE: SseFormat<NamedEvent> = {
  frames(batch) {
    let text = "";
    for (const e of batch) text += namedFrame(e);
    return encoder.encode(text);
  },
  keepalive: encoder.encode('event: ping\ndata: {"type": "ping"}\n\n'),
  done: new Uint8Array(0),
  error(err) {
    const body = anthropicErrorBody(toAnthropicError(err));
    return {
      bytes: encoder.encode(namedFrame({ event: "error", data: JSON.stringify(body) })),
      error: toGatewayError(err),
    };
  },
};
