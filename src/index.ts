/**
 * Entry point: `bun run start`.
 *
 * @module
 */
import { ConfigError, loadConfig } from "./config";
import { liftFetchCap, neededFetchCap } from "./fetch-capacity";
import { jscHeapEnv } from "./jsc-heap";
import { type Gateway, startGateway } from "./server";
import { StopSignals } from "./signals";
import { StoreUnavailableError } from "./state";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  // Before anything fetches: Bun reads its fetch limit and JSC's heap settings at process
  // start only, so this may replace the process (same PID) with them in its environment.
  const fetchCap = liftFetchCap(neededFetchCap(config), process.env, jscHeapEnv());
  // Signals are handled from the start: one that arrives while the catalog loads is
  // acted on as soon as the gateway exists (it may already be serving requests).
  let gw: Gateway | undefined;
  let pendingSignal: string | undefined;
  const signals = new StopSignals();
  // Graceful stop (ECS sends SIGTERM, then SIGKILL after stopTimeout): /health turns 503,
  // new requests get 503, in-flight streams get SHUTDOWN_DRAIN_MS to finish, then exit 0.
  // The same stop delivered twice (to the process group and forwarded by `bun run`) is
  // one drain; only a signal clearly later (src/signals.ts) exits at once.
  const onSignal = (signal: string) => {
    const action = signals.receive();
    if (action === "force") {
      process.stderr.write(`second ${signal}, exiting without waiting\n`);
      process.exit(1);
    }
    if (action === "repeat") {
      gw?.deps.logger.info("stop signal repeated; already draining", { signal });
      return;
    }
    if (gw === undefined) pendingSignal = signal;
    else drain(gw, signal);
  };
  const drain = (gateway: Gateway, signal: string) => {
    const { logger } = gateway.deps;
    logger.info("draining", {
      signal,
      inFlight: gateway.deps.lifecycle?.inFlight ?? 0,
      deadlineMs: config.shutdownDrainMs,
    });
    gateway.shutdown().then(
      (result) => {
        logger.info("shut down", { ...result });
        process.exit(0);
      },
      (err: unknown) => {
        logger.error("shutdown failed", { cause: String(err) });
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => onSignal("SIGTERM"));
  process.on("SIGINT", () => onSignal("SIGINT"));

  // Resolves once the model catalog loaded (or could not yet: it retries in the background).
  try {
    gw = await startGateway(config);
  } catch (err) {
    // Documented: the gateway does not start without its store (keys could not be checked).
    if (err instanceof StoreUnavailableError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const { logger } = gw.deps;
  logger.info("gateway listening", {
    url: gw.url,
    region: config.region,
    auth: config.apiKeys.length > 0 ? `${config.apiKeys.length} key(s)` : "off",
    bedrockEndpoint:
      process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME ?? process.env.AWS_ENDPOINT_URL ?? "aws",
  });
  if (fetchCap.kind !== "ok") {
    logger.warn("Bedrock calls beyond Bun's fetch limit will wait inside fetch", {
      ...fetchCap,
      fix: `start with BUN_CONFIG_MAX_HTTP_REQUESTS=${fetchCap.needed}`,
    });
  }
  logger.info("state store", {
    store: config.databaseUrl ? "postgresql" : "sqlite",
    ...(config.databaseUrl ? {} : { dataDir: config.dataDir }),
    redis: config.redisUrl ? "on" : "off",
    adminApi: config.adminApiKey ? "on" : "off",
  });
  if (config.adminApiKey && config.databaseUrl && !config.redisUrl) {
    logger.warn(
      "DATABASE_URL without REDIS_URL: rate limits (rpm/tpm) are enforced per replica, and key changes reach other replicas within KEY_REFRESH_MS",
    );
  }
  if (config.apiKeys.length === 0 && !config.adminApiKey) {
    logger.warn("API_KEY is not set: every request is accepted without authentication");
  }
  if (pendingSignal !== undefined) drain(gw, pendingSignal);
}

await main();
