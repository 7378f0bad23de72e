import { expect, test } from "bun:test";
import { capabilitiesOf } from "../../src/models/capabilities";
import { chatRequestSchema } from "../../src/surfaces/openai-chat/schema";
import { toConverse } from "../../src/surfaces/openai-chat/translate";

test("thinking + forced tool_choice + parallel_tool_calls:false still sends a tool_choice Bedrock accepts", () => {
  const model = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
  const req = chatRequestSchema.parse({
    messages: [{ role: "user", content: "weather?" }],
    tools: [
      { type: "function", function: { name: "get_weather", parameters: { type: "object" } } },
    ],
    tool_choice: "required",
    parallel_tool_calls: false,
    reasoning_effort: "low",
    max_tokens: 8000,
  });
  const { input, warnings } = toConverse(req, { modelId: model, caps: capabilitiesOf(model) });
  // Forcing a tool is not allowed while Claude thinks: relaxed to auto...
  expect(input.toolConfig?.toolChoice).toBeUndefined();
  expect(warnings.some((w) => w.includes("tool_choice relaxed"))).toBe(true);
  // ...and Anthropic's tool_choice then needs its type next to disable_parallel_tool_use.
  const fields = input.additionalModelRequestFields as Record<string, unknown>;
  expect(fields.tool_choice).toEqual({ type: "auto", disable_parallel_tool_use: true });
  expect(fields.thinking).toBeDefined();
});
