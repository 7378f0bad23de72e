import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import {
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import {
  APPLICATION_PROFILE_ARN,
  type Emulator,
  registerInvokeHandler,
  startEmulator,
} from "../../src/emulator";
import { caught, collect, HAIKU_3, runtimeClient, SONNET_45_US } from "./helpers";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());
beforeEach(() => emu.reset());

function anthropicBody(text: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    anthropic_version: "bedrock-2023-05-31",
    max_tokens: 256,
    messages: [{ role: "user", content: text }],
    ...extra,
  });
}

const decode = (bytes: Uint8Array | undefined) => JSON.parse(new TextDecoder().decode(bytes));

describe("InvokeModel (Anthropic Messages)", () => {
  test("returns an Anthropic message with Bedrock's token headers", async () => {
    const res = await runtimeClient(emu).send(
      new InvokeModelCommand({
        modelId: HAIKU_3,
        contentType: "application/json",
        body: anthropicBody("hello"),
      }),
    );
    const message = JSON.parse(res.body.transformToString());
    expect(message.type).toBe("message");
    expect(message.model).toBe(HAIKU_3);
    expect(message.content).toEqual([
      { type: "text", text: "Hello from the Bedrock emulator. You said: hello" },
    ]);
    expect(message.stop_reason).toBe("end_turn");
    expect(res.contentType).toBe("application/json");
  });

  test("an application profile ARN resolves to the model it copies", async () => {
    const res = await runtimeClient(emu).send(
      new InvokeModelCommand({ modelId: APPLICATION_PROFILE_ARN, body: anthropicBody("hi") }),
    );
    expect(JSON.parse(res.body.transformToString()).model).toBe(
      "anthropic.claude-sonnet-4-5-20250929-v1:0",
    );
  });

  test("tool_use content blocks follow the tool schema", async () => {
    const res = await runtimeClient(emu).send(
      new InvokeModelCommand({
        modelId: SONNET_45_US,
        body: anthropicBody("call lookup", {
          tools: [
            {
              name: "lookup",
              input_schema: {
                type: "object",
                properties: { q: { type: "string" } },
                required: ["q"],
              },
            },
          ],
        }),
      }),
    );
    const message = JSON.parse(res.body.transformToString());
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content[0]).toMatchObject({
      type: "tool_use",
      name: "lookup",
      input: { q: "example_q" },
    });
  });

  test("invokeBody scripts are returned as is", async () => {
    emu.enqueue({ match: { operation: "InvokeModel" }, invokeBody: { custom: true } });
    const res = await runtimeClient(emu).send(
      new InvokeModelCommand({ modelId: HAIKU_3, body: anthropicBody("x") }),
    );
    expect(JSON.parse(res.body.transformToString())).toEqual({ custom: true });
  });

  test("a malformed Anthropic body and an unknown family are ValidationExceptions", async () => {
    const client = runtimeClient(emu);
    const malformed = await caught(() =>
      client.send(new InvokeModelCommand({ modelId: HAIKU_3, body: "{}" })),
    );
    expect(malformed).toBeInstanceOf(ValidationException);
    expect(malformed.message).toContain("required key [anthropic_version] not found");
    const unknown = await caught(() =>
      client.send(
        new InvokeModelCommand({ modelId: "meta.llama3-1-8b-instruct-v1:0", body: "{}" }),
      ),
    );
    expect(unknown).toBeInstanceOf(ValidationException);
  });

  test("registerInvokeHandler adds a model family (the embeddings extension point)", async () => {
    const unregister = registerInvokeHandler((id) => id.startsWith("amazon.titan-embed-text"), {
      promptText: (req) => String((req.body as { inputText?: string }).inputText ?? ""),
      respond: () => ({
        body: { embedding: [0.1, 0.2], inputTextTokenCount: 2 },
        inputTokens: 2,
        outputTokens: 0,
      }),
    });
    try {
      const client = runtimeClient(emu);
      const body = JSON.stringify({ inputText: "embed me" });
      const res = await client.send(
        new InvokeModelCommand({ modelId: "amazon.titan-embed-text-v2:0", body }),
      );
      expect(JSON.parse(res.body.transformToString())).toEqual({
        embedding: [0.1, 0.2],
        inputTextTokenCount: 2,
      });
      const streamErr = await caught(() =>
        client.send(
          new InvokeModelWithResponseStreamCommand({
            modelId: "amazon.titan-embed-text-v2:0",
            body,
          }),
        ),
      );
      expect(streamErr).toBeInstanceOf(ValidationException);
    } finally {
      unregister();
    }
  });
});

describe("InvokeModelWithResponseStream (Anthropic)", () => {
  test("chunks carry base64 Anthropic SSE events, the last with invocation metrics", async () => {
    const res = await runtimeClient(emu).send(
      new InvokeModelWithResponseStreamCommand({
        modelId: SONNET_45_US,
        body: anthropicBody("hi [emu chunks=4]"),
      }),
    );
    const events = (await collect(res.body)).map((e) => decode(e.chunk?.bytes));
    expect(events.map((e) => e.type)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(events.at(-1)["amazon-bedrock-invocationMetrics"].outputTokenCount).toBeGreaterThan(0);
    expect(res.contentType).toBe("application/json");
  });

  test("reasoning=1 streams a thinking block with a signature", async () => {
    const res = await runtimeClient(emu).send(
      new InvokeModelWithResponseStreamCommand({
        modelId: SONNET_45_US,
        body: anthropicBody("x [emu reasoning=1]"),
      }),
    );
    const events = (await collect(res.body)).map((e) => decode(e.chunk?.bytes));
    expect(events[1].content_block.type).toBe("thinking");
    expect(events.some((e) => e.delta?.type === "signature_delta")).toBe(true);
  });

  test("CountTokens on an invokeModel body matches InvokeModel's input tokens", async () => {
    const client = runtimeClient(emu);
    const body = anthropicBody("count these tokens please");
    const invoked = JSON.parse(
      (
        await client.send(new InvokeModelCommand({ modelId: HAIKU_3, body }))
      ).body.transformToString(),
    );
    const counted = await client.send(
      new CountTokensCommand({
        modelId: HAIKU_3,
        input: { invokeModel: { body: new TextEncoder().encode(body) } },
      }),
    );
    expect(counted.inputTokens).toBe(invoked.usage.input_tokens);
  });
});
