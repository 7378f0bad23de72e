/**
 * Every oversized body gets the gateway's JSON 413 `request_too_large` and an
 * access-log line, including bodies above Bun's own 128 MiB server cap, which
 * used to answer a bare 413 before the gateway saw the request.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rawConnect } from "../support/raw-http";
import { API_KEY, type OpsStack, startOpsStack, waitFor } from "./helpers";

let s: OpsStack;
beforeAll(async () => {
  s = await startOpsStack({ MAX_BODY_BYTES: String(200 * 1024 * 1024) });
});
afterAll(() => s.stop());

function port(): number {
  return Number(new URL(s.gw.url).port);
}

for (const mib of [201, 300, 4096]) {
  test(`a declared ${mib} MiB body above MAX_BODY_BYTES or Bun's cap gets the JSON 413 and a log line`, async () => {
    const before = s.accessLines().length;
    const conn = await rawConnect(port());
    conn.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${API_KEY}\r\ncontent-type: application/json\r\ncontent-length: ${mib * 1024 * 1024}\r\n\r\n{"model":`,
    );
    const text = await conn.until((t) => t.includes("\r\n\r\n") && t.includes("}}"));
    conn.close();
    expect(text.startsWith("HTTP/1.1 413")).toBe(true);
    expect(text.toLowerCase()).toContain("content-type: application/json");
    expect(text).toContain('"code":"request_too_large"');
    await waitFor(() => s.accessLines().length > before, "the access line");
    expect(s.accessLines().at(-1)).toMatchObject({ status: 413, errorCode: "request_too_large" });
  });
}

test("MAX_BODY_BYTES above Bun's 128 MiB is honoured: a 129 MiB body reaches validation", async () => {
  const body = `${" ".repeat(129 * 1024 * 1024)}{}`;
  const res = await fetch(`${s.gw.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${API_KEY}`, "content-type": "application/json" },
    body,
  });
  // Read and validated (no messages), not refused for its size.
  expect(res.status).toBe(400);
  expect(((await res.json()) as { error: { param: string } }).error.param).toBe("messages");
}, 30_000);

test("a chunked upload that grows past MAX_BODY_BYTES gets the JSON 413", async () => {
  const small = await startOpsStack({ MAX_BODY_BYTES: "2048" });
  try {
    const conn = await rawConnect(Number(new URL(small.gw.url).port));
    conn.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${API_KEY}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`,
    );
    const chunk = "x".repeat(1024);
    for (let i = 0; i < 4; i++) conn.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const text = await conn.until((t) => t.includes("}}"));
    conn.close();
    expect(text.startsWith("HTTP/1.1 413")).toBe(true);
    expect(text).toContain('"code":"request_too_large"');
  } finally {
    await small.stop();
  }
});
