import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConverseCommand, ValidationException } from "@aws-sdk/client-bedrock-runtime";
import { type Emulator, startEmulator } from "../../src/emulator";
import { MESSAGES, validateConverseRequest } from "../../src/emulator/validate";
import { caught, runtimeClient, SONNET_45_US } from "./helpers";

const tools = {
  tools: [{ toolSpec: { name: "get_weather", inputSchema: { json: { type: "object" } } } }],
};
const user = (text: string) => ({ role: "user", content: [{ text }] });
const assistant = (text: string) => ({ role: "assistant", content: [{ text }] });
const toolUse = (id: string) => ({ toolUse: { toolUseId: id, name: "get_weather", input: {} } });
const toolResult = (id: string) => ({ toolResult: { toolUseId: id, content: [{ text: "21C" }] } });

const cases: Array<{ name: string; body: Record<string, unknown>; error?: string }> = [
  { name: "a plain user turn is valid", body: { messages: [user("hi")] } },
  {
    name: "a full tool round trip is valid",
    body: {
      messages: [
        user("hi"),
        { role: "assistant", content: [toolUse("t1")] },
        { role: "user", content: [toolResult("t1")] },
      ],
      toolConfig: tools,
    },
  },
  {
    name: "a blank text inside a toolResult is accepted",
    body: {
      messages: [
        user("hi"),
        { role: "assistant", content: [toolUse("t1")] },
        { role: "user", content: [{ toolResult: { toolUseId: "t1", content: [{ text: "" }] } }] },
      ],
      toolConfig: tools,
    },
  },
  { name: "empty messages", body: { messages: [] }, error: MESSAGES.emptyMessages },
  {
    name: "first message from the assistant",
    body: { messages: [assistant("hello"), user("hi")] },
    error: MESSAGES.firstNotUser,
  },
  {
    name: "two user turns in a row",
    body: { messages: [user("a"), user("b")] },
    error: MESSAGES.notAlternating,
  },
  {
    name: "an unknown role",
    body: { messages: [user("a"), { role: "system", content: [{ text: "x" }] }] },
    error: MESSAGES.badRole(1, "system"),
  },
  {
    name: "an empty content array",
    body: { messages: [user("a"), { role: "assistant", content: [] }] },
    error: MESSAGES.emptyContent(1),
  },
  {
    name: "a blank text block",
    body: { messages: [{ role: "user", content: [{ text: "ok" }, { text: "  \n" }] }] },
    error: MESSAGES.blankText(0, 1),
  },
  {
    name: "a blank system block",
    body: { messages: [user("a")], system: [{ text: "be brief" }, { text: " " }] },
    error: MESSAGES.blankSystem(1),
  },
  {
    name: "toolUse without toolConfig",
    body: {
      messages: [
        user("hi"),
        { role: "assistant", content: [toolUse("t1")] },
        { role: "user", content: [toolResult("t1")] },
      ],
    },
    error: MESSAGES.toolConfigMissing,
  },
  {
    name: "a toolResult with no toolUse before it",
    body: {
      messages: [user("hi"), assistant("sure"), { role: "user", content: [toolResult("t9")] }],
      toolConfig: tools,
    },
    error: MESSAGES.tooManyToolResults(2),
  },
  {
    name: "a toolResult answering the wrong id",
    body: {
      messages: [
        user("hi"),
        { role: "assistant", content: [toolUse("t1")] },
        { role: "user", content: [toolResult("t2")] },
      ],
      toolConfig: tools,
    },
    error: MESSAGES.missingToolResults(2, ["t1"]),
  },
  {
    name: "a toolUse left unanswered",
    body: {
      messages: [user("hi"), { role: "assistant", content: [toolUse("t1")] }, user("and?")],
      toolConfig: tools,
    },
    error: MESSAGES.missingToolResults(2, ["t1"]),
  },
  {
    name: "temperature above 1",
    body: { messages: [user("a")], inferenceConfig: { temperature: 1.5 } },
    error: MESSAGES.rangeMax("temperature", 1.5, 1),
  },
  {
    name: "negative topP",
    body: { messages: [user("a")], inferenceConfig: { topP: -0.1 } },
    error: MESSAGES.rangeMin("topP", -0.1, 0),
  },
  {
    name: "maxTokens of 0",
    body: { messages: [user("a")], inferenceConfig: { maxTokens: 0 } },
    error: MESSAGES.rangeMin("maxTokens", 0, 1),
  },
];

describe("validateConverseRequest", () => {
  for (const c of cases) {
    test(c.name, () => {
      expect(validateConverseRequest(c.body)).toBe(c.error);
    });
  }

  test("quotes Bedrock's exact texts for the common rejections", () => {
    expect(MESSAGES.notAlternating).toBe(
      "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.",
    );
    expect(MESSAGES.blankText(15, 0)).toBe(
      "The text field in the ContentBlock object at messages.15.content.0 is blank. Add text to the text field, and try again.",
    );
  });
});

describe("validation through the SDK", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(() => emu.stop());

  test("an invalid conversation is rejected with a modeled ValidationException", async () => {
    const err = await caught(() =>
      runtimeClient(emu).send(
        new ConverseCommand({
          modelId: SONNET_45_US,
          messages: [
            { role: "user", content: [{ text: "a" }] },
            { role: "user", content: [{ text: "b" }] },
          ],
        }),
      ),
    );
    expect(err).toBeInstanceOf(ValidationException);
    expect(err.message).toBe(MESSAGES.notAlternating);
    expect((err.$metadata as { httpStatusCode?: number }).httpStatusCode).toBe(400);
  });
});
