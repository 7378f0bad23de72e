/**
 * DNS pinning and data: URL caps of the image fetcher (src/chat/media.ts):
 * the name is resolved once, the connection goes to the checked address with
 * the URL's own Host, and a name that "rebinds" afterwards changes nothing.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { emptyConversation } from "../../src/conversation";
import { fetchImage, resolveMedia } from "../../src/converse/media";

const PNG_1PX = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
  "base64",
);
let server: ReturnType<typeof Bun.serve>;
const hosts: string[] = [];
beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      hosts.push(req.headers.get("host") ?? "");
      return new Response(PNG_1PX, { headers: { "content-type": "image/png" } });
    },
  });
});
afterAll(() => server.stop(true));

test("the fetch goes to the address that was checked, with the name as Host, resolving once", async () => {
  const lookups: string[] = [];
  // A rebinding name: checked as 127.0.0.1 (allowed here), then it would say 10.0.0.1.
  const lookup = async (host: string) => {
    lookups.push(host);
    return lookups.length === 1 ? ["127.0.0.1"] : ["10.0.0.1"];
  };
  const url = await fetchImage(`http://rebind.test:${server.port}/cat.png`, "messages[0]", {
    timeoutMs: 2000,
    maxBytes: 1024,
    allowPrivate: false,
    allowHosts: [],
    lookup,
    allowAddress: (ip: string) => ip === "127.0.0.1",
  });
  expect(url).toBe(`data:image/png;base64,${PNG_1PX.toString("base64")}`);
  expect(lookups).toEqual(["rebind.test"]);
  expect(hosts.at(-1)).toBe(`rebind.test:${server.port}`);
});

test("a name with any disallowed address is refused before connecting", async () => {
  const before = hosts.length;
  const attempt = fetchImage(`http://mixed.test:${server.port}/cat.png`, "messages[0]", {
    timeoutMs: 2000,
    maxBytes: 1024,
    allowPrivate: false,
    allowHosts: [],
    lookup: async () => ["8.8.8.8", "127.0.0.1"],
  });
  await expect(attempt).rejects.toMatchObject({ code: "image_url_forbidden" });
  expect(hosts.length).toBe(before);
});

test("inline images (data: URLs, base64) are held to the same per-image size cap", async () => {
  const big = Buffer.alloc(4096, 1).toString("base64");
  const conv = emptyConversation();
  conv.turns.push({
    role: "user",
    content: [
      { type: "text", text: "x" },
      {
        type: "image",
        source: { type: "url", url: `data:image/png;base64,${big}` },
        param: "messages[0].content[1]",
      },
    ],
  });
  const opts = { timeoutMs: 1000, maxBytes: 1024, allowPrivate: false, allowHosts: [] };
  await expect(resolveMedia(conv, opts)).rejects.toMatchObject({
    code: "image_too_large",
    param: "messages[0].content[1]",
  });
  await expect(resolveMedia(conv, { ...opts, maxBytes: 8192 })).resolves.toBe(conv);
  const raw = emptyConversation();
  raw.turns.push({
    role: "user",
    content: [
      {
        type: "image",
        source: { type: "base64", data: big, mediaType: "image/png" },
        param: "messages[0].content[0].source",
      },
    ],
  });
  await expect(resolveMedia(raw, opts)).rejects.toMatchObject({ code: "image_too_large" });
});
