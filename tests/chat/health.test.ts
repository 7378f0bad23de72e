import { expect, test } from "bun:test";
import { loadConfig } from "../../src/config";
import { startEmulator } from "../../src/emulator";
import { silentLogger } from "../../src/log";
import { startGateway } from "../../src/server";
import { freePort } from "../support/process";
import { EMU_CREDENTIALS } from "../support/stack";

test("/health says starting (503) until the first catalog load is done, then ok", async () => {
  const emu = await startEmulator();
  emu.enqueue({
    match: { operation: "ListFoundationModels" },
    delayMs: 1500,
    error: { type: "ThrottlingException" },
  });
  const port = freePort();
  const config = loadConfig({ PORT: String(port), HOST: "127.0.0.1", AWS_MAX_ATTEMPTS: "1" });
  const starting = startGateway(config, {
    endpoint: emu.url,
    credentials: EMU_CREDENTIALS,
    logger: silentLogger,
  });
  const health = () => fetch(`http://127.0.0.1:${port}/health`);
  const during = await health();
  expect(during.status).toBe(503);
  expect(await during.json()).toEqual({ status: "starting" });
  // The first load failed (throttled): the gateway is up all the same and retries in the background.
  const gw = await starting;
  try {
    const after = await health();
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual({ status: "ok" });
  } finally {
    await gw.stop();
    await emu.stop();
  }
});
