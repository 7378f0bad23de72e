/**
 * Stored responses belong to the virtual key that created them, and a key's
 * model allow-list applies to /v1/responses like to chat.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { MODEL, startTeamsStack, type TeamsStack } from "../teams/helpers";

let stack: TeamsStack;

beforeAll(async () => {
  stack = await startTeamsStack();
});
afterAll(() => stack.stop());

function clientFor(key: string): OpenAI {
  return new OpenAI({ baseURL: `${stack.gw.url}/v1`, apiKey: key, maxRetries: 0 });
}

describe("responses and virtual keys", () => {
  test("another key cannot read, delete or continue a stored response", async () => {
    const alice = clientFor((await stack.createKey({ name: "alice" })).key);
    const bob = clientFor((await stack.createKey({ name: "bob" })).key);
    const r = await alice.responses.create({ model: MODEL, input: "mine" });
    expect((await alice.responses.retrieve(r.id)).id).toBe(r.id);
    expect(await bob.responses.retrieve(r.id).catch((e: unknown) => e)).toBeInstanceOf(
      OpenAI.NotFoundError,
    );
    expect(await bob.responses.delete(r.id).catch((e: unknown) => e)).toBeInstanceOf(
      OpenAI.NotFoundError,
    );
    const err = await bob.responses
      .create({ model: MODEL, input: "x", previous_response_id: r.id })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((await alice.responses.retrieve(r.id)).id).toBe(r.id);
  });

  test("a key's model allow-list: 403 before any Bedrock call", async () => {
    const key = await stack.createKey({ name: "nova-only", models: ["amazon.nova-*"] });
    const calls = stack.bedrockCalls();
    const err = await clientFor(key.key)
      .responses.create({ model: MODEL, input: "x" })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(stack.bedrockCalls()).toBe(calls);
  });
});
