import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import {
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  CountTokensCommand,
  type Tool,
} from "@aws-sdk/client-bedrock-runtime";
import { APPLICATION_PROFILE_ARN, type Emulator, startEmulator } from "../../src/emulator";
import { collect, runtimeClient, SONNET_45_US, userSays } from "./helpers";

const weatherTool: Tool = {
  toolSpec: {
    name: "get_weather",
    description: "Weather for a city",
    inputSchema: {
      json: {
        type: "object",
        properties: {
          city: { type: "string" },
          days: { type: "integer" },
          unit: { type: "string", enum: ["celsius", "fahrenheit"] },
          verbose: { type: "boolean" },
        },
        required: ["city", "days", "unit"],
      },
    },
  },
};

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());
beforeEach(() => emu.reset());

describe("Converse default replies", () => {
  test("echoes the last user text with deterministic usage", async () => {
    const client = runtimeClient(emu);
    const input = { modelId: SONNET_45_US, messages: userSays("What is the capital of France?") };
    const first = await client.send(new ConverseCommand(input));
    const second = await client.send(new ConverseCommand(input));
    expect(first.output?.message?.content).toEqual([
      { text: "Hello from the Bedrock emulator. You said: What is the capital of France?" },
    ]);
    expect(first.stopReason).toBe("end_turn");
    expect(first.usage?.totalTokens).toBe(
      (first.usage?.inputTokens ?? 0) + (first.usage?.outputTokens ?? 0),
    );
    expect(second.usage).toEqual(first.usage);
    expect(first.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("trims the echo to 200 characters", async () => {
    const long = "x".repeat(500);
    const res = await runtimeClient(emu).send(
      new ConverseCommand({ modelId: SONNET_45_US, messages: userSays(long) }),
    );
    const text = res.output?.message?.content?.[0]?.text ?? "";
    expect(text).toBe(`Hello from the Bedrock emulator. You said: ${"x".repeat(200)}`);
  });

  test("calls a tool named in the prompt, with schema placeholders", async () => {
    const res = await runtimeClient(emu).send(
      new ConverseCommand({
        modelId: SONNET_45_US,
        messages: userSays("please use get_weather for Paris"),
        toolConfig: { tools: [weatherTool] },
      }),
    );
    const block = res.output?.message?.content?.[0];
    expect(res.stopReason).toBe("tool_use");
    expect(block?.toolUse?.name).toBe("get_weather");
    expect(block?.toolUse?.toolUseId).toMatch(/^tooluse_[0-9a-f]{22}$/);
    expect(block?.toolUse?.input).toEqual({ city: "example_city", days: 1, unit: "celsius" });
  });

  test("toolChoice any forces a tool call even without a mention", async () => {
    const res = await runtimeClient(emu).send(
      new ConverseCommand({
        modelId: SONNET_45_US,
        messages: userSays("hello"),
        toolConfig: { tools: [weatherTool], toolChoice: { any: {} } },
      }),
    );
    expect(res.output?.message?.content?.[0]?.toolUse?.name).toBe("get_weather");
  });

  test("answers a tool result by quoting it", async () => {
    const res = await runtimeClient(emu).send(
      new ConverseCommand({
        modelId: SONNET_45_US,
        messages: [
          { role: "user", content: [{ text: "use get_weather" }] },
          {
            role: "assistant",
            content: [{ toolUse: { toolUseId: "tooluse_1", name: "get_weather", input: {} } }],
          },
          {
            role: "user",
            content: [
              { toolResult: { toolUseId: "tooluse_1", content: [{ text: "Sunny, 21C" }] } },
            ],
          },
        ],
        toolConfig: { tools: [weatherTool] },
      }),
    );
    expect(res.stopReason).toBe("end_turn");
    expect(res.output?.message?.content).toEqual([{ text: "The tool returned: Sunny, 21C" }]);
  });

  test("CountTokens agrees with Converse inputTokens", async () => {
    const client = runtimeClient(emu);
    const messages = userSays("count me please, I am a reasonably long sentence");
    const converse = await client.send(new ConverseCommand({ modelId: SONNET_45_US, messages }));
    const count = await client.send(
      new CountTokensCommand({ modelId: SONNET_45_US, input: { converse: { messages } } }),
    );
    expect(count.inputTokens).toBe(converse.usage?.inputTokens);
  });

  test("ARN model ids are decoded for handlers and raw on the wire", async () => {
    const profileArn = `arn:aws:bedrock:us-east-1:123456789012:inference-profile/${SONNET_45_US}`;
    const client = runtimeClient(emu);
    await client.send(new ConverseCommand({ modelId: profileArn, messages: userSays("hi") }));
    await client.send(
      new ConverseCommand({ modelId: APPLICATION_PROFILE_ARN, messages: userSays("hi") }),
    );
    const [viaProfile, viaApp] = emu.requests;
    expect(viaProfile?.modelId).toBe(profileArn);
    expect(viaProfile?.path).toBe(
      "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse",
    );
    expect(viaApp?.modelId).toBe(APPLICATION_PROFILE_ARN);
    expect(viaApp?.operation).toBe("Converse");
    expect(viaApp?.headers.authorization).toStartWith("AWS4-HMAC-SHA256 ");
  });
});

describe("ConverseStream", () => {
  test("streams the default reply in order, text without contentBlockStart", async () => {
    const res = await runtimeClient(emu).send(
      new ConverseStreamCommand({
        modelId: SONNET_45_US,
        messages: userSays("stream this please"),
      }),
    );
    const events = await collect(res.stream);
    const kinds = events.map((e) => Object.keys(e)[0]);
    expect(kinds[0]).toBe("messageStart");
    expect(kinds).not.toContain("contentBlockStart");
    expect(kinds.slice(-3)).toEqual(["contentBlockStop", "messageStop", "metadata"]);
    const text = events.map((e) => e.contentBlockDelta?.delta?.text ?? "").join("");
    expect(text).toBe("Hello from the Bedrock emulator. You said: stream this please");
    expect(events.at(-1)?.metadata?.usage?.outputTokens).toBeGreaterThan(0);
    expect(emu.stats.streamsStarted).toBe(1);
    expect(emu.stats.streamsCompleted).toBe(1);
  });

  test("scripted reasoning, redacted reasoning, text and toolUse arrive in Bedrock's order", async () => {
    emu.enqueue({
      match: { operation: "ConverseStream" },
      reply: {
        content: [
          {
            reasoningContent: {
              reasoningText: { text: "Let me think step by step.", signature: "sig-123" },
            },
          },
          {
            reasoningContent: { redactedContent: Buffer.from("redacted-bytes").toString("base64") },
          },
          { text: "Checking the weather." },
          {
            toolUse: {
              toolUseId: "tooluse_abc",
              name: "get_weather",
              input: { city: "Paris", unit: "celsius" },
            },
          },
        ],
        usage: {
          inputTokens: 32,
          outputTokens: 28,
          cacheReadInputTokens: 128,
          cacheWriteInputTokens: 0,
        },
      },
      stream: { chunkSize: 10 },
    });
    const res = await runtimeClient(emu).send(
      new ConverseStreamCommand({
        modelId: SONNET_45_US,
        messages: userSays("weather?"),
        toolConfig: { tools: [weatherTool] },
      }),
    );
    const events: ConverseStreamOutput[] = await collect(res.stream);
    const byIndex = (i: number) =>
      events.filter(
        (e) =>
          e.contentBlockDelta?.contentBlockIndex === i ||
          e.contentBlockStart?.contentBlockIndex === i ||
          e.contentBlockStop?.contentBlockIndex === i,
      );
    const reasoning = byIndex(0);
    expect(
      reasoning.map((e) => e.contentBlockDelta?.delta?.reasoningContent?.text ?? "").join(""),
    ).toBe("Let me think step by step.");
    expect(reasoning.at(-2)?.contentBlockDelta?.delta?.reasoningContent?.signature).toBe("sig-123");
    const redacted = byIndex(1)[0]?.contentBlockDelta?.delta?.reasoningContent?.redactedContent;
    expect(new TextDecoder().decode(redacted)).toBe("redacted-bytes");
    expect(
      byIndex(2)
        .map((e) => e.contentBlockDelta?.delta?.text ?? "")
        .join(""),
    ).toBe("Checking the weather.");
    const tool = byIndex(3);
    expect(tool[0]?.contentBlockStart?.start?.toolUse).toEqual({
      toolUseId: "tooluse_abc",
      name: "get_weather",
    });
    const input = tool.map((e) => e.contentBlockDelta?.delta?.toolUse?.input ?? "").join("");
    expect(JSON.parse(input)).toEqual({ city: "Paris", unit: "celsius" });
    expect(tool.filter((e) => e.contentBlockDelta).length).toBe(Math.ceil(input.length / 10));
    expect(events.filter((e) => e.contentBlockStart).length).toBe(1);
    expect(events.at(-2)?.messageStop?.stopReason).toBe("tool_use");
    expect(events.at(-1)?.metadata?.usage).toEqual({
      inputTokens: 32,
      outputTokens: 28,
      totalTokens: 60,
      cacheReadInputTokens: 128,
      cacheWriteInputTokens: 0,
    });
  });

  test("omitMetadata drops the metadata event", async () => {
    emu.enqueue({ stream: { omitMetadata: true } });
    const res = await runtimeClient(emu).send(
      new ConverseStreamCommand({ modelId: SONNET_45_US, messages: userSays("x") }),
    );
    const events = await collect(res.stream);
    expect(Object.keys(events.at(-1) ?? {})).toEqual(["messageStop"]);
  });
});

describe("prompt directives", () => {
  test("chunks=N gives exactly N text deltas", async () => {
    const res = await runtimeClient(emu).send(
      new ConverseStreamCommand({ modelId: SONNET_45_US, messages: userSays("go [emu chunks=7]") }),
    );
    const deltas = (await collect(res.stream)).filter(
      (e) => e.contentBlockDelta?.delta?.text !== undefined,
    );
    expect(deltas.length).toBe(7);
    expect(deltas[0]?.contentBlockDelta?.delta?.text).toBe("alpha ");
  });

  test("reasoning=1 and stop=max_tokens shape the non-stream reply", async () => {
    const res = await runtimeClient(emu).send(
      new ConverseCommand({
        modelId: SONNET_45_US,
        messages: userSays("think [emu reasoning=1 stop=max_tokens]"),
      }),
    );
    const [reasoning, text] = res.output?.message?.content ?? [];
    expect(reasoning?.reasoningContent?.reasoningText?.signature).toMatch(/^Eq[0-9a-f]+$/);
    expect(text?.text).toBe("Hello from the Bedrock emulator. You said: think");
    expect(res.stopReason).toBe("max_tokens");
  });

  test("chunk=N sets the delta size and delay/first still deliver everything", async () => {
    const res = await runtimeClient(emu).send(
      new ConverseStreamCommand({
        modelId: SONNET_45_US,
        messages: userSays("abc [emu chunk=5 delay=1 first=1]"),
      }),
    );
    const deltas = (await collect(res.stream)).flatMap((e) => {
      const text = e.contentBlockDelta?.delta?.text;
      return text === undefined ? [] : [text];
    });
    expect(deltas.every((d) => d.length <= 5)).toBe(true);
    expect(deltas.join("")).toBe("Hello from the Bedrock emulator. You said: abc");
  });

  test("tool=name picks the tool", async () => {
    const res = await runtimeClient(emu).send(
      new ConverseCommand({
        modelId: SONNET_45_US,
        messages: userSays("anything [emu tool=get_weather]"),
        toolConfig: { tools: [weatherTool] },
      }),
    );
    expect(res.output?.message?.content?.[0]?.toolUse?.name).toBe("get_weather");
  });
});
