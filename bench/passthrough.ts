/**
 * The thinnest possible Bun "gateway": Bun.serve that forwards each request
 * to the emulator with fetch and streams the upstream body back unchanged (no
 * parsing, no signing, no translation). Run by the benchmark as a second
 * floor: what Bun's own server + client + piping cost per request on this
 * machine, which no gateway built on them can go below.
 *
 * Usage: PORT=… UPSTREAM=http://127.0.0.1:… bun bench/passthrough.ts
 *
 * @module
 */
const upstream = process.env.UPSTREAM ?? "http://127.0.0.1:4010";
const path = process.env.UPSTREAM_PATH ?? "";

Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  idleTimeout: 0,
  async fetch(req) {
    const url = new URL(req.url);
    if (url.pathname === "/health") return new Response("ok");
    const res = await fetch(`${upstream}${path || url.pathname}`, {
      method: req.method,
      headers: { "content-type": "application/json", authorization: "Bearer passthrough" },
      body: await req.arrayBuffer(),
    });
    return new Response(res.body, { status: res.status, headers: res.headers });
  },
});
