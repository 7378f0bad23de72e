/**
 * Pins how reasoning_effort, thinking history, cache breakpoints and the
 * Bedrock-native controls reach the Converse input, per model family.
 */
import { describe, expect, test } from "bun:test";
import type { ContentBlock } from "@aws-sdk/client-bedrock-runtime";
import type { TranslationDefaults as ExtensionDefaults } from "../../src/converse/input";
import { GatewayError } from "../../src/errors";
import { capabilitiesOf } from "../../src/models/capabilities";
import { type ChatRequest, chatRequestSchema } from "../../src/surfaces/openai-chat/schema";
import { toConverse } from "../../src/surfaces/openai-chat/translate";

const SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const OPUS_46 = "anthropic.claude-opus-4-6-v1";
const OPUS_47 = "anthropic.claude-opus-4-7";
const NOVA_2 = "amazon.nova-2-lite-v1:0";
const GPT_OSS = "openai.gpt-oss-120b-1:0";

function translate(model: string, body: Record<string, unknown>, defaults: ExtensionDefaults = {}) {
  const req: ChatRequest = chatRequestSchema.parse({
    messages: [{ role: "user", content: "hi" }],
    ...body,
  });
  return toConverse(req, { modelId: model, caps: capabilitiesOf(model), defaults });
}

function rejects(fn: () => unknown, param: string): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).status).toBe(400);
    expect((err as GatewayError).param).toBe(param);
    return;
  }
  throw new Error(`expected a 400 naming ${param}`);
}

describe("reasoning_effort → Claude budgeted thinking (Sonnet 4.5)", () => {
  const table: Array<[string, number]> = [
    ["minimal", 1024],
    ["low", 2048],
    ["medium", 8192],
    ["high", 16384],
    ["xhigh", 24576],
    ["max", 24576],
  ];
  for (const [effort, budget] of table) {
    test(`${effort} → budget ${budget}, maxTokens budget + 8192 when unset`, () => {
      const { input } = translate(SONNET_45, { reasoning_effort: effort });
      expect(input.additionalModelRequestFields).toEqual({
        thinking: { type: "enabled", budget_tokens: budget },
      });
      expect(input.inferenceConfig?.maxTokens).toBe(budget + 8192);
    });
  }
  test("a client max_tokens caps thinking at half of it, never below 1024", () => {
    expect(
      translate(SONNET_45, { reasoning_effort: "high", max_tokens: 4000 }).input
        .additionalModelRequestFields,
    ).toEqual({ thinking: { type: "enabled", budget_tokens: 2000 } });
    const small = translate(SONNET_45, { reasoning_effort: "high", max_tokens: 1500 }).input;
    expect(small.additionalModelRequestFields).toEqual({
      thinking: { type: "enabled", budget_tokens: 1024 },
    });
    expect(small.inferenceConfig?.maxTokens).toBe(1500);
  });
  test("max_tokens ≤ 1024 with reasoning is a 400 naming max_tokens", () => {
    rejects(
      () => translate(SONNET_45, { reasoning_effort: "low", max_tokens: 1024 }),
      "max_tokens",
    );
  });
  test("none sends no thinking and no warning", () => {
    const { input, warnings } = translate(SONNET_45, { reasoning_effort: "none" });
    expect(input.additionalModelRequestFields).toBeUndefined();
    expect(warnings).toEqual([]);
  });
  test("thinking drops temperature ≠ 1, top_p < 0.95, top_k and relaxes a forced tool_choice", () => {
    const { input, warnings } = translate(SONNET_45, {
      reasoning_effort: "low",
      temperature: 0.2,
      top_k: 5,
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
      tool_choice: "required",
    });
    expect(input.inferenceConfig?.temperature).toBeUndefined();
    expect(input.additionalModelRequestFields).toEqual({
      thinking: { type: "enabled", budget_tokens: 2048 },
    });
    expect(input.toolConfig?.toolChoice).toBeUndefined();
    expect(warnings.join("; ")).toContain("temperature dropped");
    expect(warnings.join("; ")).toContain("top_k dropped");
    expect(warnings.join("; ")).toContain("tool_choice relaxed to auto");
  });
  test("a raw thinking object is honoured; a budget below 1024 is a 400", () => {
    const { input } = translate(SONNET_45, { thinking: { type: "enabled", budget_tokens: 3000 } });
    expect(input.additionalModelRequestFields).toEqual({
      thinking: { type: "enabled", budget_tokens: 3000 },
    });
    expect(input.inferenceConfig?.maxTokens).toBe(3000 + 8192);
    rejects(
      () => translate(SONNET_45, { thinking: { type: "enabled", budget_tokens: 500 } }),
      "thinking",
    );
    rejects(
      () =>
        translate(SONNET_45, {
          extra_body: { thinking: { type: "enabled", budget_tokens: 4000 } },
          max_tokens: 4000,
        }),
      "max_tokens",
    );
  });
});

describe("reasoning_effort → Claude adaptive thinking", () => {
  test("Opus 4.6: adaptive + outputConfig.effort; xhigh becomes max (4.6 has no xhigh)", () => {
    const efforts: Array<[string, string]> = [
      ["minimal", "low"],
      ["low", "low"],
      ["medium", "medium"],
      ["high", "high"],
      ["xhigh", "max"],
      ["max", "max"],
    ];
    for (const [effort, claude] of efforts) {
      const { input } = translate(OPUS_46, { reasoning_effort: effort });
      expect(input.additionalModelRequestFields).toEqual({ thinking: { type: "adaptive" } });
      expect(input.outputConfig?.effort).toBe(claude);
      expect(input.inferenceConfig?.maxTokens).toBe(32768);
    }
  });
  test("Opus 4.7: summarized display (hidden by default) and xhigh kept", () => {
    const { input } = translate(OPUS_47, { reasoning_effort: "xhigh", max_tokens: 500 });
    expect(input.additionalModelRequestFields).toEqual({
      thinking: { type: "adaptive", display: "summarized" },
    });
    expect(input.outputConfig?.effort).toBe("xhigh");
    expect(input.inferenceConfig?.maxTokens).toBe(500);
  });
});

describe("reasoning_effort → other families", () => {
  test("Nova 2: reasoningConfig; high drops temperature, topP, topK and maxTokens", () => {
    const low = translate(NOVA_2, { reasoning_effort: "minimal", temperature: 0.3 }).input;
    expect(low.additionalModelRequestFields).toEqual({
      reasoningConfig: { type: "enabled", maxReasoningEffort: "low" },
    });
    expect(low.inferenceConfig?.temperature).toBe(0.3);
    const { input, warnings } = translate(NOVA_2, {
      reasoning_effort: "xhigh",
      temperature: 0.3,
      top_p: 0.5,
      max_tokens: 100,
      top_k: 9,
    });
    expect(input.additionalModelRequestFields).toEqual({
      reasoningConfig: { type: "enabled", maxReasoningEffort: "high" },
    });
    expect(input.inferenceConfig).toEqual({});
    expect(warnings.join("; ")).toContain("temperature, topP, maxTokens, topK dropped");
  });
  test("gpt-oss: reasoning_effort low|medium|high in additionalModelRequestFields", () => {
    const efforts: Array<[string, string]> = [
      ["minimal", "low"],
      ["medium", "medium"],
      ["max", "high"],
    ];
    for (const [effort, sent] of efforts) {
      expect(
        translate(GPT_OSS, { reasoning_effort: effort }).input.additionalModelRequestFields,
      ).toEqual({
        reasoning_effort: sent,
      });
    }
  });
  test("DeepSeek R1 and models without reasoning: ignored with a warning", () => {
    const r1 = translate("deepseek.r1-v1:0", { reasoning_effort: "high" });
    expect(r1.input.additionalModelRequestFields).toBeUndefined();
    expect(r1.warnings).toContain("reasoning_effort ignored: this model always reasons");
    const titan = translate("amazon.titan-text-express-v1", { reasoning_effort: "high" });
    expect(titan.warnings).toContain(
      "reasoning_effort ignored: this model has no reasoning control",
    );
  });
});

describe("thinking history", () => {
  const history = [
    { role: "user", content: "weather?" },
    {
      role: "assistant",
      content: "Let me check.",
      thinking_blocks: [
        { type: "thinking", thinking: "need tool", signature: "sig1" },
        { type: "redacted_thinking", data: Buffer.from("secret").toString("base64") },
        { type: "thinking", thinking: "unsigned, dropped" },
      ],
      tool_calls: [{ id: "t1", type: "function", function: { name: "w", arguments: "{}" } }],
    },
    { role: "tool", tool_call_id: "t1", content: "sunny" },
  ];
  test("signed and redacted blocks lead the assistant turn, before text and toolUse", () => {
    const { input } = translate(SONNET_45, { messages: history, reasoning_effort: "low" });
    const content = input.messages?.[1]?.content ?? [];
    expect(content[0]).toEqual({
      reasoningContent: { reasoningText: { text: "need tool", signature: "sig1" } },
    });
    const redacted = (content[1] as ContentBlock.ReasoningContentMember).reasoningContent
      .redactedContent;
    expect(Buffer.from(redacted ?? new Uint8Array()).toString()).toBe("secret");
    expect(content[2]).toEqual({ text: "Let me check." });
    expect(content[3]?.toolUse?.toolUseId).toBe("t1");
    expect(content).toHaveLength(4);
  });
  test("non-Claude models get no reasoning blocks back", () => {
    const { input } = translate(NOVA_2, { messages: history });
    expect(input.messages?.[1]?.content?.some((b) => b.reasoningContent)).toBe(false);
  });
});

describe("prompt caching", () => {
  const CP = { cachePoint: { type: "default" as const } };
  test("cache_control on system, user parts and tools; prompt_cache_breakpoint on a part", () => {
    const { input } = translate(SONNET_45, {
      messages: [
        {
          role: "system",
          content: [
            { type: "text", text: "rules", cache_control: { type: "ephemeral", ttl: "1h" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "text", text: "doc", prompt_cache_breakpoint: { mode: "explicit" } },
            { type: "text", text: "question" },
          ],
        },
      ],
      tools: [
        { type: "function", function: { name: "a" } },
        { type: "function", function: { name: "b" }, cache_control: { type: "ephemeral" } },
      ],
    });
    expect(input.system).toEqual([
      { text: "rules" },
      { cachePoint: { type: "default", ttl: "1h" } },
    ]);
    expect(input.messages?.[0]?.content).toEqual([{ text: "doc" }, CP, { text: "question" }]);
    expect(input.toolConfig?.tools?.[2]).toEqual(CP);
    expect(input.toolConfig?.tools?.[1]?.toolSpec?.name).toBe("b");
  });
  test("ENABLE_PROMPT_CACHING: after the system prompt and the last user turn, when the client set none", () => {
    const { input } = translate(
      NOVA_2,
      {
        messages: [
          { role: "system", content: "s" },
          { role: "user", content: "u" },
        ],
      },
      { promptCaching: true },
    );
    expect(input.system).toEqual([{ text: "s" }, CP]);
    expect(input.messages?.[0]?.content).toEqual([{ text: "u" }, CP]);
    const off = translate(
      NOVA_2,
      { messages: [{ role: "user", content: "u" }], prompt_caching: { messages: false } },
      { promptCaching: true },
    ).input;
    expect(off.messages?.[0]?.content).toEqual([{ text: "u" }]);
  });
  test("at most four: the last four are kept, with a warning", () => {
    const part = (text: string) => ({ type: "text", text, cache_control: { type: "ephemeral" } });
    const { input, warnings } = translate(SONNET_45, {
      messages: [{ role: "user", content: ["1", "2", "3", "4", "5"].map(part) }],
    });
    const content = input.messages?.[0]?.content ?? [];
    expect(content.filter((b) => b.cachePoint)).toHaveLength(4);
    expect(content[1]).toEqual({ text: "2" });
    expect(warnings.join("; ")).toContain("1 cache breakpoint(s) dropped");
  });
  test("a model without caching gets none, with a warning; a bad cache_control is a 400", () => {
    const { input, warnings } = translate("meta.llama3-1-70b-instruct-v1:0", {
      messages: [
        {
          role: "user",
          content: [{ type: "text", text: "x", cache_control: { type: "ephemeral" } }],
        },
      ],
    });
    expect(input.messages?.[0]?.content).toEqual([{ text: "x" }]);
    expect(warnings.join("; ")).toContain("prompt caching ignored");
    rejects(
      () =>
        translate(SONNET_45, {
          messages: [
            {
              role: "user",
              content: [{ type: "text", text: "x", cache_control: { type: "forever" } }],
            },
          ],
        }),
      "messages[0].content[0].cache_control",
    );
  });
  test("Nova does not cache tools: the tool breakpoint is dropped with a warning", () => {
    const { input, warnings } = translate(NOVA_2, {
      tools: [{ type: "function", function: { name: "a" }, cache_control: { type: "ephemeral" } }],
    });
    expect(input.toolConfig?.tools).toHaveLength(1);
    expect(warnings.join("; ")).toContain("cache_control on tools ignored");
  });
});

describe("Bedrock-native controls", () => {
  test("top level and extra_body both reach Converse; top level wins", () => {
    const { input } = translate(
      SONNET_45,
      {
        guardrailConfig: { guardrailIdentifier: "gr-top", guardrailVersion: "2", trace: "enabled" },
        extra_body: {
          guardrailConfig: { guardrailIdentifier: "gr-extra", guardrailVersion: "1" },
          performanceConfig: { latency: "optimized" },
          additionalModelResponseFieldPaths: ["/stop_sequence"],
          requestMetadata: { team: "search" },
          additionalModelRequestFields: { anthropic_beta: ["x"] },
        },
        service_tier: "flex",
        metadata: { user: "u-1" },
        top_k: 7,
      },
      {
        guardrail: {
          guardrailIdentifier: "gr-env",
          guardrailVersion: "9",
          streamProcessingMode: "async",
        },
      },
    );
    expect(input.guardrailConfig).toEqual({
      guardrailIdentifier: "gr-top",
      guardrailVersion: "2",
      trace: "enabled",
    });
    expect(input.performanceConfig).toEqual({ latency: "optimized" });
    expect(input.serviceTier).toEqual({ type: "flex" });
    expect(input.requestMetadata).toEqual({ user: "u-1", team: "search" });
    expect(input.additionalModelResponseFieldPaths).toEqual(["/stop_sequence"]);
    expect(input.additionalModelRequestFields).toEqual({ anthropic_beta: ["x"], top_k: 7 });
  });
  test("the env guardrail is the default; streamProcessingMode only when streaming", () => {
    const defaults = {
      guardrail: {
        guardrailIdentifier: "gr-env",
        guardrailVersion: "9",
        streamProcessingMode: "async" as const,
      },
    };
    expect(translate(SONNET_45, {}, defaults).input.guardrailConfig).toEqual({
      guardrailIdentifier: "gr-env",
      guardrailVersion: "9",
    });
    expect(translate(SONNET_45, { stream: true }, defaults).input.guardrailConfig).toEqual(
      defaults.guardrail,
    );
  });
  test("service_tier: OpenAI values map to Bedrock tiers; auto sends none", () => {
    const tiers: Array<[string, string | undefined]> = [
      ["auto", undefined],
      ["default", "default"],
      ["flex", "flex"],
      ["priority", "priority"],
      ["fast", "priority"],
      ["scale", "reserved"],
    ];
    for (const [openai, bedrock] of tiers)
      expect<string | undefined>(
        translate(SONNET_45, { service_tier: openai }).input.serviceTier?.type,
      ).toBe(bedrock);
    expect(translate(SONNET_45, { serviceTier: { type: "priority" } }).input.serviceTier).toEqual({
      type: "priority",
    });
    rejects(() => translate(SONNET_45, { service_tier: "turbo" }), "service_tier");
  });
  test("top_k goes where each family takes it", () => {
    expect(translate(NOVA_2, { top_k: 3 }).input.additionalModelRequestFields).toEqual({
      inferenceConfig: { topK: 3 },
    });
    const llama = translate("meta.llama3-1-70b-instruct-v1:0", { top_k: 3 });
    expect(llama.input.additionalModelRequestFields).toBeUndefined();
    expect(llama.warnings).toContain("top_k ignored: this model has no top_k setting");
    rejects(() => translate(SONNET_45, { top_k: 0 }), "top_k");
  });
  test("bad controls are 400s naming the parameter", () => {
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    rejects(() => translate(SONNET_45, { metadata: many }), "metadata");
    rejects(() => translate(SONNET_45, { metadata: { "bad<key>": "v" } }), "metadata");
    rejects(() => translate(SONNET_45, { metadata: { k: "x".repeat(257) } }), "metadata.k");
    rejects(
      () => translate(SONNET_45, { guardrailConfig: { guardrailIdentifier: "g" } }),
      "guardrailConfig.guardrailVersion",
    );
    rejects(
      () => translate(SONNET_45, { performanceConfig: { latency: "fast" } }),
      "performanceConfig.latency",
    );
    rejects(
      () => translate(SONNET_45, { additionalModelResponseFieldPaths: ["stop"] }),
      "additionalModelResponseFieldPaths.0",
    );
    rejects(
      () => translate(SONNET_45, { additionalModelRequestFields: [1] }),
      "additionalModelRequestFields",
    );
    rejects(() => translate(SONNET_45, { extra_body: "x" }), "extra_body");
  });
});
