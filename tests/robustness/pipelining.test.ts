/**
 * Pipelined HTTP/1.1 (several requests written before the first response):
 * Bun 1.4.5's server closes the connection without answering when the
 * pipelined requests carry bodies (POST). The first request may still have
 * run (and reached Bedrock) when that happens, the others never do; the
 * client sees a closed connection, never a wrong or partial answer. Pipelined GETs are answered in order. Mainstream clients
 * and the ALB do not pipeline (README, Operations: "HTTP/1.1 pipelining").
 *
 * The second test pins Bun's behaviour so that an upgrade that fixes it fails
 * here: then both answers arrive in order, and the README note and that
 * expectation can go.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { postJson, rawConnect } from "../support/raw-http";
import { type Stack, startStack } from "../support/stack";

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(() => s.stop());

const chat = (id: string) =>
  postJson(
    "/v1/chat/completions",
    { model: MODEL, messages: [{ role: "user", content: `request ${id}` }] },
    { "x-request-id": id },
  );
const converseCalls = () => s.emu.requests.filter((r) => r.operation === "Converse").length;

test("pipelined GETs are answered in order", async () => {
  const conn = await rawConnect(Number(new URL(s.url).port));
  const get = (id: string) => `GET /health HTTP/1.1\r\nhost: x\r\nx-request-id: ${id}\r\n\r\n`;
  conn.write(get("g1") + get("g2") + get("g3"));
  const text = await conn.until((t) => (t.match(/\{"status":"ok"\}/g) ?? []).length === 3);
  conn.close();
  expect(text.match(/x-request-id: g\d/g)).toEqual([
    "x-request-id: g1",
    "x-request-id: g2",
    "x-request-id: g3",
  ]);
});

test("requests with bodies, one after the other on a keep-alive connection, are served", async () => {
  const conn = await rawConnect(Number(new URL(s.url).port));
  conn.write(chat("k1"));
  await conn.until((t) => t.includes("x-request-id: k1") && t.endsWith("}"));
  conn.write(chat("k2"));
  const text = await conn.until((t) => t.includes("x-request-id: k2") && t.endsWith("}"));
  conn.close();
  expect(text.match(/HTTP\/1\.1 200/g)).toHaveLength(2);
});

test(`pipelined POSTs on Bun ${Bun.version}: the connection closes unanswered, the rest never reach Bedrock`, async () => {
  const before = converseCalls();
  const conn = await rawConnect(Number(new URL(s.url).port));
  conn.write(chat("p1") + chat("p2"));
  await Promise.race([conn.closed, Bun.sleep(3_000)]);
  const answered: string[] = [...(conn.text().match(/x-request-id: p\d/g) ?? [])];
  conn.close();
  // Never an answer out of order or for the wrong request.
  expect(answered).toEqual(["x-request-id: p1", "x-request-id: p2"].slice(0, answered.length));
  // Bun 1.4.5: none answered; the first may have run (reached Bedrock), the rest never do.
  // When this fails with both answered, Bun has fixed pipelining: drop the README note and
  // these two expectations.
  expect(answered).toHaveLength(0);
  expect(converseCalls() - before).toBeLessThanOrEqual(1);
});
