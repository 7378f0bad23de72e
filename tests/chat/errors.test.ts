import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { readSse } from "../support/sse";
import { type Stack, startStack } from "../support/stack";

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const CHAT = "/v1/chat/completions";
const KEYS = ["key-one", "key-two"];
const AUTH = { authorization: `Bearer ${KEYS[1]}` };
const hello = { model: MODEL, messages: [{ role: "user", content: "hi" }] };

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ API_KEY: KEYS.join(","), MAX_BODY_BYTES: "4096" });
});
afterAll(() => stack.stop());
beforeEach(() => stack.emu.reset());

interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

async function expectError(res: Response, status: number, code?: string): Promise<ErrorBody> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toStartWith("application/json");
  const body = (await res.json()) as ErrorBody;
  expect(Object.keys(body.error).sort()).toEqual(["code", "message", "param", "type"]);
  expect(typeof body.error.message).toBe("string");
  if (code !== undefined) expect(body.error.code).toBe(code);
  return body;
}

describe("authentication", () => {
  test("/health is open and calls no Bedrock API", async () => {
    const res = await fetch(`${stack.url}/health`);
    expect(res.status).toBe(200);
    expect(stack.emu.requests.length).toBe(0);
  });

  test("missing key → 401 with WWW-Authenticate", async () => {
    const res = await stack.post(CHAT, hello);
    const body = await expectError(res, 401, "missing_api_key");
    expect(body.error.type).toBe("authentication_error");
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
  });

  test("wrong key → 401; any configured key → 200", async () => {
    await expectError(
      await stack.post(CHAT, hello, { authorization: "Bearer nope" }),
      401,
      "invalid_api_key",
    );
    for (const key of KEYS) {
      expect((await stack.post(CHAT, hello, { authorization: `Bearer ${key}` })).status).toBe(200);
    }
  });
});

describe("request errors", () => {
  test("unknown route → 404", async () => {
    await expectError(await stack.post("/v1/nope", {}, AUTH), 404, "unknown_route");
  });

  test("wrong method → 405 with Allow", async () => {
    const res = await fetch(`${stack.url}${CHAT}`, { headers: AUTH });
    await expectError(res, 405, "method_not_allowed");
    expect(res.headers.get("allow")).toBe("POST");
  });

  test("wrong content type → 415", async () => {
    const res = await fetch(`${stack.url}${CHAT}`, {
      method: "POST",
      headers: { ...AUTH, "content-type": "text/plain" },
      body: JSON.stringify(hello),
    });
    await expectError(res, 415, "unsupported_media_type");
  });

  test("malformed JSON → 400", async () => {
    const body = await expectError(
      await stack.post(CHAT, '{"model": "x", "messages": [', AUTH),
      400,
    );
    expect(body.error.type).toBe("invalid_request_error");
  });

  test("body over the limit → 413", async () => {
    const big = { ...hello, messages: [{ role: "user", content: "x".repeat(10_000) }] };
    await expectError(await stack.post(CHAT, big, AUTH), 413, "request_too_large");
  });

  test.each([
    [{ model: MODEL }, "messages"],
    [{ model: MODEL, messages: [] }, "messages"],
    [{ model: MODEL, messages: [{ role: "wizard", content: "x" }] }, "messages[0].role"],
    [{ model: MODEL, messages: [{ role: "user", content: "x" }], temperature: 3 }, "temperature"],
    [
      { model: MODEL, messages: [{ role: "user", content: [{ type: "video", url: "x" }] }] },
      "messages[0].content",
    ],
    [{ model: MODEL, messages: [{ role: "user", content: "x" }], n: 2 }, "n"],
    [{ model: MODEL, messages: [{ role: "user", content: "x" }], logprobs: true }, "logprobs"],
  ])("invalid request %j → 400 naming %s", async (payload, param) => {
    const body = await expectError(await stack.post(CHAT, payload, AUTH), 400);
    expect(body.error.param ?? "").toStartWith(param);
    expect(stack.emu.requests.length).toBe(0);
  });

  test("a bad request does not harm the next one", async () => {
    await stack.post(CHAT, "{", AUTH);
    await stack.post(CHAT, { model: MODEL, messages: "nope" }, AUTH);
    const ok = await stack.post(CHAT, hello, AUTH);
    expect(ok.status).toBe(200);
  });
});

describe("Bedrock exceptions, mapped by name", () => {
  const table: Array<[string, number, string]> = [
    ["ValidationException", 400, "invalid_request"],
    ["AccessDeniedException", 403, "access_denied"],
    ["ResourceNotFoundException", 404, "model_not_found"],
    ["ModelTimeoutException", 504, "model_timeout"],
    ["ThrottlingException", 429, "rate_limit_exceeded"],
    ["ModelNotReadyException", 429, "model_not_ready"],
    ["ServiceQuotaExceededException", 429, "insufficient_quota"],
    ["ModelErrorException", 502, "model_error"],
    ["InternalServerException", 502, "upstream_error"],
    ["ServiceUnavailableException", 503, "service_unavailable"],
  ];
  for (const [type, status, code] of table) {
    test(`${type} → ${status} ${code}, in both modes`, async () => {
      for (const stream of [false, true]) {
        stack.emu.enqueue({ error: { type, message: `upstream says ${type}` } });
        const res = await stack.post(CHAT, { ...hello, stream }, AUTH);
        const body = await expectError(res, status, code);
        expect(res.headers.get("x-should-retry")).toBe(status >= 429 ? "true" : "false");
        if (status >= 500) {
          // 5xx bodies leak nothing from upstream.
          expect(body.error.message).not.toContain("upstream says");
        } else {
          expect(body.error.message).toBe(`upstream says ${type}`);
        }
      }
    });
  }

  test("429 carries Bedrock's retry-after when it sent one, else a default", async () => {
    stack.emu.enqueue({ error: { type: "ThrottlingException", headers: { "retry-after": "7" } } });
    const res = await stack.post(CHAT, hello, AUTH);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    stack.emu.enqueue({ error: { type: "ThrottlingException" } });
    const res2 = await stack.post(CHAT, hello, AUTH);
    expect(res2.headers.get("retry-after")).toBe("1");
  });

  test("an exception as the first stream frame still gets a real HTTP status", async () => {
    stack.emu.enqueue({
      reply: { content: [{ text: "x" }] },
      stream: { exceptionAfter: { events: 0, type: "throttlingException" } },
    });
    await expectError(
      await stack.post(CHAT, { ...hello, stream: true }, AUTH),
      429,
      "rate_limit_exceeded",
    );
  });

  test("Bedrock unreachable → 502, not a crash", async () => {
    const down = await startStack({ API_KEY: "k" });
    await down.emu.stop();
    const res = await down.post(CHAT, hello, { authorization: "Bearer k" });
    await expectError(res, 502, "upstream_unreachable");
    await down.gw.stop();
  });
});

describe("errors after the stream has started", () => {
  type Frame = {
    error?: ErrorBody["error"];
    choices?: Array<{ finish_reason: string | null; delta: { content?: string } }>;
  };

  async function streamFrames(script: Parameters<Stack["emu"]["enqueue"]>[0]) {
    stack.emu.enqueue(script);
    const res = await stack.post(CHAT, { ...hello, stream: true }, AUTH);
    expect(res.status).toBe(200);
    const { data } = await readSse(res);
    return data as Array<Frame | "[DONE]">;
  }

  test("a mid-stream exception frame becomes a data: {error} frame, and no [DONE]", async () => {
    const frames = await streamFrames({
      reply: { content: [{ text: "partial answer here" }] },
      stream: {
        chunkSize: 4,
        exceptionAfter: { events: 3, type: "modelStreamErrorException", message: "boom" },
      },
    });
    expect(frames).not.toContain("[DONE]");
    const last = frames.at(-1) as Frame;
    expect(last.error?.code).toBe("model_error");
    expect(last.error?.type).toBe("server_error");
    expect(frames.some((f) => f !== "[DONE]" && f.choices?.[0]?.finish_reason)).toBe(false);
  });

  test("an upstream that ends without messageStop is an error, never a success", async () => {
    const frames = await streamFrames({
      reply: { content: [{ text: "abcdefgh" }] },
      stream: { chunkSize: 2, endAfter: 3 },
    });
    expect(frames).not.toContain("[DONE]");
    expect((frames.at(-1) as Frame).error?.code).toBe("upstream_incomplete");
  });

  test("a dropped upstream connection is an upstream_incomplete error frame", async () => {
    const frames = await streamFrames({
      reply: { content: [{ text: "abcdefghijkl" }] },
      stream: { chunkSize: 2, eventDelayMs: 20, resetAfter: 4 },
    });
    expect(frames).not.toContain("[DONE]");
    // Bedrock was reached and answering: the answer is incomplete, not "unreachable".
    expect((frames.at(-1) as Frame).error?.code).toBe("upstream_incomplete");
  });
});
