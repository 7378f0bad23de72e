import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import * as runtime from "@aws-sdk/client-bedrock-runtime";
import { ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { type Emulator, ERROR_STATUS, startEmulator } from "../../src/emulator";
import { caught, HAIKU_3, runtimeClient, SONNET_45_US, userSays } from "./helpers";

const MODELED = [
  "ValidationException",
  "AccessDeniedException",
  "ResourceNotFoundException",
  "ModelTimeoutException",
  "ThrottlingException",
  "ModelNotReadyException",
  "ServiceQuotaExceededException",
  "ConflictException",
  "ModelErrorException",
  "InternalServerException",
  "ServiceUnavailableException",
] as const;

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());
beforeEach(() => emu.reset());

function converse(modelId = SONNET_45_US, text = "hi") {
  return runtimeClient(emu).send(new ConverseCommand({ modelId, messages: userSays(text) }));
}

describe("HTTP errors arrive as the SDK's modeled classes", () => {
  for (const name of MODELED) {
    test(name, async () => {
      emu.enqueue({ error: { type: name, message: `scripted ${name}` } });
      const err = await caught(() => converse());
      const modeled = (runtime as unknown as Record<string, new (...args: never[]) => Error>)[name];
      expect(modeled).toBeDefined();
      if (modeled) expect(err).toBeInstanceOf(modeled);
      expect(err.name).toBe(name);
      expect(err.message).toBe(`scripted ${name}`);
      expect((err.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(
        ERROR_STATUS[name] ?? -1,
      );
    });
  }

  test("ModelErrorException carries originalStatusCode and resourceName", async () => {
    emu.enqueue({
      error: {
        type: "ModelErrorException",
        body: { originalStatusCode: 502, resourceName: "claude" },
      },
    });
    const err = await caught(() => converse());
    expect(err.originalStatusCode).toBe(502);
    expect(err.resourceName).toBe("claude");
  });

  test("script headers such as retry-after reach the client", async () => {
    emu.enqueue({ error: { type: "ThrottlingException", headers: { "retry-after": "3" } } });
    const res = await fetch(`${emu.url}/model/${encodeURIComponent(SONNET_45_US)}/converse`, {
      method: "POST",
      headers: { authorization: "Bearer token", "content-type": "application/json" },
      body: JSON.stringify({ messages: userSays("hi") }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(res.headers.get("x-amzn-errortype")).toBe(
      "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
    );
    expect(res.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await res.json()).toEqual({
      message: "Too many requests, please wait before trying again.",
    });
  });

  test("the error=Name directive answers with that error", async () => {
    const err = await caught(() =>
      converse(SONNET_45_US, "hi [emu error=ServiceUnavailableException]"),
    );
    expect(err).toBeInstanceOf(runtime.ServiceUnavailableException);
  });

  test("a script is consumed once, then the default reply returns", async () => {
    emu.enqueue({ error: { type: "ThrottlingException" }, times: 2 });
    await caught(() => converse());
    await caught(() => converse());
    const ok = await converse();
    expect(ok.stopReason).toBe("end_turn");
  });

  test("scripts can target one model id", async () => {
    emu.enqueue({ match: { modelId: HAIKU_3 }, error: { type: "AccessDeniedException" } });
    expect((await converse(SONNET_45_US)).stopReason).toBe("end_turn");
    expect(await caught(() => converse(HAIKU_3))).toBeInstanceOf(runtime.AccessDeniedException);
  });
});

describe("model ids and routing", () => {
  test("an unknown model id is invalid", async () => {
    const err = await caught(() => converse("anthropic.claude-9-nonexistent"));
    expect(err).toBeInstanceOf(runtime.ValidationException);
    expect(err.message).toBe("The provided model identifier is invalid.");
  });

  test("a profile-only model called by its bare id needs an inference profile", async () => {
    const id = "anthropic.claude-sonnet-4-5-20250929-v1:0";
    const err = await caught(() => converse(id));
    expect(err.message).toBe(
      `Invocation of model ID ${id} with on-demand throughput isn’t supported. Retry your request with the ID or ARN of an inference profile that contains this model.`,
    );
  });

  test("foundation ids, foundation ARNs and global profiles are accepted", async () => {
    expect((await converse(HAIKU_3)).stopReason).toBe("end_turn");
    expect(
      (await converse(`arn:aws:bedrock:us-east-1::foundation-model/${HAIKU_3}`)).stopReason,
    ).toBe("end_turn");
    expect((await converse("global.anthropic.claude-haiku-4-5-20251001-v1:0")).stopReason).toBe(
      "end_turn",
    );
  });

  test("Converse on an embedding model is refused", async () => {
    const err = await caught(() => converse("amazon.titan-embed-text-v2:0"));
    expect(err.message).toContain("doesn't support the model");
  });

  test("a request without authorization gets UnrecognizedClientException 403", async () => {
    const res = await fetch(`${emu.url}/model/${HAIKU_3}/converse`, { method: "POST", body: "{}" });
    expect(res.status).toBe(403);
    expect(res.headers.get("x-amzn-errortype")).toStartWith("UnrecognizedClientException:");
  });

  test("an unknown route is UnknownOperationException 404 and is recorded", async () => {
    const res = await fetch(`${emu.url}/nope`, { headers: { authorization: "Bearer t" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("x-amzn-errortype")).toStartWith("UnknownOperationException:");
    expect(emu.requests.at(-1)?.operation).toBe("Unknown");
  });
});
