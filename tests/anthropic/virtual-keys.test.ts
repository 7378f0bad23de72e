/**
 * Virtual keys on the Anthropic surface and in Bedrock mode: the key's model
 * allow-list holds for Anthropic names (checked against the Bedrock model they
 * resolve to) and for /model/{id}/invoke*, which is no open proxy.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import { startTeamsStack, type TeamsStack } from "../teams/helpers";

let s: TeamsStack;
let key: string;
beforeAll(async () => {
  s = await startTeamsStack();
  // Claude 3 Haiku only.
  key = (await s.createKey({ name: "haiku-only", models: ["*claude-3-haiku*"] })).key;
});
afterAll(() => s.stop());
beforeEach(() => s.emu.reset());

const BODY = { max_tokens: 16, messages: [{ role: "user", content: "hi" }] };

function messages(model: string): Promise<Response> {
  return fetch(`${s.gw.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify({ model, ...BODY }),
  });
}

function invoke(model: string): Promise<Response> {
  return fetch(`${s.gw.url}/model/${encodeURIComponent(model)}/invoke`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": key },
    body: JSON.stringify({ anthropic_version: "bedrock-2023-05-31", ...BODY }),
  });
}

test("/v1/messages: an Anthropic name the key may use is served, another is refused", async () => {
  expect((await messages("claude-3-haiku-20240307")).status).toBe(200);
  const refused = await messages("claude-sonnet-4-5");
  expect(refused.status).toBe(403);
  expect(((await refused.json()) as { type: string }).type).toBe("error");
  expect(s.emu.requests.filter((r) => r.modelId?.includes("sonnet"))).toHaveLength(0);
});

test("Bedrock mode: only the models the key may use reach Bedrock", async () => {
  expect((await invoke("anthropic.claude-3-haiku-20240307-v1:0")).status).toBe(200);
  const refused = await invoke("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
  expect(refused.status).toBe(403);
  expect(refused.headers.get("x-should-retry")).toBe("false");
  expect(s.emu.requests.filter((r) => r.modelId?.includes("sonnet"))).toHaveLength(0);
});
