/**
 * Bun's fetch runs at most 256 requests at once per process unless
 * BUN_CONFIG_MAX_HTTP_REQUESTS says otherwise, and reads that only at process
 * start. The gateway lifts it for itself (src/fetch-capacity.ts). This test
 * would catch the cap coming back: more than 256 slow streams through the real
 * process (`bun run src/index.ts`, no variable set) must all be running at
 * Bedrock at once — every one gets its first event before any stream ends.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { type Emulator, startEmulator } from "../../src/emulator";
import { currentFetchCap, liftFetchCap, neededFetchCap } from "../../src/fetch-capacity";
import { JSC_RAM_CAP, JSC_RAM_VAR, jscHeapEnv, jscRamSize } from "../../src/jsc-heap";
import { type GatewayProcess, spawnGateway } from "../support/process";
import { postJson, type RawConn, rawConnect } from "../support/raw-http";

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const N = 300;

let emu: Emulator;
let gw: GatewayProcess;
beforeAll(async () => {
  emu = await startEmulator();
  gw = await spawnGateway({
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDFETCHCAP",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emu.url,
    AWS_ENDPOINT_URL_BEDROCK: emu.url,
    MAX_CONCURRENT_REQUESTS: "1000",
    LOG_LEVEL: "warn",
  });
});
afterAll(async () => {
  await gw.stop();
  await emu.stop();
});

test("the limit is derived from MAX_CONCURRENT_REQUESTS and read only from the start environment", () => {
  expect(neededFetchCap({ maxConcurrentRequests: 512, embeddingConcurrency: 8 })).toBe(4160);
  expect(neededFetchCap({ maxConcurrentRequests: 100_000, embeddingConcurrency: 8 })).toBe(65_535);
  expect(currentFetchCap({})).toBe(256);
  expect(currentFetchCap({ BUN_CONFIG_MAX_HTTP_REQUESTS: "5000" })).toBe(5000);
  expect(currentFetchCap({ BUN_CONFIG_MAX_HTTP_REQUESTS: "nonsense" })).toBe(256);
});

test("nothing to set: no re-exec, and the operator's own settings are kept", () => {
  const env = { BUN_CONFIG_MAX_HTTP_REQUESTS: "5000", [JSC_RAM_VAR]: "0" };
  // Returns (a re-exec would have replaced this test process).
  expect(liftFetchCap(300, env, { [JSC_RAM_VAR]: "1" })).toEqual({ kind: "ok", cap: 5000 });
  expect(liftFetchCap(9000, env, {})).toEqual({ kind: "operator", cap: 5000, needed: 9000 });
  expect(jscHeapEnv(env, 2 ** 34, undefined)).toEqual({});
});

test("JSC is told the container's memory limit, else the machine's RAM, at most 8 GiB", () => {
  const GiB = 1024 ** 3;
  expect(JSC_RAM_CAP).toBe(8 * GiB);
  expect(jscRamSize(4 * GiB, undefined)).toBe(4 * GiB);
  expect(jscRamSize(24 * GiB, undefined)).toBe(8 * GiB);
  expect(jscRamSize(24 * GiB, 24 * GiB)).toBe(8 * GiB); // Bun reports the RAM when there is no limit
  expect(jscRamSize(64 * GiB, 2 * GiB)).toBe(2 * GiB);
  expect(jscRamSize(4 * GiB, 0)).toBe(4 * GiB);
  expect(jscHeapEnv({}, 4 * GiB, GiB / 2)).toEqual({ [JSC_RAM_VAR]: String(GiB / 2) });
});

test("the gateway process re-execs itself once with the fetch limit and JSC's RAM size", () => {
  const environ = readFileSync(`/proc/${gw.proc.pid}/environ`, "utf8").split("\0");
  expect(environ).toContain(
    `BUN_CONFIG_MAX_HTTP_REQUESTS=${neededFetchCap({ maxConcurrentRequests: 1000, embeddingConcurrency: 8 })}`,
  );
  expect(environ).toContain(
    `${JSC_RAM_VAR}=${jscRamSize(totalmem(), process.constrainedMemory?.())}`,
  );
});

test(`${N} concurrent slow streams all reach Bedrock at once (no 256 cap inside fetch)`, async () => {
  const port = Number(new URL(gw.url).port);
  // First event at once, then 15 s between events: a stream held inside fetch by a
  // 256 cap would get its first event only after another stream ended.
  const body = {
    model: MODEL,
    stream: true,
    messages: [{ role: "user", content: "[emu chunks=2 delay=15000] hold" }],
  };
  const conns: RawConn[] = await Promise.all(Array.from({ length: N }, () => rawConnect(port)));
  try {
    for (const c of conns) c.write(postJson("/v1/chat/completions", body));
    await Promise.all(conns.map((c) => c.until((t) => t.includes("data: {"))));
    // Ordering, not timing: every stream has its first event while none has ended.
    expect(emu.stats.streamsCompleted).toBe(0);
    expect(emu.stats.peakStreamsOpen).toBe(N);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain(`gateway_upstream_requests_in_flight ${N}`);
    expect(metrics).toContain("gateway_upstream_requests_queued 0");
    expect(metrics).toContain(
      `gateway_upstream_fetch_limit ${neededFetchCap({ maxConcurrentRequests: 1000, embeddingConcurrency: 8 })}`,
    );
  } finally {
    for (const c of conns) c.close();
  }
  // The clients left: the gateway cancels every upstream stream.
  for (let i = 0; i < 300 && emu.stats.streamsCancelled < N; i++) await Bun.sleep(20);
  expect(emu.stats.streamsCancelled).toBe(N);
}, 60_000);
