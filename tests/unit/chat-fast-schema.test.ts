/**
 * The chat request fast path (src/surfaces/openai-chat/fast-schema.ts) against
 * zod, the source of truth: on seeded random bodies, whenever the fast path
 * accepts, zod accepts too and returns the same value (so skipping zod
 * changes nothing); whatever it declines goes to zod, so the validator as a
 * whole accepts and rejects exactly what zod does.
 */
import { describe, expect, test } from "bun:test";
import { decodeChatRequest } from "../../src/surfaces/openai-chat/decode";
import { isCommonChatRequest } from "../../src/surfaces/openai-chat/fast-schema";
import { type ChatRequest, chatRequestSchema } from "../../src/surfaces/openai-chat/schema";
import { rng } from "../support/rng";

type Json = Record<string, unknown>;

function generator(seed: number) {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const chance = (p: number) => r() < p;
  /** Any JSON value, for mutations. */
  const junk = (): unknown =>
    pick([
      null,
      true,
      false,
      0,
      -1,
      1,
      1.5,
      2.5,
      3,
      17,
      -3,
      2 ** 60,
      "",
      "x",
      "auto",
      "function",
      "text",
      [],
      ["a"],
      {},
      { type: "text", text: "t" },
    ]);
  const text = () => pick(["", "hi", "Hello there", "ünïcödé", "a\nb"]);
  const textPart = (): Json => ({ type: "text", text: text() });
  const imagePart = (): Json => ({
    type: "image_url",
    image_url: chance(0.5)
      ? { url: pick(["https://x/y.png", "data:image/png;base64,AAAA", ""]) }
      : { url: "https://x/y.png", detail: pick(["auto", "low", "high", "max"]) },
  });
  const content = (parts: () => Json) =>
    chance(0.6) ? text() : Array.from({ length: 1 + Math.floor(r() * 3) }, parts);
  const toolCall = (): Json => {
    const tc: Json = {
      id: pick(["call_1", "tooluse_abc", ""]),
      type: "function",
      function: { name: pick(["get_weather", "f", ""]), arguments: pick(["{}", '{"a":1}', ""]) },
    };
    if (chance(0.1)) delete tc.type;
    if (chance(0.1)) delete (tc.function as Json).arguments;
    return tc;
  };
  const message = (): Json => {
    switch (pick(["system", "developer", "user", "user", "assistant", "tool"] as const)) {
      case "system":
      case "developer":
        return { role: pick(["system", "developer"]), content: content(textPart) };
      case "user":
        return {
          role: "user",
          content: content(() => (chance(0.7) ? textPart() : imagePart())),
          ...(chance(0.1) ? { name: "bob" } : {}),
        };
      case "assistant": {
        const m: Json = { role: "assistant" };
        if (chance(0.8)) m.content = chance(0.2) ? null : content(textPart);
        if (chance(0.3)) m.tool_calls = Array.from({ length: 1 + Math.floor(r() * 2) }, toolCall);
        if (chance(0.1)) m.reasoning_content = pick([null, "thought"]);
        if (chance(0.05)) m.refusal = null;
        return m;
      }
      case "tool":
        return {
          role: "tool",
          tool_call_id: pick(["call_1", ""]),
          content: content(textPart),
        };
    }
  };
  const tool = (): Json => ({
    type: "function",
    function: {
      name: pick(["get_weather", "search", ""]),
      ...(chance(0.7) ? { description: "does things" } : {}),
      ...(chance(0.8)
        ? { parameters: { type: "object", properties: { city: { type: "string" } } } }
        : {}),
      ...(chance(0.2) ? { strict: pick([true, false, null]) } : {}),
    },
  });
  const FIELDS: Record<string, () => unknown> = {
    model: () => pick(["anthropic.claude-3-haiku-20240307-v1:0", "gpt-4o", ""]),
    stream: () => pick([true, false, null]),
    stream_options: () =>
      pick([
        { include_usage: true },
        { include_usage: false },
        {},
        null,
        { include_obfuscation: true },
      ]),
    temperature: () => pick([0, 0.7, 1, 2, 2.1, -0.1, null]),
    top_p: () => pick([0, 0.9, 1, 1.1, null]),
    max_tokens: () => pick([1, 256, 4096, 0, 1.5, null]),
    max_completion_tokens: () => pick([1, 1024, 0, null]),
    n: () => pick([1, 2, 0, null]),
    seed: () => pick([0, 42, -7, 1.5, null]),
    stop: () => pick(["\n", ["a", "b"], [], Array.from({ length: 17 }, () => "s"), null]),
    user: () => pick(["u-1", null]),
    parallel_tool_calls: () => pick([true, false, null]),
    reasoning_effort: () => pick(["low", "medium", "high", "none", "ultra", null]),
    frequency_penalty: () => pick([0, -2, 2, 2.5, null]),
    presence_penalty: () => pick([0, 1, -2.5, null]),
    tools: () => Array.from({ length: Math.floor(r() * 3) }, tool),
    tool_choice: () =>
      pick([
        "auto",
        "none",
        "required",
        "any",
        { type: "function", function: { name: "f" } },
        null,
      ]),
    metadata: () => ({ a: "b" }),
    logprobs: () => pick([true, null]),
    extra_field: () => junk(),
  };
  /** A random body: mostly the common shape, sometimes mutated anywhere. */
  return (): unknown => {
    const body: Json = {
      messages: Array.from({ length: 1 + Math.floor(r() * 5) }, message),
    };
    for (const [key, value] of Object.entries(FIELDS)) if (chance(0.25)) body[key] = value();
    if (chance(0.3)) mutate(body);
    return JSON.parse(JSON.stringify(body));
  };
  /** Replace, delete or add one value somewhere in the tree. */
  function mutate(node: unknown): void {
    if (typeof node !== "object" || node === null) return;
    const keys = Array.isArray(node) ? node.map((_, i) => String(i)) : Object.keys(node);
    const key = pick(keys.length ? keys : ["added"]);
    const child = (node as Json)[key];
    if (typeof child === "object" && child !== null && chance(0.6)) {
      mutate(child);
    } else if (Array.isArray(node)) {
      if (chance(0.3)) node.splice(Number(key), 1);
      else node[Number(key)] = junk();
    } else if (chance(0.2)) delete (node as Json)[key];
    else (node as Json)[chance(0.2) ? pick(["added", "role", "type", "content"]) : key] = junk();
  }
}

/** The conversation the chat surface decodes a request into, as JSON (or its error). */
function decoded(req: unknown): string {
  try {
    return JSON.stringify(decodeChatRequest(req as ChatRequest));
  } catch (err) {
    return `throws ${(err as Error).message}`;
  }
}

describe("chat request fast path against zod", () => {
  test("whenever the fast path accepts, zod accepts the same body and returns an equal value", () => {
    const next = generator(17);
    let fastAccepted = 0;
    let zodAccepted = 0;
    let zodRejected = 0;
    for (let i = 0; i < 6_000; i++) {
      const body = next();
      const zod = chatRequestSchema.safeParse(body);
      if (zod.success) zodAccepted++;
      else zodRejected++;
      if (!isCommonChatRequest(body)) continue;
      fastAccepted++;
      if (!zod.success)
        throw new Error(`fast path accepted what zod rejects: ${JSON.stringify(body)}`);
      expect(zod.data).toEqual(body as typeof zod.data);
      // Key order may differ (zod writes known keys in schema order); what the
      // route makes of the request may not.
      expect(decoded(body)).toBe(decoded(zod.data));
    }
    // The generator exercises both sides, and the fast path is not dead code.
    expect(zodRejected).toBeGreaterThan(600);
    expect(zodAccepted).toBeGreaterThan(600);
    expect(fastAccepted).toBeGreaterThan(zodAccepted / 4);
  });

  test("the shapes clients send most take the fast path", () => {
    const bodies: unknown[] = [
      {
        model: "anthropic.claude-3-7-sonnet-20250219-v1:0",
        stream: true,
        stream_options: { include_usage: true },
        max_tokens: 256,
        temperature: 0.7,
        messages: [
          { role: "system", content: "You are helpful." },
          { role: "user", content: "Hello" },
        ],
      },
      {
        model: "gpt-4o",
        messages: [
          { role: "user", content: [{ type: "text", text: "weather?" }] },
          {
            role: "assistant",
            content: null,
            tool_calls: [
              {
                id: "call_1",
                type: "function",
                function: { name: "get_weather", arguments: "{}" },
              },
            ],
          },
          { role: "tool", tool_call_id: "call_1", content: "sunny" },
        ],
        tools: [
          {
            type: "function",
            function: { name: "get_weather", parameters: { type: "object", properties: {} } },
          },
        ],
        tool_choice: "auto",
      },
    ];
    for (const body of bodies) {
      expect(isCommonChatRequest(body)).toBe(true);
      expect(chatRequestSchema.parse(body)).toEqual(body as never);
    }
  });

  test("declines what needs zod: defaults to fill in, unknown fields, invalid values", () => {
    const declined: unknown[] = [
      { messages: [] },
      { messages: [{ role: "user", content: "hi" }], temperature: 3 },
      { messages: [{ role: "user", content: "hi" }], extra: 1 },
      { messages: [{ role: "user" }] },
      {
        messages: [
          { role: "assistant", tool_calls: [{ id: "c", function: { name: "f", arguments: "" } }] },
        ],
      },
      { messages: [{ role: "user", content: "hi" }], model: null },
    ];
    for (const body of declined) expect(isCommonChatRequest(body)).toBe(false);
  });
});
