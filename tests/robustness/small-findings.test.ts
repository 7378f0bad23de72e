/** Issue 16.6: x-request-id on 404s, bounded echoes, HTTP/1.0 without Host. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rawConnect } from "../support/raw-http";
import { type Stack, startStack } from "../support/stack";

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(() => s.stop());

test("404 unknown_route carries x-request-id, the caller's when it sent one", async () => {
  const res = await fetch(`${s.url}/v2/nothing`, { headers: { "x-request-id": "trace-404" } });
  expect(res.status).toBe(404);
  expect(res.headers.get("x-request-id")).toBe("trace-404");
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unknown_route");
  const fresh = await fetch(`${s.url}/nope`);
  expect(fresh.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
});

test("a 10 MB unknown model name is not echoed back in full", async () => {
  const name = "m".repeat(10 * 1024 * 1024);
  const res = await s.post("/v1/chat/completions", {
    model: name,
    messages: [{ role: "user", content: "hi" }],
  });
  expect(res.status).toBe(404);
  const text = await res.text();
  expect(text.length).toBeLessThan(1_000);
  expect(text).toContain(`(${name.length} chars)`);
});

test("a long unknown path is not echoed back in full", async () => {
  const res = await fetch(`${s.url}/${"p".repeat(10_000)}`);
  expect(res.status).toBe(404);
  expect((await res.text()).length).toBeLessThan(1_000);
});

test("an HTTP/1.0 request without Host gets /health", async () => {
  const conn = await rawConnect(Number(new URL(s.url).port));
  conn.write("GET /health HTTP/1.0\r\n\r\n");
  const text = await conn.until((t) => t.includes('{"status"'));
  conn.close();
  expect(text.startsWith("HTTP/1.1 200")).toBe(true);
  expect(text).toContain('{"status":"ok"}');
});
