/**
 * toSseStream is a Bun direct ReadableStream served by Bun.serve: a client
 * that goes away must still cancel it (upstream aborted, outcome cancelled),
 * and a client that reads slowly must get every byte in order (the framer
 * waits on the socket instead of dropping or reordering).
 */
import { afterEach, expect, test } from "bun:test";
import type { Server } from "bun";
import { toSseStream } from "../../src/http/sse";
import { CHAT_FRAMING } from "../../src/surfaces/openai-chat/route";

let server: Server<unknown> | undefined;
afterEach(() => {
  server?.stop(true);
  server = undefined;
});

function serve(body: () => ReadableStream<Uint8Array>): string {
  server = Bun.serve({ port: 0, fetch: () => new Response(body()) });
  return server.url.href;
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await Bun.sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test("a client that disconnects cancels the stream: upstream aborted, outcome cancelled", async () => {
  let aborts = 0;
  let returned = false;
  const outcomes: Array<{ cancelled: boolean; error?: unknown }> = [];
  async function* slow() {
    try {
      for (let n = 0; ; n++) {
        yield [{ n }];
        await Bun.sleep(20);
      }
    } finally {
      returned = true;
    }
  }
  const url = serve(() =>
    toSseStream(slow(), {
      framing: CHAT_FRAMING,
      keepaliveMs: 60_000,
      idleTimeoutMs: 60_000,
      abort: () => aborts++,
      onEnd: (o) => outcomes.push(o),
    }),
  );
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal });
  const reader = res.body?.getReader();
  await reader?.read();
  ac.abort();
  await waitFor(() => outcomes.length > 0 && returned, "the cancellation");
  expect(aborts).toBeGreaterThanOrEqual(1);
  expect(outcomes).toEqual([{ cancelled: true }]);
});

test("a slow reader gets every frame in order, then [DONE]", async () => {
  const big = "x".repeat(64 * 1024);
  const count = 120; // ~7.7 MB: more than the socket buffers hold
  async function* many() {
    for (let n = 0; n < count; n++) yield [{ n, big }];
  }
  const url = serve(() =>
    toSseStream(many(), {
      framing: CHAT_FRAMING,
      keepaliveMs: 60_000,
      idleTimeoutMs: 60_000,
      abort: () => {},
    }),
  );
  const res = await fetch(url);
  const reader = res.body?.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  await Bun.sleep(200); // let the writer fill the socket before reading
  const decoder = new TextDecoder();
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  const frames = text.split("\n\n").filter((f) => f !== "");
  expect(frames.length).toBe(count + 1);
  expect(frames.at(-1)).toBe("data: [DONE]");
  frames.slice(0, -1).forEach((f, i) => {
    const data = JSON.parse(f.slice("data: ".length)) as { n: number; big: string };
    expect(data.n).toBe(i);
    expect(data.big.length).toBe(big.length);
  });
});
