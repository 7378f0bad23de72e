/** Anthropic model names → Bedrock ids, and the native body filter (pure functions). */
import { describe, expect, test } from "bun:test";
import { filterBetas } from "../../src/converse/anthropic-betas";
import { mapAnthropicName } from "../../src/models/anthropic-names";
import { parseBetaHeader, toNativeBody } from "../../src/surfaces/anthropic/betas";

const CATALOG = [
  "anthropic.claude-3-haiku-20240307-v1:0",
  "anthropic.claude-3-5-haiku-20241022-v1:0",
  "anthropic.claude-3-5-sonnet-20240620-v1:0",
  "anthropic.claude-3-5-sonnet-20241022-v2:0",
  "anthropic.claude-3-7-sonnet-20250219-v1:0",
  "anthropic.claude-sonnet-4-20250514-v1:0",
  "anthropic.claude-sonnet-4-5-20250929-v1:0",
  "anthropic.claude-sonnet-4-6",
  "anthropic.claude-opus-4-1-20250805-v1:0",
  "anthropic.claude-opus-4-5-20251101-v1:0",
  "anthropic.claude-opus-4-6-v1",
  "anthropic.claude-haiku-4-5-20251001-v1:0",
  "amazon.nova-pro-v1:0",
];

describe("mapAnthropicName", () => {
  test.each([
    ["claude-sonnet-4-20250514", "anthropic.claude-sonnet-4-20250514-v1:0"],
    ["claude-3-7-sonnet-20250219", "anthropic.claude-3-7-sonnet-20250219-v1:0"],
    ["claude-3-haiku-20240307", "anthropic.claude-3-haiku-20240307-v1:0"],
    ["claude-opus-4-5-20251101", "anthropic.claude-opus-4-5-20251101-v1:0"],
    ["claude-3-5-sonnet-20241022", "anthropic.claude-3-5-sonnet-20241022-v2:0"],
    ["claude-sonnet-4-0", "anthropic.claude-sonnet-4-20250514-v1:0"],
    ["claude-sonnet-4-5", "anthropic.claude-sonnet-4-5-20250929-v1:0"],
    ["claude-sonnet-4-6", "anthropic.claude-sonnet-4-6"],
    ["claude-opus-4-1", "anthropic.claude-opus-4-1-20250805-v1:0"],
    ["claude-opus-4-6", "anthropic.claude-opus-4-6-v1"],
    ["claude-haiku-4-5", "anthropic.claude-haiku-4-5-20251001-v1:0"],
    ["claude-3-5-sonnet-latest", "anthropic.claude-3-5-sonnet-20241022-v2:0"],
    ["claude-3-5-haiku-latest", "anthropic.claude-3-5-haiku-20241022-v1:0"],
  ])("%s → %s", (name, id) => {
    expect(mapAnthropicName(name, CATALOG)).toBe(id);
  });

  test("no cross-family or cross-date guesses", () => {
    expect(mapAnthropicName("claude-sonnet-4-20250101", CATALOG)).toBeUndefined();
    expect(mapAnthropicName("claude-opus-4-7", CATALOG)).toBeUndefined();
    expect(mapAnthropicName("gpt-4o", CATALOG)).toBeUndefined();
    expect(mapAnthropicName("claude-sonnet", CATALOG)).toBeUndefined();
  });
});

describe("native body filter", () => {
  test("header betas: comma list, allow-listed kept, others dropped", () => {
    const betas = parseBetaHeader("claude-code-20250219, interleaved-thinking-2025-05-14,,x");
    expect(filterBetas(betas)).toEqual({
      betas: ["interleaved-thinking-2025-05-14"],
      dropped: ["claude-code-20250219", "x"],
    });
  });

  test("model/stream removed, metadata cut to user_id, input untouched", () => {
    const client = {
      model: "claude-sonnet-4-5",
      stream: true,
      max_tokens: 10,
      metadata: { user_id: "u", other: 1 },
      messages: [],
    };
    const { body, warnings } = toNativeBody(client, []);
    expect(body).toEqual({
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 10,
      metadata: { user_id: "u" },
      messages: [],
    });
    expect(warnings).toEqual(["metadata other not accepted by Bedrock; dropped"]);
    expect(client.metadata).toEqual({ user_id: "u", other: 1 });
  });

  test("Anthropic-platform-only keys are dropped with a warning", () => {
    const { body, warnings } = toNativeBody(
      { max_tokens: 1, messages: [], service_tier: "auto", mcp_servers: [] },
      [],
    );
    expect(body.service_tier).toBeUndefined();
    expect(body.mcp_servers).toBeUndefined();
    expect(warnings).toEqual(["service_tier, mcp_servers not accepted by Bedrock; dropped"]);
  });

  test("defer_loading kept with Bedrock's tool-search beta", () => {
    const tools = [{ name: "t", input_schema: {}, defer_loading: true }];
    const kept = toNativeBody({ tools, anthropic_beta: ["tool-search-tool-2025-10-19"] }, []);
    expect((kept.body.tools as Array<Record<string, unknown>>)[0]?.defer_loading).toBe(true);
    const dropped = toNativeBody({ tools }, ["advanced-tool-use-2025-11-20"]);
    expect(
      (dropped.body.tools as Array<Record<string, unknown>>)[0]?.defer_loading,
    ).toBeUndefined();
    expect(dropped.body.anthropic_beta).toBeUndefined();
  });
});
