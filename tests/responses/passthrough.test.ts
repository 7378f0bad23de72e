/**
 * Models Bedrock serves only through its OpenAI-compatible endpoint: the gateway passes
 * /v1/responses and /v1/chat/completions through, signed (SigV4 service `bedrock`).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { type Stack, startStack } from "../support/stack";

let stack: Stack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startStack({ API_KEY: "sk-test", MODEL_ALIASES: "gpt-5.5=openai.gpt-5.5" });
  client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "sk-test", maxRetries: 0 });
});
afterAll(() => stack.stop());
beforeEach(() => stack.emu.reset());

function compatRequests() {
  return stack.emu.requests.filter((r) => r.operation.startsWith("OpenAI"));
}

describe("pass-through to Bedrock's OpenAI-compatible endpoint", () => {
  test("responses: non-stream and stream, SigV4 for service bedrock, model alias resolved", async () => {
    const r = await client.responses.create({ model: "gpt-5.5", input: "ping" });
    expect(r.output_text).toBe("Hello from Bedrock's OpenAI-compatible endpoint. You said: ping");
    const req = compatRequests()[0];
    expect(req?.path).toBe("/openai/v1/responses");
    expect(req?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEMULATOR\/\d+\/us-east-1\/bedrock\/aws4_request/,
    );
    expect((req?.body as { model: string } | undefined)?.model).toBe("openai.gpt-5.5");

    stack.emu.enqueue({
      match: { operation: "OpenAIResponses" },
      reply: { content: [{ text: "relayed as it came" }] },
      stream: { chunkSize: 4 },
    });
    const final = await client.responses
      .stream({ model: "openai.gpt-5.5", input: "x" })
      .finalResponse();
    expect(final.output_text).toBe("relayed as it came");
  });

  test("hosted tools are dropped with a warning, never a 400", async () => {
    const raw = await client.responses
      .create({
        model: "gpt-5.5",
        input: "x",
        tools: [
          {
            type: "function",
            name: "f",
            parameters: { type: "object", properties: {} },
            strict: false,
          },
          { type: "web_search" },
        ] as OpenAI.Responses.Tool[],
      })
      .asResponse();
    expect(raw.status).toBe(200);
    expect(raw.headers.get("x-gateway-warnings")).toContain("web_search");
    expect((compatRequests()[0]?.body as { tools: unknown[] } | undefined)?.tools).toHaveLength(1);
  });

  test("upstream errors are relayed with their status and body", async () => {
    const err = await client.responses
      .create({ model: "gpt-5.5", input: "x", previous_response_id: "resp_x" })
      .catch((e: unknown) => e);
    // previous_response_id of a pass-through model is the endpoint's own business.
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("previous_response_id");
  });

  test("chat completions pass through too", async () => {
    const c = await client.chat.completions.create({
      model: "gpt-5.5",
      messages: [{ role: "user", content: "hi" }],
    });
    expect(c.choices[0]?.message.content).toContain("You said: hi");
    expect(compatRequests()[0]?.path).toBe("/openai/v1/chat/completions");
  });
});
