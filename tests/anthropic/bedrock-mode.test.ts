/**
 * Claude Code's Bedrock mode through the gateway: /model/{id}/invoke and
 * /invoke-with-response-stream behind the gateway key, re-signed to Bedrock,
 * bodies and event streams passed through, and nothing else proxied.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { APPLICATION_PROFILE_ARN } from "../../src/emulator";
import { type Stack, startStack } from "../support/stack";

const KEY = "sk-gw-bedrock-mode";
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ API_KEY: KEY });
});
afterAll(() => stack.stop());
beforeEach(() => stack.emu.reset());

const BODY = {
  anthropic_version: "bedrock-2023-05-31",
  max_tokens: 64,
  messages: [{ role: "user", content: "hello" }],
};

function post(path: string, body: unknown, headers: Record<string, string> = { "x-api-key": KEY }) {
  return fetch(`${stack.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

describe("Bedrock mode", () => {
  test("invoke: Bedrock's answer, the body sent byte for byte, the call re-signed", async () => {
    const raw = JSON.stringify(BODY);
    const res = await post(
      `/model/${encodeURIComponent("us.anthropic.claude-sonnet-4-5-20250929-v1:0")}/invoke`,
      raw,
    );
    expect(res.status).toBe(200);
    const message = (await res.json()) as Record<string, unknown>;
    expect(message.type).toBe("message");
    expect(res.headers.get("x-amzn-bedrock-input-token-count")).not.toBeNull();
    const req = stack.emu.requests.at(-1);
    expect(new TextDecoder().decode(req?.rawBody)).toBe(raw);
    expect(req?.headers.authorization).toStartWith("AWS4-HMAC-SHA256");
    expect(req?.headers["x-api-key"]).toBeUndefined();
  });

  test("invoke-with-response-stream: the event-stream bytes pass through unchanged", async () => {
    const res = await post(
      "/model/anthropic.claude-3-haiku-20240307-v1:0/invoke-with-response-stream",
      BODY,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.amazon.eventstream");
    const bytes = new Uint8Array(await res.arrayBuffer());
    // Event-stream frames: the first 4 bytes are the first frame's total length.
    const view = new DataView(bytes.buffer);
    let offset = 0;
    let frames = 0;
    while (offset < bytes.length) {
      offset += view.getUint32(offset);
      frames += 1;
    }
    expect(offset).toBe(bytes.length);
    expect(frames).toBeGreaterThan(3);
    expect(new TextDecoder().decode(bytes)).toContain(":event-type\u0007\u0000\u0005chunk");
  });

  test("a passed-through stream's usage is still recorded (metrics, access log, budgets)", async () => {
    const res = await post(
      "/model/anthropic.claude-3-haiku-20240307-v1:0/invoke-with-response-stream",
      BODY,
    );
    await res.arrayBuffer();
    // The access line and metrics are written once the stream has ended.
    let text = "";
    for (let i = 0; i < 50 && !text.includes('direction="output"'); i++) {
      const metrics = await fetch(`${stack.url}/metrics`, {
        headers: { authorization: `Bearer ${KEY}` },
      });
      text = (await metrics.text())
        .split("\n")
        .filter((l) => l.startsWith("gateway_tokens_total") && l.includes("claude-3-haiku"))
        .join("\n");
      if (!text.includes('direction="output"')) await Bun.sleep(20);
    }
    expect(text).toMatch(/direction="input"[^\n]* [1-9]/);
    expect(text).toMatch(/direction="output"[^\n]* [1-9]/);
  });

  test("unknown betas are filtered from the body, with a warning", async () => {
    const res = await post("/model/anthropic.claude-3-haiku-20240307-v1:0/invoke", {
      ...BODY,
      anthropic_beta: ["claude-code-20250219", "interleaved-thinking-2025-05-14"],
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-gateway-warnings")).toContain("claude-code-20250219");
    expect(
      (stack.emu.requests.at(-1)?.body as { anthropic_beta?: string[] } | undefined)
        ?.anthropic_beta,
    ).toEqual(["interleaved-thinking-2025-05-14"]);
  });

  test("an application profile ARN, percent-encoded as SDKs send it", async () => {
    const res = await post(`/model/${encodeURIComponent(APPLICATION_PROFILE_ARN)}/invoke`, BODY);
    expect(res.status).toBe(200);
    expect(stack.emu.requests.at(-1)?.modelId).toBe(APPLICATION_PROFILE_ARN);
  });

  test("Anthropic names resolve as on /v1/messages", async () => {
    const res = await post("/model/claude-sonnet-4-5/invoke", BODY);
    expect(res.status).toBe(200);
    expect(stack.emu.requests.at(-1)?.modelId).toBe("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
  });

  test("Bedrock errors pass through as Bedrock sent them", async () => {
    stack.emu.enqueue({ error: { type: "ThrottlingException", message: "slow down" } });
    const res = await post("/model/anthropic.claude-3-haiku-20240307-v1:0/invoke", BODY);
    expect(res.status).toBe(429);
    expect(res.headers.get("x-amzn-errortype")).toStartWith("ThrottlingException");
    expect(((await res.json()) as { message: string }).message).toBe("slow down");
  });

  test("not an open proxy: no key, unknown models and other operations never reach Bedrock", async () => {
    const noKey = await post("/model/anthropic.claude-3-haiku-20240307-v1:0/invoke", BODY, {});
    expect(noKey.status).toBe(401);
    expect(noKey.headers.get("x-should-retry")).toBe("false");
    expect(((await noKey.json()) as { type: string }).type).toBe("error");
    const unknown = await post("/model/not-a-model/invoke", BODY);
    expect(unknown.status).toBe(404);
    const converse = await post("/model/anthropic.claude-3-haiku-20240307-v1:0/converse", BODY);
    expect(converse.status).toBe(404);
    const control = await fetch(`${stack.url}/foundation-models`, {
      headers: { "x-api-key": KEY },
    });
    expect(control.status).toBe(404);
    expect(stack.emu.requests).toHaveLength(0);
  });
});
