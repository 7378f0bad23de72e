/**
 * The access log line (one per request, written when a stream ends) and the
 * Prometheus metrics, after real traffic through the emulator.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { parseSse } from "../support/sse";
import { API_KEY, MODEL, type OpsStack, openStream, startOpsStack, waitFor } from "./helpers";

let s: OpsStack;
beforeAll(async () => {
  s = await startOpsStack();
});
afterAll(() => s.stop());
beforeEach(() => {
  s.emu.reset();
  s.lines.length = 0;
});

const SECRET_PROMPT = "my-passport-number-is-X99887766";

/** The access line of one request, once it is written. */
async function lineFor(requestId: string): Promise<Record<string, unknown>> {
  await waitFor(
    () => s.accessLines().some((l) => l.requestId === requestId),
    `access line ${requestId}`,
  );
  return s.accessLines().find((l) => l.requestId === requestId) ?? {};
}

describe("access log", () => {
  test("non-stream: route, model, status, tokens, Bedrock request id; never prompt, completion or key", async () => {
    const res = await s.chat(
      { messages: [{ role: "user", content: `Remember this: ${SECRET_PROMPT}` }] },
      { "x-request-id": "req-log-1" },
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      choices: { message: { content: string } }[];
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    const completion = body.choices[0]?.message.content ?? "";
    // The emulator echoes the prompt, so the completion holds the secret too.
    expect(completion).toContain(SECRET_PROMPT);

    const line = await lineFor("req-log-1");
    expect(line).toMatchObject({
      level: "info",
      msg: "request",
      method: "POST",
      path: "/v1/chat/completions",
      route: "/v1/chat/completions",
      status: 200,
      model: MODEL,
      tokensIn: body.usage.prompt_tokens,
      tokensOut: body.usage.completion_tokens,
    });
    expect(line.latencyMs).toBeNumber();
    expect(line.bedrockRequestId).toBeString();
    expect(line.stream).toBeUndefined();
    expect(line.errorCode).toBeUndefined();

    const all = s.lines.join("\n");
    expect(all).not.toContain(SECRET_PROMPT);
    expect(all).not.toContain(completion);
    expect(all).not.toContain(API_KEY);
  });

  test("stream: the line is written when the stream ends, with time to first token and usage", async () => {
    const res = await s.chat(
      {
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: `[emu chunks=5 delay=50] ${SECRET_PROMPT}` }],
      },
      { "x-request-id": "req-log-2" },
    );
    const live = await openStream(res);
    // The handler has long returned; the stream is still running: no line yet.
    expect(s.accessLines().some((l) => l.requestId === "req-log-2")).toBe(false);
    const events = parseSse(await live.rest());
    const usage = events.data.find(
      (d): d is { usage: { prompt_tokens: number; completion_tokens: number } } =>
        typeof d === "object" && d !== null && "usage" in d && d.usage !== null,
    )?.usage;
    expect(usage).toBeDefined();

    const line = await lineFor("req-log-2");
    expect(line).toMatchObject({
      route: "/v1/chat/completions",
      status: 200,
      stream: true,
      model: MODEL,
      tokensIn: usage?.prompt_tokens,
      tokensOut: usage?.completion_tokens,
    });
    expect(line.ttftMs).toBeNumber();
    expect(line.ttftMs as number).toBeLessThanOrEqual(line.latencyMs as number);
    expect(line.bedrockRequestId).toBeString();
    expect(s.lines.join("\n")).not.toContain(SECRET_PROMPT);
  });

  test("a Bedrock error: status, error type and code, exception name, Bedrock request id", async () => {
    const res = await s.chat(
      { messages: [{ role: "user", content: "[emu error=ThrottlingException] hi" }] },
      { "x-request-id": "req-log-3" },
    );
    expect(res.status).toBe(429);
    const line = await lineFor("req-log-3");
    expect(line).toMatchObject({
      status: 429,
      errorType: "rate_limit_error",
      errorCode: "rate_limit_exceeded",
      bedrockException: "ThrottlingException",
      model: MODEL,
    });
    expect(line.bedrockRequestId).toBeString();
  });

  test("an error after the stream started: status 200 with the error code, logged at warn", async () => {
    const res = await s.chat(
      {
        stream: true,
        messages: [{ role: "user", content: "[emu midstream=modelStreamErrorException] hi" }],
      },
      { "x-request-id": "req-log-4" },
    );
    const events = parseSse(await res.text());
    expect(events.data.at(-1)).toMatchObject({ error: { code: "model_error" } });
    const line = await lineFor("req-log-4");
    expect(line).toMatchObject({
      level: "warn",
      status: 200,
      stream: true,
      errorCode: "model_error",
      bedrockException: "ModelStreamErrorException",
    });
  });

  test("rejected requests are logged too; /health is only logged at debug", async () => {
    const res = await s.chat(
      { messages: [{ role: "user", content: "hi" }] },
      { authorization: "Bearer wrong-key-abc", "x-request-id": "req-log-5" },
    );
    expect(res.status).toBe(401);
    expect(await lineFor("req-log-5")).toMatchObject({
      status: 401,
      errorType: "authentication_error",
      errorCode: "invalid_api_key",
    });
    expect(s.lines.join("\n")).not.toContain("wrong-key-abc");

    await fetch(`${s.gw.url}/health`, { headers: { "x-request-id": "req-log-6" } });
    await Bun.sleep(50);
    expect(s.accessLines().some((l) => l.requestId === "req-log-6")).toBe(false);
  });
});

/** The value of one sample line, e.g. `name{a="b"} 3`, or undefined. */
function sample(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries(
      [...(m[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe("GET /metrics", () => {
  test("needs the API key", async () => {
    const res = await s.get("/metrics", {});
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("missing_api_key");
  });

  test("after traffic: requests, latency and TTFT histograms, tokens, Bedrock errors, in-flight streams", async () => {
    const before = await (await s.get("/metrics")).text();
    const ok = { route: "/v1/chat/completions", method: "POST", status: "200", model: MODEL };
    const okBefore = sample(before, "gateway_requests_total", ok) ?? 0;
    const ttftBefore =
      sample(before, "gateway_time_to_first_token_seconds_count", { model: MODEL }) ?? 0;
    const outBefore =
      sample(before, "gateway_tokens_total", { model: MODEL, direction: "output" }) ?? 0;
    const throttleBefore =
      sample(before, "gateway_bedrock_errors_total", { exception: "ThrottlingException" }) ?? 0;

    const plain = (await (
      await s.chat({ messages: [{ role: "user", content: "hello" }] })
    ).json()) as { usage: { completion_tokens: number } };
    // Through /api/v1 too: the same route label.
    const viaApi = await fetch(`${s.gw.url}/api/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }] }),
    });
    const viaApiBody = (await viaApi.json()) as { usage: { completion_tokens: number } };
    const throttled = await s.chat({
      messages: [{ role: "user", content: "[emu error=ThrottlingException]" }],
    });
    expect(throttled.status).toBe(429);

    // A slow stream is in flight while we scrape.
    const res = await s.chat({
      stream: true,
      messages: [{ role: "user", content: "[emu chunks=6 delay=100] go" }],
    });
    const live = await openStream(res);
    const during = await (await s.get("/metrics")).text();
    expect(sample(during, "gateway_streams_in_flight")).toBe(1);
    expect(sample(during, "gateway_requests_in_flight")).toBe(1);
    await live.rest();
    await waitFor(() => s.accessLines().some((l) => l.stream === true), "the stream's access line");

    const after = await (await s.get("/metrics")).text();
    expect(sample(after, "gateway_requests_total", ok)).toBe(okBefore + 3);
    expect(
      sample(after, "gateway_requests_total", { ...ok, status: "429" }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(after, "gateway_bedrock_errors_total", { exception: "ThrottlingException" }),
    ).toBe(throttleBefore + 1);
    expect(sample(after, "gateway_time_to_first_token_seconds_count", { model: MODEL })).toBe(
      ttftBefore + 1,
    );
    const outAfter =
      sample(after, "gateway_tokens_total", { model: MODEL, direction: "output" }) ?? 0;
    expect(outAfter - outBefore).toBeGreaterThan(
      plain.usage.completion_tokens + viaApiBody.usage.completion_tokens,
    );
    expect(
      sample(after, "gateway_request_duration_seconds_count", {
        route: "/v1/chat/completions",
        stream: "true",
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample(after, "gateway_request_duration_seconds_bucket", { le: "+Inf", stream: "false" }),
    ).toBeGreaterThanOrEqual(3);
    expect(sample(after, "gateway_streams_in_flight")).toBe(0);
    expect(sample(after, "gateway_requests_in_flight")).toBe(0);
    // Process metrics from prom-client's defaults.
    expect(sample(after, "process_resident_memory_bytes")).toBeGreaterThan(0);
    // Unknown routes share one label instead of one series per path.
    await s.get("/v1/no-such-thing-123");
    const last = await (await s.get("/metrics")).text();
    expect(last).not.toContain("no-such-thing-123");
    expect(
      sample(last, "gateway_requests_total", { route: "unmatched", status: "404" }),
    ).toBeGreaterThanOrEqual(1);
  });

  test("the model label is left empty for rejected requests, so junk model names make no series", async () => {
    const res = await s.chat({
      model: "junk-model-name-zzz",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(429);
    const text = await (await s.get("/metrics")).text();
    expect(text).not.toContain("junk-model-name-zzz");
  });
});

describe("embeddings", () => {
  test("the access line carries the embedding model and its input tokens", async () => {
    const res = await fetch(`${s.gw.url}/v1/embeddings`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${API_KEY}`,
        "x-request-id": "req-emb-1",
      },
      body: JSON.stringify({ model: "amazon.titan-embed-text-v2:0", input: SECRET_PROMPT }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { usage: { prompt_tokens: number } };
    const line = await lineFor("req-emb-1");
    expect(line).toMatchObject({
      route: "/v1/embeddings",
      status: 200,
      model: "amazon.titan-embed-text-v2:0",
      tokensIn: body.usage.prompt_tokens,
    });
    expect(s.lines.join("\n")).not.toContain(SECRET_PROMPT);
  });
});
