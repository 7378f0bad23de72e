/**
 * Entry point: `bun run start`.
 *
 * @module
 */
import { ConfigError, loadConfig } from "./config";
import { startGateway } from "./server";

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
  // Resolves once the model catalog loaded (or could not yet: it retries in the background).
  const gw = await startGateway(config);
  const { logger } = gw.deps;
  logger.info("gateway listening", {
    url: gw.url,
    region: config.region,
    auth: config.apiKeys.length > 0 ? `${config.apiKeys.length} key(s)` : "off",
    bedrockEndpoint:
      process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME ?? process.env.AWS_ENDPOINT_URL ?? "aws",
  });
  if (config.apiKeys.length === 0) {
    logger.warn("API_KEY is not set: every request is accepted without authentication");
  }
  const shutdown = (signal: string) => {
    logger.info("shutting down", { signal });
    void gw.stop().then(() => process.exit(0));
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

await main();
