/**
 * The access line of Anthropic-surface requests: Claude Code's session id for
 * attribution, the model, tokens and the stream flag; never the prompt or the key.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { API_KEY, type OpsStack, startOpsStack, waitFor } from "../ops/helpers";

let s: OpsStack;
beforeAll(async () => {
  s = await startOpsStack();
});
afterAll(() => s.stop());

test("a Claude Code stream is logged with its session id, model and tokens", async () => {
  const res = await fetch(`${s.gw.url}/v1/messages?beta=true`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-api-key": API_KEY,
      "x-request-id": "req-anthropic-1",
      "x-claude-code-session-id": "session-1234",
      "x-app": "cli",
    },
    body: JSON.stringify({
      model: "claude-sonnet-4-5",
      max_tokens: 64,
      stream: true,
      messages: [{ role: "user", content: "secret-prompt-text" }],
    }),
  });
  await res.text();
  await waitFor(
    () => s.accessLines().some((l) => l.requestId === "req-anthropic-1"),
    "the access line",
  );
  const line = s.accessLines().find((l) => l.requestId === "req-anthropic-1");
  expect(line).toMatchObject({
    route: "/v1/messages",
    status: 200,
    stream: true,
    sessionId: "session-1234",
    model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
  });
  expect(line?.tokensIn).toBeGreaterThan(0);
  expect(line?.tokensOut).toBeGreaterThan(0);
  const raw = s.lines.join("\n");
  expect(raw).not.toContain("secret-prompt-text");
  expect(raw).not.toContain(API_KEY);
});
