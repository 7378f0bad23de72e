/**
 * @module
 * Starts the Bedrock emulator on Bun.serve (HTTP/1.1).
 *
 * Clients MUST use an HTTP/1.1 request handler: `FetchHttpHandler` (@smithy/fetch-http-handler,
 * recommended on Bun) or `NodeHttpHandler`. The default BedrockRuntimeClient handler speaks
 * h2c with prior knowledge on http:// endpoints, which Bun.serve cannot answer; the emulator
 * deliberately does not implement an h2 multiplexer. The control-plane BedrockClient already
 * uses HTTP/1.1 by default.
 *
 * `idleTimeout: 0` is required: Bun's default (10 s) resets a streaming response that goes
 * quiet for longer, and also a reply held back by `delayMs` / `first=`. Verified on Bun 1.4.5
 * (idleTimeout 2 → ECONNRESET after ~4 s; idleTimeout 0 → a 6 s gap streams fine).
 */
import { createApp } from "./app";
import { DEFAULT_ACCOUNT_ID, DEFAULT_REGION } from "./fixtures";
// Side effect: registers the embedding families' InvokeModel handlers.
import "./invoke-embeddings";
import { createState, noteSocket, resetState } from "./state";
import type { Emulator, EmulatorOptions } from "./types";

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const state = createState(
    options.region ?? DEFAULT_REGION,
    options.accountId ?? DEFAULT_ACCOUNT_ID,
  );
  const app = createApp(state);
  const server = Bun.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    idleTimeout: 0,
    fetch(request, srv) {
      const ip = srv.requestIP(request);
      if (ip) noteSocket(state, ip.address, ip.port);
      return app.fetch(request);
    },
  });
  const port = server.port ?? 0;
  const host = server.hostname?.includes(":") ? `[${server.hostname}]` : server.hostname;
  return {
    url: `http://${host}:${port}`,
    port,
    requests: state.requests,
    stats: state.stats,
    enqueue: (...scripts) => state.scripts.enqueue(...scripts),
    setCatalog: (catalog) => state.catalog.set(catalog),
    reset: () => resetState(state),
    stop: async () => {
      await server.stop(true);
    },
  };
}
