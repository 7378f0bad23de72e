/**
 * The Messages request fast path (src/surfaces/anthropic/fast-schema.ts)
 * against zod, the source of truth: on seeded random bodies (valid ones and
 * mutations of them), the fast path accepts exactly what zod accepts, and zod's
 * value for an accepted body equals the body (so using the body as it is
 * changes nothing downstream).
 */
import { describe, expect, test } from "bun:test";
import { isValidMessagesRequest } from "../../src/surfaces/anthropic/fast-schema";
import { messagesRequestSchema } from "../../src/surfaces/anthropic/schema";
import { rng } from "../support/rng";

type Json = Record<string, unknown>;

function generator(seed: number) {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const chance = (p: number) => r() < p;
  const junk = (): unknown =>
    pick([
      null,
      true,
      false,
      0,
      -1,
      1,
      0.5,
      1.5,
      3,
      2 ** 60,
      "",
      "x",
      "auto",
      "tool",
      "user",
      [],
      ["a"],
      [1],
      {},
      { type: "text", text: "t" },
      { type: 1 },
      { name: "" },
      { name: "n" },
    ]);
  const text = () => pick(["", "hi", "Hello there", "ünïcödé", "a\nb"]);
  const block = (): Json =>
    pick([
      () => ({ type: "text", text: text() }),
      () => ({ type: "text", text: text(), cache_control: { type: "ephemeral" } }),
      () => ({ type: "tool_use", id: "t1", name: "Read", input: { path: "/a" } }),
      () => ({ type: "tool_result", tool_use_id: "t1", content: text() }),
      () => ({ type: "thinking", thinking: text(), signature: "sig" }),
      () => ({ type: "image", source: { type: "base64", media_type: "image/png", data: "AA" } }),
    ])();
  const content = () => (chance(0.4) ? text() : Array.from({ length: (1 + r() * 3) | 0 }, block));
  const message = (): Json => ({ role: pick(["user", "assistant", "system"]), content: content() });
  const tool = (): Json =>
    chance(0.5)
      ? {
          name: pick(["Read", "Bash", "t"]),
          description: text(),
          input_schema: { type: "object" },
        }
      : { type: "web_search_20250305", name: "web_search", max_uses: 3 };
  const valid = (): Json => {
    const body: Json = {
      model: pick(["claude-sonnet-4-5", "anthropic.claude-3-7-sonnet-20250219-v1:0", "m"]),
      max_tokens: pick([1, 1024, 32000]),
      messages: Array.from({ length: (r() * 4) | 0 }, message),
    };
    if (chance(0.5)) body.stream = chance(0.5);
    if (chance(0.4)) body.system = chance(0.5) ? text() : [block(), block()];
    if (chance(0.4)) body.tools = Array.from({ length: (r() * 3) | 0 }, tool);
    if (chance(0.2))
      body.tool_choice = { type: pick(["auto", "any", "tool", "none"]), name: "Read" };
    if (chance(0.2)) body.thinking = { type: "enabled", budget_tokens: 1024 };
    if (chance(0.2)) body.metadata = { user_id: pick(["u", null]) };
    if (chance(0.2)) body.stop_sequences = ["\n\nHuman:"];
    if (chance(0.2)) body.temperature = pick([0, 0.7, 1]);
    if (chance(0.2)) body.top_p = pick([0, 0.9, 1]);
    if (chance(0.2)) body.top_k = pick([0, 5, 250]);
    if (chance(0.2)) body.anthropic_beta = ["context-1m-2025-08-07"];
    if (chance(0.1)) body.context_management = { edits: [] };
    return body;
  };
  /** A path into the body and a junk value (or removal) there. */
  const mutate = (body: Json): Json => {
    const copy = structuredClone(body);
    const targets: Array<[Json | unknown[], string | number]> = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) {
        node.forEach((v, i) => {
          targets.push([node, i]);
          walk(v);
        });
      } else if (node && typeof node === "object") {
        for (const [k, v] of Object.entries(node)) {
          targets.push([node as Json, k]);
          walk(v);
        }
      }
    };
    walk(copy);
    const extra = pick([
      "model",
      "max_tokens",
      "messages",
      "system",
      "tools",
      "tool_choice",
      "thinking",
      "metadata",
      "stop_sequences",
      "temperature",
      "top_p",
      "top_k",
      "stream",
    ]);
    targets.push([copy, extra]);
    const [node, key] = pick(targets);
    if (chance(0.15) && !Array.isArray(node)) delete (node as Json)[key as string];
    else (node as Json)[key as string] = junk();
    return copy;
  };
  return { valid, mutate, chance };
}

describe("Messages request fast path", () => {
  test("accepts exactly what zod accepts, and zod's value equals the body", () => {
    let accepted = 0;
    let rejected = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const g = generator(seed);
      for (let i = 0; i < 100; i++) {
        let body: unknown = g.valid();
        const mutations = g.chance(0.6) ? 1 + (g.chance(0.3) ? 1 : 0) : 0;
        for (let m = 0; m < mutations; m++) body = g.mutate(body as Json);
        const zod = messagesRequestSchema.safeParse(body);
        const fast = isValidMessagesRequest(body);
        if (fast !== zod.success) {
          throw new Error(
            `seed ${seed} body ${i}: fast ${fast}, zod ${zod.success}: ${JSON.stringify(body)}`,
          );
        }
        if (zod.success) {
          expect(zod.data).toEqual(body as never);
          accepted++;
        } else rejected++;
      }
    }
    // Both sides of the check were exercised.
    expect(accepted).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(500);
  });

  test("a Claude Code request takes the fast path; a non-object does not", () => {
    const body = {
      model: "claude-sonnet-4-5",
      max_tokens: 32000,
      stream: true,
      system: [
        { type: "text", text: "You are Claude Code.", cache_control: { type: "ephemeral" } },
      ],
      tools: [{ name: "Read", description: "Reads", input_schema: { type: "object" } }],
      messages: [
        { role: "user", content: [{ type: "text", text: "hi" }] },
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "t1", name: "Read", input: { path: "/a" } }],
        },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "x" }] },
      ],
      metadata: { user_id: "user_abc" },
      thinking: { type: "enabled", budget_tokens: 1024 },
    };
    expect(isValidMessagesRequest(body)).toBe(true);
    expect(isValidMessagesRequest([body])).toBe(false);
    expect(isValidMessagesRequest({ ...body, max_tokens: 0 })).toBe(false);
    expect(isValidMessagesRequest({ ...body, system: null })).toBe(false);
  });
});
