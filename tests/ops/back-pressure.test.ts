/**
 * Back-pressure and limits: the concurrency cap answers 429 at once (no
 * queue), a stream holds its slot until it ends, and the per-request timeout
 * gives an OpenAI-shaped 504.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config";
import { parseSse } from "../support/sse";
import { type OpsStack, openStream, startOpsStack, waitFor } from "./helpers";

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

describe("MAX_CONCURRENT_REQUESTS", () => {
  let s: OpsStack;
  beforeAll(async () => {
    s = await startOpsStack({ MAX_CONCURRENT_REQUESTS: "2" });
  });
  afterAll(() => s.stop());
  beforeEach(() => s.emu.reset());

  const slowStream = () =>
    s.chat({ stream: true, messages: [{ role: "user", content: "[emu chunks=8 delay=100] go" }] });

  test("beyond the cap: 429 with retry-after and our error shape, without calling Bedrock", async () => {
    const a = await openStream(await slowStream());
    const b = await openStream(await slowStream());

    const refused = await s.chat({ messages: [{ role: "user", content: "one more" }] });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.headers.get("x-should-retry")).toBe("true");
    const body = (await refused.json()) as ErrorBody;
    expect(body).toEqual({
      error: {
        message: "The gateway is at its limit of 2 concurrent requests; retry shortly.",
        type: "rate_limit_error",
        param: null,
        code: "gateway_overloaded",
      },
    });
    expect(s.emu.requests.filter((r) => r.operation === "Converse")).toHaveLength(0);

    // Streams hold their slot until they end, then free it.
    expect(parseSse(await a.rest()).data.at(-1)).toBe("[DONE]");
    expect(parseSse(await b.rest()).data.at(-1)).toBe("[DONE]");
    await waitFor(() => s.gw.deps.limiter?.inFlight === 0, "slots released");
    const again = await s.chat({ messages: [{ role: "user", content: "now" }] });
    expect(again.status).toBe(200);
  });

  test("a slot is released when the client drops a stream, and after errors", async () => {
    const res = await slowStream();
    const live = await openStream(res);
    expect(s.gw.deps.limiter?.inFlight).toBe(1);
    await live.cancel();
    await waitFor(() => s.gw.deps.limiter?.inFlight === 0, "slot released after cancel");

    const failed = await s.chat({
      messages: [{ role: "user", content: "[emu error=InternalServerException]" }],
    });
    expect(failed.status).toBe(502);
    const invalid = await s.chat({ messages: [] });
    expect(invalid.status).toBe(400);
    await waitFor(() => s.gw.deps.limiter?.inFlight === 0, "slots released after errors");
  });

  test("/health and /metrics do not take slots", async () => {
    const a = await openStream(await slowStream());
    const b = await openStream(await slowStream());
    expect((await s.get("/health")).status).toBe(200);
    expect((await s.get("/metrics")).status).toBe(200);
    await a.rest();
    await b.rest();
  });
});

describe("timeouts", () => {
  let s: OpsStack;
  beforeAll(async () => {
    s = await startOpsStack({ REQUEST_TIMEOUT_MS: "1000" });
  });
  afterAll(() => s.stop());

  test.each([
    ["non-stream", false],
    ["stream whose first event is late", true],
  ])("%s: past REQUEST_TIMEOUT_MS → 504 timeout_error", async (_name, stream) => {
    const res = await s.chat({
      stream,
      messages: [{ role: "user", content: "[emu first=3000] slow" }],
    });
    expect(res.status).toBe(504);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.type).toBe("timeout_error");
    expect(body.error.code).toBe("upstream_timeout");
  });
});

describe("config", () => {
  test.each([
    [{ MAX_CONCURRENT_REQUESTS: "0" }, "MAX_CONCURRENT_REQUESTS"],
    [{ MAX_CONCURRENT_REQUESTS: "lots" }, "MAX_CONCURRENT_REQUESTS"],
    [{ SHUTDOWN_DRAIN_MS: "-1" }, "SHUTDOWN_DRAIN_MS"],
  ])("%p is rejected naming the variable", (env, name) => {
    expect(() => loadConfig(env)).toThrow(name);
  });

  test("defaults", () => {
    const c = loadConfig({});
    expect(c.maxConcurrentRequests).toBe(512);
    expect(c.shutdownDrainMs).toBe(25_000);
  });
});
