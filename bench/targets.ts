/**
 * What the benchmark calls: the emulator directly (the floor), our gateway,
 * and optionally Portkey's gateway, each asked for the same Bedrock work.
 *
 * The emulator's `[emu chunks=N]` prompt directive makes every stream exactly N
 * text deltas (N + 4 events with messageStart, contentBlockStop, messageStop and
 * metadata), so all three targets move the same bytes out of "Bedrock".
 *
 * @module
 */
import type { LoadSpec } from "./load";

export const BENCH_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

/**
 * - nonstream, stream20, stream200: back-to-back events (a whole stream in a
 *   few network reads): what the gateway costs per request at full tilt.
 * - paced: a realistic stream, 40 text deltas 20 ms apart (50 events/s, each
 *   in its own network read, so each is its own SSE write).
 * - slow: the scale run's stream (bench/scale.ts), one event per second, the first
 *   one too (a model's time to first token), so "time to first chunk within 10 %
 *   of the emulator's" compares queueing, not a 2 ms loopback round trip.
 */
export type Mode = "nonstream" | "stream20" | "stream200" | "paced" | "slow";

export const MODES: Mode[] = ["nonstream", "stream20", "stream200", "paced"];

/** Emulator directives per mode. */
const DIRECTIVES: Record<Mode, string> = {
  nonstream: "chunks=20",
  stream20: "chunks=20",
  stream200: "chunks=200",
  paced: "chunks=40 delay=20",
  slow: `chunks=${Number(process.env.BENCH_SLOW_EVENTS ?? 5)} first=1000 delay=1000`,
};

export function chunksOf(mode: Mode): number {
  return Number(/chunks=(\d+)/.exec(DIRECTIVES[mode])?.[1] ?? 20);
}

/** Upstream events of a stream: the text deltas plus messageStart, blockStop, messageStop, metadata. */
export function eventsOf(mode: Mode): number {
  return chunksOf(mode) + 4;
}

function isStream(mode: Mode): boolean {
  return mode !== "nonstream";
}

function prompt(mode: Mode): string {
  return `[emu ${DIRECTIVES[mode]}] Benchmark prompt: say something.`;
}

const ok = (status: number) => status === 200;

/** The emulator called like Bedrock, without a gateway: what any gateway must add to. */
export function floorSpec(emulatorUrl: string, mode: Mode): LoadSpec {
  const op = isStream(mode) ? "converse-stream" : "converse";
  return {
    url: `${emulatorUrl}/model/${encodeURIComponent(BENCH_MODEL)}/${op}`,
    // The emulator checks that an authorization header is present, not its signature.
    headers: { "content-type": "application/json", authorization: "Bearer bench" },
    body: JSON.stringify({
      messages: [{ role: "user", content: [{ text: prompt(mode) }] }],
      inferenceConfig: { maxTokens: 1024 },
    }),
    // The last event of a complete ConverseStream is `metadata`.
    check: isStream(mode) ? (s, tail) => ok(s) && tail.includes("metadata") : ok,
  };
}

function chatBody(mode: Mode): string {
  return JSON.stringify({
    model: BENCH_MODEL,
    messages: [{ role: "user", content: prompt(mode) }],
    max_tokens: 1024,
    stream: isStream(mode),
  });
}

const sseDone = (s: number, tail: string) => ok(s) && tail.includes("data: [DONE]");

/** Our gateway's OpenAI endpoint. */
export function gatewaySpec(gatewayUrl: string, mode: Mode): LoadSpec {
  return {
    url: `${gatewayUrl}/v1/chat/completions`,
    headers: { "content-type": "application/json" },
    body: chatBody(mode),
    check: isStream(mode) ? sseDone : ok,
  };
}

/** Portkey's gateway, told per request (its headers) to use Bedrock at the emulator. */
export function portkeySpec(portkeyUrl: string, emulatorUrl: string, mode: Mode): LoadSpec {
  return {
    url: `${portkeyUrl}/v1/chat/completions`,
    headers: {
      "content-type": "application/json",
      "x-portkey-provider": "bedrock",
      "x-portkey-aws-access-key-id": "AKIDBENCH",
      "x-portkey-aws-secret-access-key": "bench-secret",
      "x-portkey-aws-region": "us-east-1",
      "x-portkey-custom-host": emulatorUrl,
    },
    body: chatBody(mode),
    check: isStream(mode) ? sseDone : ok,
  };
}

/** SSE frames of a chat stream of n text deltas: role chunk, n deltas, finish chunk, [DONE]. */
export function chatFrames(n: number): number {
  return n + 3;
}

/**
 * Events of a Responses stream of n text deltas: created, in_progress,
 * output_item.added, content_part.added, n deltas, output_text.done,
 * content_part.done, output_item.done, completed.
 */
export function responsesEvents(n: number): number {
  return n + 8;
}

/**
 * Events of a Messages stream of n text deltas (Claude, native): message_start,
 * content_block_start, n deltas, content_block_stop, message_delta, message_stop.
 */
export function anthropicEvents(n: number): number {
  return n + 5;
}

/** Our gateway's Responses endpoint, the same work (store: false, as Codex sends). */
export function responsesSpec(gatewayUrl: string, mode: Mode): LoadSpec {
  return {
    url: `${gatewayUrl}/v1/responses`,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: BENCH_MODEL,
      input: prompt(mode),
      max_output_tokens: 1024,
      stream: isStream(mode),
      store: false,
    }),
    // The tail is the end of response.completed's Response object: only it has completed_at set.
    check: isStream(mode) ? (s, tail) => ok(s) && /"completed_at":\d+\}\}\s*$/.test(tail) : ok,
  };
}

/**
 * Our gateway's Anthropic endpoint: the same model and prompt, natively through
 * InvokeModelWithResponseStream (N deltas + 5 events per stream instead of N + 4).
 */
export function anthropicSpec(gatewayUrl: string, mode: Mode): LoadSpec {
  return {
    url: `${gatewayUrl}/v1/messages`,
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({
      model: BENCH_MODEL,
      messages: [{ role: "user", content: prompt(mode) }],
      max_tokens: 1024,
      stream: isStream(mode),
    }),
    check: isStream(mode) ? (s, tail) => ok(s) && tail.includes("event: message_stop") : ok,
  };
}
