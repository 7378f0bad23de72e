/**
 * Anthropic's stream framing for the shared SSE pump (http/sse.ts): named
 * events (`event: x` + `data: {…}`), a `ping` event during silences, and
 * `event: error` (then close, no `message_stop`) when the stream fails after it
 * started.
 *
 * Items carry their data as JSON text: on the native path that is Claude's own
 * event as Bedrock delivered it, framed without a parse-and-stringify round trip.
 *
 * @module
 */
import type { SseFraming } from "../../http/sse";
import { anthropicErrorRender } from "./errors";

/** One Anthropic stream event: its type (the SSE event name) and its JSON text. */
export interface AnthropicSseEvent {
  event: string;
  data: string;
}

export const ANTHROPIC_FRAMING: SseFraming<AnthropicSseEvent> = {
  frame: (e) => `event: ${e.event}\ndata: ${e.data}\n\n`,
  keepalive: 'event: ping\ndata: {"type": "ping"}\n\n',
  error: (err) => `event: error\ndata: ${JSON.stringify(anthropicErrorRender(err))}\n\n`,
};
