/**
 * Deeply nested free-form objects are refused at validation with a 400 naming
 * the parameter, instead of overflowing the stack in the AWS SDK's serializer
 * (a 500). Every free-form place a client can nest into is probed.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { MAX_JSON_DEPTH } from "../../src/validation";
import { type Stack, startStack } from "../support/stack";

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(() => s.stop());

/** `{"a":{"a":…}}` n levels deep, built as text (no recursion anywhere). */
function deepObject(n: number): string {
  return `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;
}
function deepArray(n: number): string {
  return `${"[".repeat(n)}1${"]".repeat(n)}`;
}

const base = `"model":"${MODEL}","messages":[{"role":"user","content":"hi"}]`;
const cases: Array<[string, (deep: string) => string, string]> = [
  [
    "tool parameters",
    (d) =>
      `{${base},"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":${d}}}}}]}`,
    "tools[0].function.parameters",
  ],
  [
    "response_format.json_schema",
    (d) =>
      `{${base},"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{"type":"object","properties":{"x":${d}}}}}}`,
    "response_format.json_schema.schema",
  ],
  [
    "additionalModelRequestFields",
    (d) => `{${base},"additionalModelRequestFields":{"x":${d}}}`,
    "additionalModelRequestFields.x",
  ],
  ["extra_body", (d) => `{${base},"extra_body":{"x":${d}}}`, "extra_body.x"],
  ["metadata", (d) => `{${base},"metadata":{"x":${d}}}`, "metadata.x"],
];

for (const [label, body, param] of cases) {
  for (const depth of [200, 5_000]) {
    for (const shape of ["object", "array"] as const) {
      test(`${label}: ${depth} levels of ${shape}s is a 400 naming the parameter`, async () => {
        const deep = shape === "object" ? deepObject(depth) : deepArray(depth);
        const res = await s.post("/v1/chat/completions", body(deep));
        expect(res.status).toBe(400);
        const err = ((await res.json()) as { error: { param: string; code: string } }).error;
        expect(err.param.startsWith(param)).toBe(true);
      });
    }
  }
}

test("nesting at the limit still works", async () => {
  // tools[0].function.parameters.properties.x adds 6 levels to the body's own.
  const res = await s.post(
    "/v1/chat/completions",
    `{${base},"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"x":${deepObject(MAX_JSON_DEPTH - 8)}}}}}]}`,
  );
  expect(res.status).toBe(200);
});

test("embeddings bodies are bounded too", async () => {
  const res = await s.post(
    "/v1/embeddings",
    `{"model":"amazon.titan-embed-text-v2:0","input":"x","x":${deepObject(5_000)}}`,
  );
  expect(res.status).toBeLessThan(500);
});
