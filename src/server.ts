/**
 * Wires configuration, Bedrock clients and the app into a running Bun server.
 *
 * @module
 */
import type { Server } from "bun";
import { type AppDeps, createApp } from "./app";
import { createRuntimeClient, SdkBedrockRuntime } from "./bedrock/runtime";
import type { Config } from "./config";
import { createLogger, type Logger } from "./log";
import { StaticModelResolver } from "./models/resolver";

export interface GatewayOverrides {
  /** Point the Bedrock clients somewhere else (tests: the emulator). */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  logger?: Logger;
}

export interface Gateway {
  server: Server<unknown>;
  url: string;
  deps: AppDeps;
  stop(): Promise<void>;
}

/** Builds the production dependencies from config. */
export function buildDeps(config: Config, overrides: GatewayOverrides = {}): AppDeps {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const runtimeClient = createRuntimeClient({
    region: config.region,
    maxAttempts: config.maxAttempts,
    ...(overrides.endpoint ? { endpoint: overrides.endpoint } : {}),
    ...(overrides.credentials ? { credentials: overrides.credentials } : {}),
  });
  return {
    config,
    logger,
    runtime: new SdkBedrockRuntime(runtimeClient),
    models: new StaticModelResolver({
      defaultModel: config.defaultModel,
      defaultEmbeddingModel: config.defaultEmbeddingModel,
      aliases: config.modelAliases,
    }),
  };
}

export function startGateway(config: Config, overrides: GatewayOverrides = {}): Gateway {
  const deps = buildDeps(config, overrides);
  const app = createApp(deps);
  const server = Bun.serve({
    port: config.port,
    hostname: config.host,
    // Long Bedrock calls disable the timer per request; this bounds idle keep-alive sockets.
    idleTimeout: 60,
    fetch: (req, srv) => app.fetch(req, { server: srv }),
  });
  const host = server.hostname === "0.0.0.0" ? "127.0.0.1" : server.hostname;
  return {
    server,
    url: `http://${host}:${server.port}`,
    deps,
    stop: () => server.stop(true),
  };
}
