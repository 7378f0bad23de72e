/**
 * Fast deterministic probes of the gateway under concurrency and injected
 * faults (the long ones run under `bun run soak`):
 * - 200 concurrent requests, streamed and not, each with its own nonce: every
 *   answer carries its own nonce and no other (0 cross-talk);
 * - a fault-injection run (Bedrock errors, exception frames, clean early ends,
 *   dropped connections, seeded): every response is either complete or says it
 *   failed (0 silent truncations).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { prng } from "../../src/emulator/invoke-embeddings";
import { parseSse } from "../support/sse";
import { type Stack, startStack } from "../support/stack";

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
let s: Stack;
beforeAll(async () => {
  s = await startStack({ MAX_CONCURRENT_REQUESTS: "1000" });
});
afterAll(() => s.stop());

interface Chunk {
  choices?: Array<{ delta?: { content?: string }; finish_reason?: string | null }>;
  error?: { code: string };
}

/** The answer text of a response, and how it ended. */
async function answer(
  content: string,
  stream: boolean,
): Promise<{ status: number; text: string; ended: "complete" | "error" | "silent" }> {
  const res = await s.post("/v1/chat/completions", {
    model: MODEL,
    stream,
    messages: [{ role: "user", content }],
  });
  if (!stream || res.status !== 200) {
    const body = (await res.json()) as {
      choices?: Array<{ message: { content: string }; finish_reason: string }>;
      error?: { code: string };
    };
    if (res.status !== 200)
      return { status: res.status, text: "", ended: body.error ? "error" : "silent" };
    const choice = body.choices?.[0];
    return {
      status: 200,
      text: choice?.message.content ?? "",
      ended: choice?.finish_reason ? "complete" : "silent",
    };
  }
  const events = parseSse(await res.text().catch(() => ""));
  const chunks = events.data.filter((d): d is Chunk => typeof d === "object" && d !== null);
  const text = chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join("");
  const last = events.data.at(-1);
  const finished = chunks.some((c) => c.choices?.[0]?.finish_reason);
  if (last === "[DONE]" && finished) return { status: 200, text, ended: "complete" };
  if (typeof last === "object" && last !== null && "error" in last)
    return { status: 200, text, ended: "error" };
  return { status: 200, text, ended: "silent" };
}

test("200 concurrent requests: unique answers, 0 cross-talk", async () => {
  const nonces = Array.from({ length: 200 }, (_, i) => `nonce-${i}-${(i * 7919) % 1000}x`);
  const results = await Promise.all(
    nonces.map((n, i) => answer(`[emu delay=5] remember ${n}`, i % 2 === 0)),
  );
  let crossTalk = 0;
  results.forEach((r, i) => {
    expect(r.ended).toBe("complete");
    expect(r.text).toContain(nonces[i] as string);
    for (const [j, other] of nonces.entries())
      if (j !== i && r.text.includes(`${other} `)) crossTalk++;
  });
  expect(crossTalk).toBe(0);
}, 60_000);

test("fault injection: 0 silent truncations", async () => {
  const rand = prng(16);
  const faults = [
    "",
    "midstream=throttlingException",
    "midstream=modelStreamErrorException",
    "reset=3",
    "end=3",
    "error=ThrottlingException",
    "error=InternalServerException",
    "error=ModelErrorException",
  ];
  // The reference answer per prompt, without a fault.
  const prompt = (i: number) => `[emu chunks=12 chunk=3 FAULT] story ${i % 10}`;
  const expected = new Map<number, string>();
  for (let k = 0; k < 10; k++) {
    const clean = await answer(prompt(k).replace("FAULT", ""), false);
    expected.set(k, clean.text);
  }
  const runs = Array.from({ length: 160 }, (_, i) => ({
    i,
    fault: faults[Math.floor(rand() * faults.length)] as string,
    stream: rand() < 0.6,
  }));
  const results = await Promise.all(
    runs.map((r) => answer(prompt(r.i).replace("FAULT", r.fault), r.stream)),
  );
  let silent = 0;
  let complete = 0;
  let failed = 0;
  results.forEach((res, n) => {
    const run = runs[n] as (typeof runs)[number];
    if (res.ended === "silent") silent++;
    else if (res.ended === "error") failed++;
    else {
      complete++;
      // A response that says it is complete is the whole answer.
      expect(res.text).toBe(expected.get(run.i % 10) as string);
    }
  });
  expect(silent).toBe(0);
  // Both outcomes occurred, so the run exercised the faults.
  expect(complete).toBeGreaterThan(0);
  expect(failed).toBeGreaterThan(0);
}, 60_000);
