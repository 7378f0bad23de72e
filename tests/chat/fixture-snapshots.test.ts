/**
 * Recorded Bedrock answers through the chat completions surface: the exact
 * bytes (SSE for streams, JSON otherwise), the contract headers and the
 * Converse input must match the golden files captured before the
 * conversation-core restructure (tests/fixtures/README.md).
 */
import { describe, expect, test } from "bun:test";
import {
  type ChatCase,
  goldenPath,
  JSON_CASES,
  renderCase,
  STREAM_CASES,
} from "../fixtures/chat-cases";

async function expectGolden(c: ChatCase, stream: boolean): Promise<void> {
  const { wire, input } = await renderCase(c, stream);
  expect(wire).toBe(await Bun.file(goldenPath(c, stream, "wire")).text());
  expect(input).toBe(await Bun.file(goldenPath(c, stream, "input")).text());
}

describe("chat completions on recorded streams", () => {
  for (const c of STREAM_CASES) test(c.name, () => expectGolden(c, true));
});

describe("chat completions on recorded Converse outputs", () => {
  for (const c of JSON_CASES) test(c.name, () => expectGolden(c, false));
});
