/**
 * Prometheus metrics on prom-client, one registry per gateway (never the
 * library's global one, so several gateways in one test process do not mix).
 *
 * Labels stay low-cardinality: `route` is the registered route pattern (or
 * "unmatched"), `model` is set only for requests Bedrock could have served
 * (2xx, 429, 5xx), never for the arbitrary strings of rejected requests.
 *
 * @module
 */
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type Registry as PromRegistry,
  Registry,
} from "prom-client";

export interface GatewayMetricsOptions {
  /** Also export process_* and nodejs_* metrics (CPU, memory, event-loop lag). */
  processMetrics?: boolean;
  /** Sampled at scrape time: API requests holding a concurrency slot. */
  upstreamInFlight?: () => number;
  /** Sampled at scrape time: Bedrock calls in flight, waiting for a fetch slot, and the limit. */
  upstreamCalls?: () => {
    inFlight: number;
    queued: number;
    fetchCap: number;
    /** Calls on the raw transport's own sockets (UPSTREAM_HTTP=socket), not subject to the fetch limit. */
    onSockets?: number;
  };
}

/** Seconds; LLM calls run from sub-second to minutes. */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600];
const TTFT_BUCKETS = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 8, 13, 20, 30, 60];

export interface RequestSample {
  route: string;
  method: string;
  status: number;
  model: string;
  stream: boolean;
  latencySeconds: number;
  ttftSeconds: number | undefined;
  tokensIn: number | undefined;
  tokensOut: number | undefined;
}

/** Virtual keys with their own per-key series; later keys share key_id="other". */
export const MAX_KEY_SERIES = 200;

export class GatewayMetrics {
  readonly registry: PromRegistry = new Registry();
  readonly #requests: Counter<"route" | "method" | "status" | "model">;
  readonly #latency: Histogram<"route" | "stream">;
  readonly #ttft: Histogram<"model">;
  readonly #tokens: Counter<"model" | "direction">;
  readonly #bedrockErrors: Counter<"exception" | "model">;
  readonly #streams: Gauge;
  readonly #cancelled: Counter<"route" | "stage">;
  readonly #keyRequests: Counter<"key_id" | "outcome">;
  readonly #keyTokens: Counter<"key_id" | "direction">;
  readonly #keyRejected: Counter<"key_id" | "reason">;
  readonly #keyLabels = new Set<string>();

  constructor(opts: GatewayMetricsOptions = {}) {
    const registers = [this.registry];
    this.#requests = new Counter({
      name: "gateway_requests_total",
      help: "HTTP requests by route, method, status and Bedrock model.",
      labelNames: ["route", "method", "status", "model"],
      registers,
    });
    this.#latency = new Histogram({
      name: "gateway_request_duration_seconds",
      help: "Time from request arrival to the end of the response (for streams, the end of the stream).",
      labelNames: ["route", "stream"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.#ttft = new Histogram({
      name: "gateway_time_to_first_token_seconds",
      help: "Streams: time from request arrival to the first content delta from Bedrock.",
      labelNames: ["model"],
      buckets: TTFT_BUCKETS,
      registers,
    });
    this.#tokens = new Counter({
      name: "gateway_tokens_total",
      help: "Tokens Bedrock reported, by model and direction (input = prompt incl. cache, output = completion).",
      labelNames: ["model", "direction"],
      registers,
    });
    this.#bedrockErrors = new Counter({
      name: "gateway_bedrock_errors_total",
      help: "Bedrock failures by exception name (HTTP errors and mid-stream exception frames).",
      labelNames: ["exception", "model"],
      registers,
    });
    this.#streams = new Gauge({
      name: "gateway_streams_in_flight",
      help: "SSE streams currently open.",
      registers,
    });
    this.#cancelled = new Counter({
      name: "gateway_requests_cancelled_total",
      help: "Requests whose client went away: before the response (stage=response) or during its stream (stage=stream). Not errors: no 5xx, no Bedrock error.",
      labelNames: ["route", "stage"],
      registers,
    });
    this.#keyRequests = new Counter({
      name: "gateway_key_requests_total",
      help: `Requests sent to Bedrock per virtual key (outcome ok/error); after ${MAX_KEY_SERIES} keys, key_id="other".`,
      labelNames: ["key_id", "outcome"],
      registers,
    });
    this.#keyTokens = new Counter({
      name: "gateway_key_tokens_total",
      help: "Tokens per virtual key and direction (input incl. cache, output).",
      labelNames: ["key_id", "direction"],
      registers,
    });
    this.#keyRejected = new Counter({
      name: "gateway_key_rejected_total",
      help: "Requests of a virtual key refused before Bedrock, by reason (requests, tokens, budget).",
      labelNames: ["key_id", "reason"],
      registers,
    });
    const upstream = opts.upstreamInFlight;
    new Gauge({
      name: "gateway_requests_in_flight",
      help: "API requests holding a concurrency slot (streams until they end).",
      registers,
      collect() {
        this.set(upstream?.() ?? 0);
      },
    });
    const calls = opts.upstreamCalls;
    new Gauge({
      name: "gateway_upstream_requests_in_flight",
      help: "Bedrock runtime calls in flight (a stream until it ends).",
      registers,
      collect() {
        this.set(calls?.().inFlight ?? 0);
      },
    });
    new Gauge({
      name: "gateway_upstream_requests_queued",
      help: "Bedrock calls over fetch beyond Bun's fetch limit, waiting inside fetch for a slot (should stay 0).",
      registers,
      collect() {
        this.set(calls?.().queued ?? 0);
      },
    });
    new Gauge({
      name: "gateway_upstream_socket_requests_in_flight",
      help: "Bedrock requests on the gateway's own HTTP/1.1 sockets (UPSTREAM_HTTP=socket): not fetches, no fetch limit.",
      registers,
      collect() {
        this.set(calls?.().onSockets ?? 0);
      },
    });
    new Gauge({
      name: "gateway_upstream_fetch_limit",
      help: "Bun's per-process fetch limit this process runs with (BUN_CONFIG_MAX_HTTP_REQUESTS).",
      registers,
      collect() {
        this.set(calls?.().fetchCap ?? 0);
      },
    });
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  streamOpened(): void {
    this.#streams.inc();
  }

  streamClosed(): void {
    this.#streams.dec();
  }

  observeRequest(s: RequestSample): void {
    this.#requests.inc({
      route: s.route,
      method: s.method,
      status: String(s.status),
      model: s.model,
    });
    this.#latency.observe({ route: s.route, stream: String(s.stream) }, s.latencySeconds);
    if (s.ttftSeconds !== undefined) this.#ttft.observe({ model: s.model }, s.ttftSeconds);
    if (s.tokensIn !== undefined)
      this.#tokens.inc({ model: s.model, direction: "input" }, s.tokensIn);
    if (s.tokensOut !== undefined)
      this.#tokens.inc({ model: s.model, direction: "output" }, s.tokensOut);
  }

  requestCancelled(route: string, duringStream: boolean): void {
    this.#cancelled.inc({ route, stage: duringStream ? "stream" : "response" });
  }

  /** Bounded label: the first MAX_KEY_SERIES key ids seen keep their own series. */
  #keyLabel(keyId: string): string {
    if (this.#keyLabels.has(keyId)) return keyId;
    if (this.#keyLabels.size >= MAX_KEY_SERIES) return "other";
    this.#keyLabels.add(keyId);
    return keyId;
  }

  keyRequest(
    keyId: string,
    u: {
      error: boolean;
      inputTokens: number;
      outputTokens: number;
      cacheReadTokens: number;
      cacheWriteTokens: number;
    },
  ): void {
    const key_id = this.#keyLabel(keyId);
    this.#keyRequests.inc({ key_id, outcome: u.error ? "error" : "ok" });
    const input = u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens;
    if (input > 0) this.#keyTokens.inc({ key_id, direction: "input" }, input);
    if (u.outputTokens > 0) this.#keyTokens.inc({ key_id, direction: "output" }, u.outputTokens);
  }

  keyRejected(keyId: string, reason: string): void {
    this.#keyRejected.inc({ key_id: this.#keyLabel(keyId), reason });
  }

  bedrockError(exception: string, model: string): void {
    this.#bedrockErrors.inc({ exception, model });
  }

  /** The exposition text and its content type, for GET /metrics. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
