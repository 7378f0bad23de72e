/**
 * Reasoning, caching and Bedrock-native controls end to end: the openai SDK →
 * gateway → real AWS SDK → emulator, in both modes.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { type Stack, startStack } from "../support/stack";

const MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const TOOLS = [
  {
    type: "function" as const,
    function: {
      name: "get_weather",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  },
];

let stack: Stack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startStack({
    ENABLE_PROMPT_CACHING: "true",
    GUARDRAIL_ID: "gr-default",
    GUARDRAIL_VERSION: "3",
  });
  client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "k", maxRetries: 0 });
});
afterAll(() => stack.stop());
beforeEach(() => stack.emu.reset());

type Json = Record<string, unknown>;
const lastBody = () => stack.emu.requests[stack.emu.requests.length - 1]?.body as Json;

interface Turn {
  content: string | null;
  reasoning: string;
  thinking: unknown[];
  toolCalls: Array<{ id: string; type: "function"; function: { name: string; arguments: string } }>;
  finish: string | null;
  extras: Json;
}

/** One completion, collected the same way in both modes. */
async function complete(body: Json, stream: boolean): Promise<Turn> {
  const params = {
    model: MODEL,
    ...body,
  } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
  if (!stream) {
    const out = await client.chat.completions.create(params);
    const msg = out.choices[0]?.message as unknown as Json;
    return {
      content: (msg.content as string | null) ?? null,
      reasoning: (msg.reasoning_content as string) ?? "",
      thinking: (msg.thinking_blocks as unknown[]) ?? [],
      toolCalls: (msg.tool_calls as Turn["toolCalls"]) ?? [],
      finish: out.choices[0]?.finish_reason ?? null,
      extras: out as unknown as Json,
    };
  }
  const chunks = await client.chat.completions.create({ ...params, stream: true });
  const turn: Turn = {
    content: "",
    reasoning: "",
    thinking: [],
    toolCalls: [],
    finish: null,
    extras: {},
  };
  for await (const chunk of chunks) {
    const c = chunk as unknown as Json;
    if (c.service_tier) turn.extras.service_tier = c.service_tier;
    if (c.bedrock) turn.extras.bedrock = c.bedrock;
    const choice = chunk.choices[0];
    if (!choice) continue;
    const delta = choice.delta as unknown as Json;
    turn.content = (turn.content ?? "") + ((delta.content as string) ?? "");
    turn.reasoning += (delta.reasoning_content as string) ?? "";
    turn.thinking.push(...((delta.thinking_blocks as unknown[]) ?? []));
    for (const tc of choice.delta.tool_calls ?? []) {
      const at = turn.toolCalls[tc.index];
      if (!at) {
        turn.toolCalls[tc.index] = {
          id: tc.id ?? "",
          type: "function",
          function: { name: tc.function?.name ?? "", arguments: tc.function?.arguments ?? "" },
        };
      } else at.function.arguments += tc.function?.arguments ?? "";
    }
    if (choice.finish_reason) turn.finish = choice.finish_reason;
  }
  return turn;
}

function assistantOf(turn: Turn): ChatCompletionMessageParam {
  return {
    role: "assistant",
    content: turn.content || null,
    ...(turn.toolCalls.length > 0 ? { tool_calls: turn.toolCalls } : {}),
    thinking_blocks: turn.thinking,
  } as unknown as ChatCompletionMessageParam;
}

for (const stream of [false, true]) {
  const mode = stream ? "stream" : "non-stream";

  describe(`reasoning (${mode})`, () => {
    test("reasoning arrives in reasoning_content, never in content, with a signed thinking block", async () => {
      const turn = await complete(
        {
          messages: [{ role: "user", content: "why is the sky blue" }],
          reasoning_effort: "medium",
        },
        stream,
      );
      expect(turn.reasoning).toBe("Let me think step by step about this request.");
      expect(turn.content).not.toContain("think step by step");
      expect(turn.content).toContain("You said: why is the sky blue");
      expect(turn.thinking).toHaveLength(1);
      expect(turn.thinking[0]).toMatchObject({ type: "thinking", thinking: turn.reasoning });
      expect((turn.thinking[0] as Json).signature).toStartWith("Eq");
      expect(lastBody().additionalModelRequestFields).toEqual({
        thinking: { type: "enabled", budget_tokens: 8192 },
      });
    });

    test("three turns of thinking + tools: signatures come back and lead each assistant turn", async () => {
      const messages: ChatCompletionMessageParam[] = [
        { role: "user", content: "Use get_weather for Paris" },
      ];
      const base = { tools: TOOLS, reasoning_effort: "low" };
      // Turn 1: thinking, then a tool call.
      const t1 = await complete({ ...base, messages }, stream);
      expect(t1.finish).toBe("tool_calls");
      expect(t1.toolCalls[0]?.function.name).toBe("get_weather");
      expect(t1.thinking).toHaveLength(1);
      messages.push(assistantOf(t1), {
        role: "tool",
        tool_call_id: t1.toolCalls[0]?.id ?? "",
        content: "18C and sunny",
      });
      // Turn 2: the tool result is answered; the emulator (like Bedrock) demands the thinking first.
      const t2 = await complete({ ...base, messages }, stream);
      expect(t2.content).toContain("The tool returned: 18C and sunny");
      const sent = lastBody().messages as Array<{ role: string; content: Json[] }>;
      expect(sent[1]?.content[0]).toEqual({
        reasoningContent: {
          reasoningText: t1.thinking[0] && {
            text: (t1.thinking[0] as Json).thinking,
            signature: (t1.thinking[0] as Json).signature,
          },
        },
      });
      messages.push(assistantOf(t2), { role: "user", content: "Now use get_weather for Oslo" });
      // Turn 3: thinking + a new tool call, with all earlier thinking carried.
      const t3 = await complete({ ...base, messages }, stream);
      expect(t3.finish).toBe("tool_calls");
      expect(t3.reasoning).not.toBe("");
      expect(t3.thinking).toHaveLength(1);
      const third = lastBody().messages as Array<{ role: string; content: Json[] }>;
      expect(
        third.filter((m) => m.role === "assistant").every((m) => m.content[0]?.reasoningContent),
      ).toBe(true);
    });

    test("without the thinking blocks, the tool loop fails as on Bedrock (issue #119)", async () => {
      const messages: ChatCompletionMessageParam[] = [
        { role: "user", content: "Use get_weather for Paris" },
      ];
      const t1 = await complete({ tools: TOOLS, reasoning_effort: "low", messages }, stream);
      messages.push(
        { role: "assistant", content: null, tool_calls: t1.toolCalls },
        { role: "tool", tool_call_id: t1.toolCalls[0]?.id ?? "", content: "sunny" },
      );
      const err = await complete({ tools: TOOLS, reasoning_effort: "low", messages }, stream).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).message).toContain(
        "Expected `thinking`",
      );
    });

    test("redacted thinking comes back as a redacted_thinking block and round-trips as bytes", async () => {
      const data = Buffer.from("opaque-redacted-bytes").toString("base64");
      stack.emu.enqueue({
        reply: {
          content: [{ reasoningContent: { redactedContent: data } }, { text: "Done." }],
        },
      });
      const turn = await complete(
        { messages: [{ role: "user", content: "hi" }], reasoning_effort: "low" },
        stream,
      );
      expect(turn.content).toBe("Done.");
      expect(turn.reasoning).toBe("");
      expect(turn.thinking).toEqual([{ type: "redacted_thinking", data }]);
      await complete(
        {
          messages: [
            { role: "user", content: "hi" },
            assistantOf(turn),
            { role: "user", content: "again" },
          ],
          reasoning_effort: "low",
        },
        stream,
      );
      const sent = lastBody().messages as Array<{ content: Json[] }>;
      expect(sent[1]?.content[0]).toEqual({ reasoningContent: { redactedContent: data } });
    });
  });

  describe(`caching and controls (${mode})`, () => {
    test("ENABLE_PROMPT_CACHING: the first call writes the cache, the second reads it", async () => {
      const body = {
        messages: [
          { role: "system", content: "You are a meticulous assistant. ".repeat(20) },
          { role: "user", content: "hello" },
        ],
        stream_options: stream ? { include_usage: true } : undefined,
      };
      const usageOf = async () => {
        if (!stream)
          return (
            await client.chat.completions.create({
              model: MODEL,
              ...body,
            } as OpenAI.ChatCompletionCreateParamsNonStreaming)
          ).usage;
        let usage: OpenAI.CompletionUsage | undefined | null;
        for await (const c of await client.chat.completions.create({
          model: MODEL,
          ...body,
          stream: true,
        } as OpenAI.ChatCompletionCreateParamsStreaming))
          if (c.usage) usage = c.usage;
        return usage;
      };
      const first = await usageOf();
      const system = lastBody().system as Json[];
      expect(system[system.length - 1]).toEqual({ cachePoint: { type: "default" } });
      const second = await usageOf();
      const write = (first?.prompt_tokens_details as Json | undefined)
        ?.cache_write_tokens as number;
      expect(write).toBeGreaterThan(0);
      expect(first?.prompt_tokens_details?.cached_tokens).toBe(0);
      expect(second?.prompt_tokens_details?.cached_tokens).toBeGreaterThan(0);
      expect(second?.prompt_tokens).toBe(first?.prompt_tokens);
    });

    test("guardrail intervention: finish_reason content_filter and the trace returned", async () => {
      const trace = { guardrail: { inputAssessment: { "gr-1": { topicPolicy: { topics: [] } } } } };
      stack.emu.enqueue({
        reply: {
          content: [{ text: "Sorry, I can't help." }],
          stopReason: "guardrail_intervened",
          trace,
        },
      });
      const turn = await complete(
        {
          messages: [{ role: "user", content: "forbidden" }],
          guardrailConfig: { guardrailIdentifier: "gr-1", guardrailVersion: "1", trace: "enabled" },
        },
        stream,
      );
      expect(turn.finish).toBe("content_filter");
      expect(turn.extras.bedrock).toEqual({ trace });
      expect(lastBody().guardrailConfig).toMatchObject({
        guardrailIdentifier: "gr-1",
        trace: "enabled",
      });
    });

    test("the env guardrail, service tier, metadata and response field paths reach Converse", async () => {
      const turn = await complete(
        {
          messages: [{ role: "user", content: "hi" }],
          service_tier: "flex",
          metadata: { tenant: "acme" },
          extra_body: { performanceConfig: { latency: "optimized" } },
          additionalModelResponseFieldPaths: ["/stop_sequence"],
        },
        stream,
      );
      const body = lastBody();
      expect(body.guardrailConfig).toMatchObject({
        guardrailIdentifier: "gr-default",
        guardrailVersion: "3",
      });
      expect(body.serviceTier).toEqual({ type: "flex" });
      expect(body.requestMetadata).toEqual({ tenant: "acme" });
      expect(body.performanceConfig).toEqual({ latency: "optimized" });
      expect(body.additionalModelResponseFieldPaths).toEqual(["/stop_sequence"]);
      expect(turn.extras.service_tier).toBe("flex");
    });

    test("invalid metadata is a 400 naming metadata, before any Bedrock call", async () => {
      const err = await complete(
        { messages: [{ role: "user", content: "hi" }], metadata: { "no<angle>": "x" } },
        stream,
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("metadata");
      expect(stack.emu.requests).toHaveLength(0);
    });
  });
}
