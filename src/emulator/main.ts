/**
 * @module
 * CLI: `bun run src/emulator/main.ts` (or `bun run emulator`). Reads EMULATOR_PORT (default
 * 4010) and EMULATOR_HOST (default 127.0.0.1), prints what a client needs, and stops on
 * SIGINT / SIGTERM.
 */
import { startEmulator } from "./server";

const port = Number(process.env.EMULATOR_PORT ?? 4010);
const hostname = process.env.EMULATOR_HOST ?? "127.0.0.1";
const emulator = await startEmulator({ port, hostname });

console.log(`Bedrock emulator listening on ${emulator.url}`);
console.log("Point the AWS SDK at it (HTTP/1.1 handler required, e.g. FetchHttpHandler):");
console.log(`  export AWS_ENDPOINT_URL_BEDROCK_RUNTIME=${emulator.url}`);
console.log(`  export AWS_ENDPOINT_URL_BEDROCK=${emulator.url}`);
console.log("  export AWS_REGION=us-east-1");
console.log("  export AWS_ACCESS_KEY_ID=AKIDEMULATOR");
console.log("  export AWS_SECRET_ACCESS_KEY=emulator");
console.log(`Control: ${emulator.url}/__emulator/{health,requests,stats,script,reset,catalog}`);

async function shutdown(signal: string): Promise<void> {
  console.log(`\n${signal}: stopping the Bedrock emulator`);
  await emulator.stop();
  process.exit(0);
}

process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
