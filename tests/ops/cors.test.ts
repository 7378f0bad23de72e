/** CORS_ORIGINS: browsers on listed origins can call the gateway; others are not let in. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type OpsStack, startOpsStack } from "./helpers";

const APP = "https://app.example.com";
let s: OpsStack;
beforeAll(async () => {
  s = await startOpsStack({ CORS_ORIGINS: `${APP},https://tools.example.org` });
});
afterAll(() => s.stop());

function preflight(origin: string, stack = s) {
  return fetch(`${stack.gw.url}/v1/chat/completions`, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type, x-stainless-os",
    },
  });
}

test("a preflight from a listed origin is answered without auth", async () => {
  const res = await preflight(APP);
  expect(res.status).toBe(204);
  expect(res.headers.get("access-control-allow-origin")).toBe(APP);
  expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  const allowed = res.headers.get("access-control-allow-headers") ?? "";
  for (const h of ["authorization", "content-type", "x-stainless-os"]) expect(allowed).toContain(h);
});

test("responses to a listed origin expose the headers clients read", async () => {
  const res = await s.chat(
    { messages: [{ role: "user", content: "hi" }] },
    { origin: APP, "x-request-id": "cors-1" },
  );
  expect(res.status).toBe(200);
  expect(res.headers.get("access-control-allow-origin")).toBe(APP);
  const exposed = res.headers.get("access-control-expose-headers") ?? "";
  for (const h of ["x-request-id", "retry-after", "x-ratelimit-remaining-requests"])
    expect(exposed).toContain(h);
  // Errors too: a browser must be able to read a 401's body and request id.
  const denied = await fetch(`${s.gw.url}/v1/models`, { headers: { origin: APP } });
  expect(denied.status).toBe(401);
  expect(denied.headers.get("access-control-allow-origin")).toBe(APP);
});

test("an unlisted origin gets no CORS headers and its preflight is not let through", async () => {
  const res = await preflight("https://evil.example.net");
  expect(res.headers.get("access-control-allow-origin")).toBeNull();
  expect(res.status).toBe(401);
});

test("without CORS_ORIGINS there are no CORS headers at all", async () => {
  const plain = await startOpsStack();
  try {
    const res = await preflight(APP, plain);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const ok = await plain.chat({ messages: [{ role: "user", content: "hi" }] }, { origin: APP });
    expect(ok.headers.get("access-control-allow-origin")).toBeNull();
  } finally {
    await plain.stop();
  }
});

test("the API key still guards the real request", async () => {
  const res = await fetch(`${s.gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { origin: APP, "content-type": "application/json" },
    body: "{}",
  });
  expect(res.status).toBe(401);
});
