/**
 * The emulator's OpenAI-compatible endpoint, driven by the official openai SDK
 * the way AWS documents it (base URL …/openai/v1, a Bedrock API key).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { type Emulator, startEmulator } from "../../src/emulator";

let emu: Emulator;
let client: OpenAI;

beforeAll(async () => {
  emu = await startEmulator();
  client = new OpenAI({
    baseURL: `${emu.url}/openai/v1`,
    apiKey: "bedrock-api-key",
    maxRetries: 0,
  });
});
afterAll(() => emu.stop());
beforeEach(() => emu.reset());

describe("OpenAI-compatible endpoint", () => {
  test("responses.create and responses.stream on a GPT-5 model", async () => {
    const r = await client.responses.create({ model: "openai.gpt-5.5", input: "ping" });
    expect(r.output_text).toBe("Hello from Bedrock's OpenAI-compatible endpoint. You said: ping");
    emu.enqueue({
      match: { operation: "OpenAIResponses" },
      reply: { content: [{ text: "streamed" }] },
      stream: { chunkSize: 3 },
    });
    const final = await client.responses
      .stream({ model: "openai.gpt-5.5", input: "x" })
      .finalResponse();
    expect(final.output_text).toBe("streamed");
  });

  test("chat.completions on gpt-oss, streamed with usage", async () => {
    const stream = await client.chat.completions.create({
      model: "openai.gpt-oss-120b-1:0",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      usage = chunk.usage ?? usage;
    }
    expect(text).toContain("You said: hi");
    expect(usage?.total_tokens).toBeGreaterThan(0);
  });

  test("rejects what the runtime endpoint rejects", async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ model: "openai.gpt-oss-120b-1:0", input: "x" }, 404, "model"],
      [{ model: "openai.gpt-5.5", input: "x", background: true }, 400, "background"],
      [
        { model: "openai.gpt-5.5", input: "x", previous_response_id: "resp_1" },
        400,
        "previous_response_id",
      ],
      [
        { model: "openai.gpt-5.5", input: "x", tools: [{ type: "web_search" }] },
        400,
        "tools[0].type",
      ],
    ];
    for (const [body, status, param] of cases) {
      const err = await client.responses.create(body as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
      expect((err as InstanceType<typeof OpenAI.APIError>).param).toBe(param);
    }
    const res = await fetch(`${emu.url}/openai/v1/responses`, { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
  });
});
