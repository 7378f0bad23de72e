/**
 * The contract outside checks rely on: `bun run start` reads PORT and API_KEY and
 * honours the AWS SDK's standard environment, with no other setting required.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { type Emulator, startEmulator } from "../../src/emulator";
import { spawnGateway } from "../support/process";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());
beforeEach(() => emu.reset());

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
function chat(url: string, key?: string) {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }] }),
  });
}

describe("bun run start", () => {
  test("SigV4 credentials, region, endpoint and API_KEY from the environment", async () => {
    const gw = await spawnGateway({
      API_KEY: "k1,k2",
      AWS_REGION: "eu-west-3",
      AWS_ACCESS_KEY_ID: "AKIDPROCESS",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emu.url,
      AWS_ENDPOINT_URL_BEDROCK: emu.url,
      LOG_LEVEL: "error",
    });
    try {
      expect((await chat(gw.url)).status).toBe(401);
      expect((await chat(gw.url, "k2")).status).toBe(200);
      const auth =
        emu.requests.find((r) => r.operation === "Converse")?.headers.authorization ?? "";
      expect(auth).toContain("Credential=AKIDPROCESS/");
      expect(auth).toContain("/eu-west-3/bedrock/aws4_request");
    } finally {
      expect(await gw.stop()).toBe(0);
    }
  });

  test("AWS_BEARER_TOKEN_BEDROCK switches the SDK to Bedrock API-key auth", async () => {
    const gw = await spawnGateway({
      AWS_REGION: "us-east-1",
      AWS_BEARER_TOKEN_BEDROCK: "bedrock-api-key-123",
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emu.url,
      AWS_ENDPOINT_URL_BEDROCK: emu.url,
      LOG_LEVEL: "error",
    });
    try {
      expect((await chat(gw.url)).status).toBe(200);
      expect(emu.requests.find((r) => r.operation === "Converse")?.headers.authorization).toBe(
        "Bearer bedrock-api-key-123",
      );
    } finally {
      await gw.stop();
    }
  });

  test("AWS_MAX_ATTEMPTS sets how often the SDK retries a throttle", async () => {
    const gw = await spawnGateway({
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDPROCESS",
      AWS_SECRET_ACCESS_KEY: "secret",
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emu.url,
      AWS_ENDPOINT_URL_BEDROCK: emu.url,
      AWS_MAX_ATTEMPTS: "3",
      LOG_LEVEL: "error",
    });
    try {
      emu.enqueue({
        match: { operation: "Converse" },
        times: 3,
        error: { type: "ThrottlingException", headers: { "retry-after": "0" } },
      });
      const res = await chat(gw.url);
      expect(res.status).toBe(429);
      expect(emu.requests.filter((r) => r.operation === "Converse").length).toBe(3);
    } finally {
      await gw.stop();
    }
  });

  test("an invalid environment stops startup with a readable list", async () => {
    const proc = Bun.spawn([process.execPath, "run", "src/index.ts"], {
      cwd: `${import.meta.dir}/../..`,
      env: { PATH: process.env.PATH ?? "", PORT: "not-a-port", LOG_LEVEL: "chatty" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await proc.exited).toBe(1);
    const err = await new Response(proc.stderr).text();
    expect(err).toContain("Invalid configuration");
    expect(err).toContain("PORT");
    expect(err).toContain("LOG_LEVEL");
  });
});
