/**
 * Routing, auth, validation and error cases in-process: `createApp(deps)` on
 * a fake BedrockRuntime, driven with `app.request` (no sockets, no emulator),
 * as Hono's own middleware tests do. Wire-level behaviour stays with the
 * emulator-backed suites.
 */
import { describe, expect, test } from "bun:test";
import { awsError } from "../fakes/fake-runtime";
import { makeTestApp, TEST_MODEL } from "../support/make-app";

const CHAT = { model: TEST_MODEL, messages: [{ role: "user", content: "Hi" }] };

async function errorOf(res: Response) {
  const body = (await res.json()) as {
    error: { message: string; type: string; param: string | null; code: string | null };
  };
  return body.error;
}

describe("routing", () => {
  test("an unknown route is a 404 in OpenAI's shape", async () => {
    const res = await makeTestApp().app.request("/v1/nope");
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toMatchObject({ code: "unknown_route", type: "not_found_error" });
  });

  test("GET on chat completions is a 405 naming the method to use", async () => {
    const res = await makeTestApp().app.request("/v1/chat/completions");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect((await errorOf(res)).code).toBe("method_not_allowed");
  });

  test("/api/v1 serves the same routes as /v1", async () => {
    const t = makeTestApp({ script: { converse: "text" } });
    const res = await t.post("/api/v1/chat/completions", CHAT);
    expect(res.status).toBe(200);
    expect(t.runtime.inputs).toHaveLength(1);
  });

  test("every response carries a request id; a sane caller id is echoed", async () => {
    const t = makeTestApp({ script: { converse: "text" } });
    const res = await t.post("/v1/chat/completions", CHAT, { "x-request-id": "req-123" });
    expect(res.headers.get("x-request-id")).toBe("req-123");
  });
});

describe("auth", () => {
  const env = { API_KEY: "k1,k2" };

  test("no key: 401, x-should-retry false, Bedrock never called", async () => {
    const t = makeTestApp({ env, script: { converse: "text" } });
    const res = await t.post("/v1/chat/completions", CHAT);
    expect(res.status).toBe(401);
    expect(res.headers.get("x-should-retry")).toBe("false");
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
    expect((await errorOf(res)).code).toBe("missing_api_key");
    expect(t.runtime.inputs).toHaveLength(0);
  });

  test("a wrong key: 401 invalid_api_key", async () => {
    const t = makeTestApp({ env });
    const res = await t.post("/v1/chat/completions", CHAT, { authorization: "Bearer nope" });
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe("invalid_api_key");
  });

  test("any configured key is accepted", async () => {
    const t = makeTestApp({ env, script: { converse: "text" } });
    const res = await t.post("/v1/chat/completions", CHAT, { authorization: "Bearer k2" });
    expect(res.status).toBe(200);
  });

  test("/health needs no key", async () => {
    const res = await makeTestApp({ env }).app.request("/health");
    expect(res.status).toBe(200);
  });
});

describe("validation", () => {
  test("a body that is not JSON-typed: 415", async () => {
    const res = await makeTestApp().app.request("/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "hi",
    });
    expect(res.status).toBe(415);
  });

  test("malformed JSON: 400", async () => {
    const res = await makeTestApp().post("/v1/chat/completions", "{");
    expect(res.status).toBe(400);
    expect((await errorOf(res)).type).toBe("invalid_request_error");
  });

  test("a schema violation names the parameter", async () => {
    const res = await makeTestApp().post("/v1/chat/completions", { ...CHAT, messages: [] });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe("messages");
  });

  test("a rule of the Converse core (bad tool call arguments) names the parameter", async () => {
    const t = makeTestApp();
    const res = await t.post("/v1/chat/completions", {
      ...CHAT,
      messages: [
        { role: "user", content: "Hi" },
        {
          role: "assistant",
          tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "[1]" } }],
        },
      ],
    });
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({
      param: "messages[1].tool_calls[0].function.arguments",
      code: "invalid_tool_arguments",
    });
    expect(t.runtime.inputs).toHaveLength(0);
  });

  test("an unsupported OpenAI field is rejected by the surface's policy", async () => {
    const res = await makeTestApp().post("/v1/chat/completions", { ...CHAT, n: 2 });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).param).toBe("n");
  });

  test("a body over MAX_BODY_BYTES: 413", async () => {
    const t = makeTestApp({ env: { MAX_BODY_BYTES: "1024" } });
    const res = await t.post("/v1/chat/completions", {
      ...CHAT,
      messages: [{ role: "user", content: "x".repeat(2048) }],
    });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("request_too_large");
  });
});

describe("Bedrock errors before the answer starts", () => {
  test("throttling: 429 with retry-after and x-should-retry", async () => {
    const t = makeTestApp({ script: { converse: "throttled" } });
    const res = await t.post("/v1/chat/completions", CHAT);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("1");
    expect(res.headers.get("x-should-retry")).toBe("true");
  });

  test("a stream failing before its first event gets a real status, not a 200", async () => {
    const t = makeTestApp({
      script: {
        error: awsError({
          name: "ValidationException",
          message: "The model is not available.",
          $fault: "client",
          httpStatusCode: 400,
        }),
      },
    });
    const res = await t.post("/v1/chat/completions", { ...CHAT, stream: true });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await errorOf(res)).toMatchObject({
      message: "The model is not available.",
      code: "invalid_request",
    });
  });

  test("a server-side failure leaks nothing from upstream", async () => {
    const t = makeTestApp({
      script: { error: awsError({ name: "InternalServerException", message: "secret detail" }) },
    });
    const res = await t.post("/v1/chat/completions", CHAT);
    expect(res.status).toBe(502);
    expect((await errorOf(res)).message).not.toContain("secret");
  });

  test("a bug in the gateway is a generic 500", async () => {
    const t = makeTestApp({ script: { error: new TypeError("boom") } });
    const res = await t.post("/v1/chat/completions", CHAT);
    expect(res.status).toBe(500);
    expect(await errorOf(res)).toMatchObject({ code: "internal_error" });
  });
});

describe("streams", () => {
  test("warnings reach the client in x-gateway-warnings", async () => {
    const t = makeTestApp({ script: { stream: "text" } });
    const res = await t.post("/v1/chat/completions", { ...CHAT, stream: true, seed: 1 });
    expect(res.headers.get("x-gateway-warnings")).toBe(
      "seed ignored: Bedrock sampling cannot be seeded",
    );
    expect(await res.text()).toEndWith("data: [DONE]\n\n");
  });
});
