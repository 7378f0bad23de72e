/**
 * The OpenAI Agents SDK (JS) against /v1/responses: an agent with a function
 * tool completes its loop, with run() (stream: false) and streamed.
 * Tracing is off, so nothing leaves loopback.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import {
  Agent,
  run,
  setDefaultOpenAIClient,
  setOpenAIAPI,
  setTracingDisabled,
  tool,
} from "@openai/agents";
import OpenAI from "openai";
import { z } from "zod";
import { type Stack, startStack } from "../support/stack";

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
let stack: Stack;

beforeAll(async () => {
  setTracingDisabled(true);
  stack = await startStack({ API_KEY: "sk-agents" });
  setDefaultOpenAIClient(
    new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "sk-agents", maxRetries: 0 }),
  );
  setOpenAIAPI("responses");
});
afterAll(() => stack.stop());
beforeEach(() => stack.emu.reset());

const calls: string[] = [];
const getWeather = tool({
  name: "get_weather",
  description: "The weather in a city",
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => {
    calls.push(city);
    return `sunny in ${city}`;
  },
});

function agent() {
  return new Agent({
    name: "Weather",
    instructions: "Answer with the tool.",
    tools: [getWeather],
    model: MODEL,
  });
}

function responsesBodies(): Array<Record<string, unknown>> {
  return stack.emu.requests
    .filter((r) => r.operation.startsWith("Converse"))
    .map((r) => r.body as Record<string, unknown>);
}

describe("Agents SDK", () => {
  test("run(): the agent calls its function tool and answers with the result", async () => {
    calls.length = 0;
    const result = await run(agent(), "[emu tool=get_weather] What is the weather in Paris?");
    expect(calls).toEqual(["example_city"]);
    expect(result.finalOutput).toBe("The tool returned: sunny in example_city");
    const bodies = responsesBodies();
    expect(bodies).toHaveLength(2);
    // Strict tool schemas from the SDK ($schema, additionalProperties: false) reach Bedrock as tools.
    const config = bodies[0]?.toolConfig as
      | { tools: Array<{ toolSpec: { name: string } }> }
      | undefined;
    const spec = config?.tools[0]?.toolSpec;
    expect(spec?.name).toBe("get_weather");
    expect(bodies[0]?.system).toEqual([{ text: "Answer with the tool." }]);
  });

  test("streamed run: events arrive and the loop completes", async () => {
    calls.length = 0;
    const stream = await run(agent(), "[emu tool=get_weather] And in Lyon?", { stream: true });
    let textDeltas = 0;
    for await (const ev of stream) {
      if (ev.type === "raw_model_stream_event" && ev.data.type === "output_text_delta")
        textDeltas++;
    }
    await stream.completed;
    expect(calls).toEqual(["example_city"]);
    expect(stream.finalOutput).toBe("The tool returned: sunny in example_city");
    expect(textDeltas).toBeGreaterThan(0);
  });
});
