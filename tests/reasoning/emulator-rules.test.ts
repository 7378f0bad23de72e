/** The emulator rejects what Bedrock rejects around thinking, cache points and metadata. */
import { describe, expect, test } from "bun:test";
import { ANTHROPIC_RULE_MESSAGES } from "../../src/emulator/anthropic-rules";
import { FEATURE_MESSAGES } from "../../src/emulator/features";
import { validateConverseRequest } from "../../src/emulator/validate";

const user = { role: "user", content: [{ text: "hi" }] };
const thinking = (t: unknown, extra: Record<string, unknown> = {}) => ({
  messages: [user],
  additionalModelRequestFields: { thinking: t },
  ...extra,
});

describe("emulator: Bedrock's feature rules", () => {
  test("thinking budget, max_tokens, temperature, top_k and forced tools", () => {
    expect(validateConverseRequest(thinking({ type: "enabled", budget_tokens: 1000 }))).toBe(
      FEATURE_MESSAGES.budgetTooSmall,
    );
    expect(
      validateConverseRequest(
        thinking(
          { type: "enabled", budget_tokens: 2000 },
          { inferenceConfig: { maxTokens: 2000 } },
        ),
      ),
    ).toBe(FEATURE_MESSAGES.budgetNotBelowMax);
    expect(
      validateConverseRequest(
        thinking({ type: "adaptive" }, { inferenceConfig: { temperature: 0.5 } }),
      ),
    ).toBe(FEATURE_MESSAGES.temperatureWithThinking);
    expect(
      validateConverseRequest({
        messages: [user],
        additionalModelRequestFields: { thinking: { type: "adaptive" }, top_k: 3 },
      }),
    ).toBe(FEATURE_MESSAGES.topKWithThinking);
    expect(
      validateConverseRequest(
        thinking(
          { type: "adaptive" },
          {
            toolConfig: {
              tools: [{ toolSpec: { name: "f", inputSchema: { json: {} } } }],
              toolChoice: { any: {} },
            },
          },
        ),
      ),
    ).toBe(FEATURE_MESSAGES.forcedToolWithThinking);
    expect(
      validateConverseRequest(thinking({ type: "enabled", budget_tokens: 1024 })),
    ).toBeUndefined();
  });
  test("interleaved thinking lets the budget exceed max_tokens; unknown betas fail the request", () => {
    const budget = { type: "enabled", budget_tokens: 4096 };
    const interleaved = {
      messages: [user],
      inferenceConfig: { maxTokens: 2048 },
      additionalModelRequestFields: {
        thinking: budget,
        anthropic_beta: ["interleaved-thinking-2025-05-14"],
      },
    };
    expect(validateConverseRequest(interleaved)).toBeUndefined();
    expect(
      validateConverseRequest({
        ...interleaved,
        additionalModelRequestFields: {
          thinking: budget,
          anthropic_beta: ["claude-code-20250219"],
        },
      }),
    ).toBe(ANTHROPIC_RULE_MESSAGES.invalidBeta);
  });
  test("at most four cache points; requestMetadata within Bedrock's limits", () => {
    const cp = { cachePoint: { type: "default" } };
    expect(
      validateConverseRequest({
        messages: [
          { role: "user", content: [{ text: "a" }, cp, { text: "b" }, cp, { text: "c" }, cp] },
        ],
        system: [{ text: "s" }, cp, { text: "t" }, cp],
      }),
    ).toBe(FEATURE_MESSAGES.tooManyCachePoints(5));
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    expect(validateConverseRequest({ messages: [user], requestMetadata: many })).toBe(
      FEATURE_MESSAGES.metadataTooMany,
    );
    expect(validateConverseRequest({ messages: [user], requestMetadata: { "a<b": "v" } })).toBe(
      FEATURE_MESSAGES.metadataBad,
    );
  });
});
