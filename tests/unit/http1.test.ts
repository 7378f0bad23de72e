/**
 * The raw transport's HTTP/1.1 client (src/bedrock/raw/http1.ts) against small
 * servers on 127.0.0.1: framing, keep-alive, the stale-socket retry, failures,
 * aborts, back-pressure and TLS. Real sockets, no timing assertions.
 */
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isTransientError } from "@smithy/core/retry";
import type { Socket, TCPSocketListener } from "bun";
import {
  Http1Client,
  proxyFor,
  type UpstreamResponse,
  UpstreamSender,
} from "../../src/bedrock/raw/http1";
import type { SignedRequest } from "../../src/bedrock/raw/signed";

const enc = new TextEncoder();
const transient = (e: unknown) => isTransientError(e as Parameters<typeof isTransientError>[0]);

interface ConnState {
  received: string;
  requests: number;
}

/**
 * A raw TCP server: `onRequest` is called once per complete request head +
 * body (content-length) with the socket and the request's index on it.
 */
function rawServer(onRequest: (socket: Socket<ConnState>, index: number, total: number) => void): {
  listener: TCPSocketListener<ConnState>;
  url: string;
  connections: () => number;
  open: () => number;
} {
  let connections = 0;
  let open = 0;
  let total = 0;
  const listener = Bun.listen<ConnState>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(s) {
        connections++;
        open++;
        s.data = { received: "", requests: 0 };
      },
      data(s, d) {
        s.data.received += Buffer.from(d).toString("latin1");
        for (;;) {
          const end = s.data.received.indexOf("\r\n\r\n");
          if (end < 0) return;
          const m = /content-length: (\d+)/i.exec(s.data.received.slice(0, end));
          const need = end + 4 + Number(m?.[1] ?? 0);
          if (s.data.received.length < need) return;
          s.data.received = s.data.received.slice(need);
          onRequest(s, s.data.requests++, total++);
        }
      },
      close() {
        open--;
      },
      error() {},
    },
  });
  return {
    listener,
    url: `http://127.0.0.1:${listener.port}`,
    connections: () => connections,
    open: () => open,
  };
}

const servers: { stop(force?: boolean): void }[] = [];
const clients: Http1Client[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const s of servers.splice(0)) s.stop(true);
});

function client(opts: ConstructorParameters<typeof Http1Client>[0] = {}): Http1Client {
  const c = new Http1Client(opts);
  clients.push(c);
  return c;
}

function req(url: string, body = '{"hello":"world"}'): SignedRequest {
  return {
    url: `${url}/model/m/converse`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  };
}

async function readAll(res: UpstreamResponse): Promise<string> {
  const reader = res.reader();
  let out = "";
  for (;;) {
    const r = await reader.read();
    if (r.done) return out;
    out += Buffer.from(r.value).toString("latin1");
  }
}

/** Waits for `cond` by polling the event loop (bounded by attempts, not time). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (cond()) return;
    await Bun.sleep(2);
  }
  throw new Error(`never happened: ${what}`);
}

function ok(body: string, extra = ""): string {
  return `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

const CHUNKED =
  "HTTP/1.1 200 OK\r\nx-amzn-requestid: abc\r\nTransfer-Encoding: chunked\r\n\r\n" +
  "5;name=value\r\nhello\r\n1\r\n \r\n" +
  "c\r\nworld, again\r\n0\r\nx-trailer: yes\r\n\r\n";
const CHUNKED_BODY = "hello world, again";

describe("framing", () => {
  test("content-length: status, headers, text; the request carries host and content-length", async () => {
    const srv = rawServer((s) => s.write(ok("pong", "X-Multi: a\r\nx-multi: b\r\n")));
    servers.push(srv.listener);
    const c = client();
    const res = await c.send(req(srv.url, "ping"));
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/plain");
    expect(res.headers.get("x-multi")).toBe("a, b");
    expect(res.headers.get("absent")).toBeNull();
    const all: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      all[k] = v;
    });
    expect(all).toEqual({ "content-type": "text/plain", "x-multi": "a, b", "content-length": "4" });
    expect(await res.text()).toBe("pong");
  });

  test("the request on the wire: method, path, host, content-length in bytes, headers, body", async () => {
    let wire = "";
    const listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(s, d) {
          wire += Buffer.from(d).toString("utf8");
          if (wire.endsWith("é}")) s.write(ok(""));
        },
      },
    });
    servers.push(listener);
    const url = `http://127.0.0.1:${listener.port}`;
    const res = await client().send(req(url, '{"a":"é}'));
    expect(await res.text()).toBe("");
    expect(wire).toBe(
      `POST /model/m/converse HTTP/1.1\r\nhost: 127.0.0.1:${listener.port}\r\ncontent-length: 9\r\ncontent-type: application/json\r\n\r\n{"a":"é}`,
    );
  });

  test("chunked with extensions and trailers, split at every byte boundary", async () => {
    const bytes = enc.encode(CHUNKED);
    for (let split = 1; split < bytes.length; split++) {
      const srv = rawServer((s) => {
        s.write(bytes.subarray(0, split));
        s.flush();
        setTimeout(() => s.write(bytes.subarray(split)), 1);
      });
      servers.push(srv.listener);
      const res = await client().send(req(srv.url));
      expect(res.status).toBe(200);
      expect(res.headers.get("x-amzn-requestid")).toBe("abc");
      expect(await readAll(res)).toBe(CHUNKED_BODY);
      srv.listener.stop(true);
    }
  });

  test("chunked, one byte per write", async () => {
    const bytes = enc.encode(CHUNKED);
    const srv = rawServer(async (s) => {
      for (let i = 0; i < bytes.length; i++) {
        s.write(bytes.subarray(i, i + 1));
        s.flush();
        await new Promise((r) => setImmediate(r));
      }
    });
    servers.push(srv.listener);
    const c = client();
    const res = await c.send(req(srv.url));
    expect(await res.text()).toBe(CHUNKED_BODY);
    // Complete: the socket went back to the pool and serves the next request.
    const again = await c.send(req(srv.url));
    expect(await again.text()).toBe(CHUNKED_BODY);
    expect(srv.connections()).toBe(1);
  });

  test("content-length body split at every byte boundary", async () => {
    const bytes = enc.encode(ok("0123456789"));
    for (let split = 1; split < bytes.length; split++) {
      const srv = rawServer((s) => {
        s.write(bytes.subarray(0, split));
        s.flush();
        setTimeout(() => s.write(bytes.subarray(split)), 1);
      });
      servers.push(srv.listener);
      expect(await (await client().send(req(srv.url))).text()).toBe("0123456789");
      srv.listener.stop(true);
    }
  });

  test("a body delimited by the end of the connection", async () => {
    const srv = rawServer((s) => {
      s.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil ");
      setTimeout(() => s.end("close"), 1);
    });
    servers.push(srv.listener);
    const c = client();
    expect(await (await c.send(req(srv.url))).text()).toBe("until close");
    expect(c.idleSockets).toBe(0);
  });

  test("1xx responses are skipped; 204 has no body", async () => {
    const srv = rawServer((s, i) =>
      s.write(
        i === 0
          ? `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n${ok("final")}`
          : "HTTP/1.1 204 No Content\r\nx-n: 1\r\n\r\n",
      ),
    );
    servers.push(srv.listener);
    const c = client();
    const res = await c.send(req(srv.url));
    expect(res.status).toBe(200);
    expect(res.headers.get("link")).toBeNull();
    expect(await res.text()).toBe("final");
    const empty = await c.send(req(srv.url));
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe("");
    expect(srv.connections()).toBe(1);
  });

  test.each([
    ["a malformed status line", "HTTP/1.1 abc\r\n\r\n"],
    ["not HTTP", "SSH-2.0-OpenSSH_9.6\r\n\r\n"],
    ["a header line without a colon", "HTTP/1.1 200 OK\r\nbroken header\r\n\r\n"],
    ["a bad content-length", "HTTP/1.1 200 OK\r\ncontent-length: 12x\r\n\r\n"],
    ["conflicting content-lengths", "HTTP/1.1 200 OK\r\ncontent-length: 1, 2\r\n\r\nab"],
    ["a bad chunk size", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n"],
    [
      "a chunk without its CRLF",
      "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nabX\r\n",
    ],
  ])("%s rejects with Malformed_HTTP_Response", async (_name, response) => {
    const srv = rawServer((s) => s.write(response));
    servers.push(srv.listener);
    const c = client();
    const err = await c
      .send(req(srv.url))
      .then((res) => res.text())
      .then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string },
      );
    expect(err).toBeInstanceOf(TypeError);
    expect(err?.code).toBe("Malformed_HTTP_Response");
    expect(err?.message).toContain("malformed response");
    expect(c.idleSockets).toBe(0);
    expect(c.inFlight).toBe(0);
  });

  test("a header section without an end is bounded", async () => {
    const srv = rawServer((s) => s.write(`HTTP/1.1 200 OK\r\nx: ${"a".repeat(70_000)}`));
    servers.push(srv.listener);
    const err = await client()
      .send(req(srv.url))
      .catch((e: unknown) => e as Error & { code?: string });
    expect((err as { code?: string }).code).toBe("Malformed_HTTP_Response");
  });
});

describe("keep-alive", () => {
  test("sequential requests reuse one connection", async () => {
    const srv = rawServer((s, i) => s.write(ok(`n${i}`)));
    servers.push(srv.listener);
    const c = client();
    for (let i = 0; i < 5; i++) expect(await (await c.send(req(srv.url))).text()).toBe(`n${i}`);
    expect(srv.connections()).toBe(1);
    expect(c.idleSockets).toBe(1);
    expect(c.inFlight).toBe(0);
  });

  test("concurrent requests use their own sockets; the pool keeps at most maxIdle", async () => {
    const pending: Socket<ConnState>[] = [];
    const srv = rawServer((s) => {
      pending.push(s);
      if (pending.length === 4) for (const p of pending.splice(0)) p.write(ok("x"));
    });
    servers.push(srv.listener);
    const c = client({ maxIdle: 2 });
    const all = await Promise.all([1, 2, 3, 4].map(() => c.send(req(srv.url))));
    expect(c.inFlight).toBe(0);
    for (const r of all) expect(await r.text()).toBe("x");
    expect(srv.connections()).toBe(4);
    expect(c.idleSockets).toBe(2);
    await until(() => srv.open() === 2, "sockets beyond maxIdle closed");
  });

  test("connection: close is honoured (and HTTP/1.0 without keep-alive)", async () => {
    // The server leaves its sockets open: the client must not reuse them.
    const srv = rawServer((s, _i, total) =>
      s.write(
        total === 0
          ? ok("one", "connection: close\r\n")
          : "HTTP/1.0 200 OK\r\ncontent-length: 3\r\n\r\ntwo",
      ),
    );
    servers.push(srv.listener);
    const c = client();
    expect(await (await c.send(req(srv.url))).text()).toBe("one");
    expect(c.idleSockets).toBe(0);
    expect(await (await c.send(req(srv.url))).text()).toBe("two");
    expect(c.idleSockets).toBe(0);
    expect(srv.connections()).toBe(2);
    await until(() => srv.open() === 0, "client closed both");
  });

  test("a socket the server closes while idle is dropped; the next request opens a new one", async () => {
    const srv = rawServer((s) => {
      s.write(ok("bye"));
      s.flush();
      setTimeout(() => s.end(), 1);
    });
    servers.push(srv.listener);
    const c = client();
    expect(await (await c.send(req(srv.url))).text()).toBe("bye");
    await until(() => c.idleSockets === 0, "idle socket dropped");
    expect(await (await c.send(req(srv.url))).text()).toBe("bye");
    expect(srv.connections()).toBe(2);
  });

  test("stale keep-alive race: a reused socket closed before any response byte is retried once on a fresh one", async () => {
    const srv = rawServer((s, i) => {
      // Each connection answers its first request, then drops the next one unanswered.
      if (i === 0) s.write(ok("first"));
      else s.end();
    });
    servers.push(srv.listener);
    const c = client();
    expect(await (await c.send(req(srv.url))).text()).toBe("first");
    expect(await (await c.send(req(srv.url))).text()).toBe("first");
    expect(srv.connections()).toBe(2);
  });

  test("a fresh socket closed before the response is an ECONNRESET error, not retried", async () => {
    const srv = rawServer((s) => s.end());
    servers.push(srv.listener);
    const c = client();
    const err = (await c.send(req(srv.url)).catch((e: unknown) => e)) as Error & { code: string };
    expect(err).toBeInstanceOf(TypeError);
    expect(err.code).toBe("ECONNRESET");
    expect(transient(err)).toBe(true);
    expect(srv.connections()).toBe(1);
    expect(c.inFlight).toBe(0);
  });

  test("a reused socket that fails again on the fresh one is an error after one retry", async () => {
    const srv = rawServer((s, _i, total) => {
      if (total === 0) s.write(ok("once"));
      else s.end();
    });
    servers.push(srv.listener);
    const c = client();
    expect(await (await c.send(req(srv.url))).text()).toBe("once");
    const err = (await c.send(req(srv.url)).catch((e: unknown) => e)) as { code?: string };
    expect(err.code).toBe("ECONNRESET");
    expect(srv.connections()).toBe(2);
  });

  test("a refused connection is ECONNREFUSED, classified transient like fetch's", async () => {
    const srv = rawServer(() => {});
    const port = srv.listener.port;
    srv.listener.stop(true);
    const viaFetch = (await fetch(`http://127.0.0.1:${port}/`, { method: "POST" }).catch(
      (e: unknown) => e,
    )) as Error & { code?: string };
    const err = (await client()
      .send(req(`http://127.0.0.1:${port}`))
      .catch((e: unknown) => e)) as Error & { code?: string };
    expect(err).toBeInstanceOf(TypeError);
    expect(err.code).toBe(viaFetch.code as string);
    expect(err.code).toBe("ECONNREFUSED");
    expect(transient(err)).toBe(transient(viaFetch));
    expect(transient(err)).toBe(true);
  });
});

describe("failures mid-body and aborts", () => {
  test.each([
    ["content-length", "HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten.."],
    ["chunked", "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n64\r\nonly ten.."],
  ])(
    "a %s body cut short rejects the reader with ECONNRESET after the bytes received",
    async (_n, response) => {
      const srv = rawServer((s) => {
        s.write(response);
        s.flush();
        setTimeout(() => s.end(), 1);
      });
      servers.push(srv.listener);
      const c = client();
      const res = await c.send(req(srv.url));
      const reader = res.reader();
      let got = "";
      let err: (Error & { code?: string }) | undefined;
      for (;;) {
        try {
          const r = await reader.read();
          if (r.done) break;
          got += Buffer.from(r.value).toString();
        } catch (e) {
          err = e as Error & { code?: string };
          break;
        }
      }
      expect(got).toBe("only ten..");
      expect(err?.code).toBe("ECONNRESET");
      expect(c.idleSockets).toBe(0);
      expect(c.inFlight).toBe(0);
    },
  );

  test("abort before the headers rejects with an AbortError and closes the socket", async () => {
    const srv = rawServer(() => {});
    servers.push(srv.listener);
    const c = client();
    const ac = new AbortController();
    const p = c.send(req(srv.url), ac.signal);
    await until(() => srv.connections() === 1, "connected");
    ac.abort();
    const err = (await p.catch((e: unknown) => e)) as Error;
    expect(err.name).toBe("AbortError");
    expect(err).toBe(ac.signal.reason);
    await until(() => srv.open() === 0, "socket closed");
    expect(c.idleSockets).toBe(0);
    expect(c.inFlight).toBe(0);
  });

  test("an already aborted signal rejects at once, like fetch", async () => {
    const ac = new AbortController();
    ac.abort();
    const err = (await client()
      .send(req("http://127.0.0.1:9"), ac.signal)
      .catch((e: unknown) => e)) as Error;
    expect(err.name).toBe("AbortError");
  });

  test("abort mid-body rejects the pending read; the socket is closed, never pooled", async () => {
    const srv = rawServer((s) =>
      s.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n"),
    );
    servers.push(srv.listener);
    const c = client();
    const ac = new AbortController();
    const res = await c.send(req(srv.url), ac.signal);
    const reader = res.reader();
    expect(Buffer.from((await reader.read()).value as Uint8Array).toString()).toBe("abc");
    const pending = reader.read();
    ac.abort();
    const err = (await pending.catch((e: unknown) => e)) as Error;
    expect(err.name).toBe("AbortError");
    expect(((await reader.read().catch((e: unknown) => e)) as Error).name).toBe("AbortError");
    await until(() => srv.open() === 0, "socket closed");
    expect(c.idleSockets).toBe(0);
    expect(c.inFlight).toBe(0);
  });

  test("cancelling an unfinished body closes the socket; a finished one keeps it", async () => {
    const srv = rawServer((s, i) =>
      s.write(i === 0 ? ok("whole") : "HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\npart"),
    );
    servers.push(srv.listener);
    const c = client();
    const whole = await c.send(req(srv.url));
    await until(() => c.idleSockets === 1, "response complete");
    await whole.reader().cancel();
    expect(c.idleSockets).toBe(1);
    const part = await c.send(req(srv.url));
    const reader = part.reader();
    await reader.read();
    await reader.cancel();
    expect((await reader.read()).done).toBe(true);
    await until(() => srv.open() === 0, "socket closed");
    expect(c.idleSockets).toBe(0);
    expect(c.inFlight).toBe(0);
  });
});

describe("back-pressure", () => {
  test("a slow consumer pauses the socket: unread bytes stay bounded while the server is blocked", async () => {
    const TOTAL = 32 * 1024 * 1024;
    const block = Buffer.alloc(256 * 1024, 120);
    let sent = 0;
    let blocked = false;
    const pump = (s: Socket<ConnState>) => {
      while (sent < TOTAL) {
        const n = s.write(block.subarray(0, Math.min(block.length, TOTAL - sent)));
        sent += Math.max(0, n);
        if (n < Math.min(block.length, TOTAL - sent + n)) {
          blocked = true;
          return;
        }
      }
    };
    const listener = Bun.listen<ConnState>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        data(s) {
          s.write(`HTTP/1.1 200 OK\r\ncontent-length: ${TOTAL}\r\n\r\n`);
          pump(s);
        },
        drain(s) {
          blocked = false;
          pump(s);
        },
      },
    });
    servers.push(listener);
    const c = client({ highWaterMark: 64 * 1024 });
    const res = await c.send(req(`http://127.0.0.1:${listener.port}`));
    await until(() => blocked, "server blocked");
    // Let the event loop run: a client that kept reading would drain the server.
    for (let i = 0; i < 20; i++) await Bun.sleep(1);
    expect(blocked).toBe(true);
    expect(sent).toBeLessThan(TOTAL);
    const reader = res.reader();
    const first = await reader.read();
    // What the client held unread: one read hands it all over.
    expect((first.value as Uint8Array).length).toBeLessThan(1024 * 1024);
    let total = (first.value as Uint8Array).length;
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      total += r.value.length;
    }
    expect(total).toBe(TOTAL);
  });
});

describe("TLS", () => {
  const dir = mkdtempSync(join(tmpdir(), "http1-tls-"));
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  const made = Bun.spawnSync([
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-days",
    "1",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost",
  ]);
  if (made.exitCode !== 0) throw new Error(`openssl failed: ${made.stderr.toString()}`);
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    tls: { cert: Bun.file(certFile), key: Bun.file(keyFile) },
    fetch: async (r) => {
      return new Response(`secure ${await r.text()}`, {
        headers: { "x-path": new URL(r.url).pathname },
      });
    },
  });
  server.unref();
  const url = `https://localhost:${server.port}`;
  afterAll(() => server.stop(true));

  test("a self-signed certificate is rejected by default, with the verifier's code as fetch reports it", async () => {
    const viaFetch = (await fetch(url).catch((e: unknown) => e)) as { code?: string };
    const err = (await client()
      .send(req(url))
      .catch((e: unknown) => e)) as Error & { code?: string };
    expect(err).toBeInstanceOf(TypeError);
    expect(err.code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
    expect(err.code).toBe(viaFetch.code as string);
  });

  test("with the certificate trusted: request, response and keep-alive over TLS", async () => {
    const c = client({ tls: { ca: await Bun.file(certFile).text() } });
    const res = await c.send(req(url, "hi"));
    expect(res.status).toBe(200);
    expect(res.headers.get("x-path")).toBe("/model/m/converse");
    expect(await res.text()).toBe("secure hi");
    expect(c.idleSockets).toBe(1);
    expect(await (await c.send(req(url, "again"))).text()).toBe("secure again");
    expect(c.idleSockets).toBe(1);
  });

  test("the host name is verified", async () => {
    const c = client({ tls: { ca: await Bun.file(certFile).text() } });
    const err = (await c
      .send(req(`https://127.0.0.1:${server.port}`))
      .catch((e: unknown) => e)) as Error & { code?: string };
    expect(err.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
  });

  test.each([
    ["NODE_EXTRA_CA_CERTS", { NODE_EXTRA_CA_CERTS: certFile }],
    ["NODE_TLS_REJECT_UNAUTHORIZED=0", { NODE_TLS_REJECT_UNAUTHORIZED: "0" }],
  ])("%s is honoured as fetch honours it", async (_name, env) => {
    const script = `
      import { Http1Client } from ${JSON.stringify(join(import.meta.dir, "../../src/bedrock/raw/http1.ts"))};
      const c = new Http1Client();
      const res = await c.send({ url: ${JSON.stringify(`${url}/x`)}, method: "POST", headers: {}, body: "env" });
      console.log(res.status, await res.text());
      c.close();
    `;
    const proc = Bun.spawn(["bun", "-e", script], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: "", ...env },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [out, errOut] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
    ]);
    await proc.exited;
    expect(errOut).not.toContain("error");
    expect(out.trim()).toBe("200 secure env");
  });
});

describe("proxies and the fetch fallback", () => {
  test("proxyFor: HTTPS_PROXY / HTTP_PROXY and NO_PROXY as fetch reads them", () => {
    const env = {
      HTTPS_PROXY: "http://proxy:3128",
      NO_PROXY: "localhost,.internal.example,10.0.0.1:8080",
    };
    expect(proxyFor("https://bedrock-runtime.us-east-1.amazonaws.com", env)).toBe(
      "http://proxy:3128",
    );
    expect(proxyFor("http://bedrock-runtime.us-east-1.amazonaws.com", env)).toBeUndefined();
    expect(proxyFor("https://localhost:8443", env)).toBeUndefined();
    expect(proxyFor("https://a.internal.example", env)).toBeUndefined();
    expect(proxyFor("https://10.0.0.1:8080", env)).toBeUndefined();
    expect(proxyFor("https://10.0.0.1:9090", env)).toBe("http://proxy:3128");
    expect(proxyFor("http://x", { http_proxy: "http://p:1" })).toBe("http://p:1");
    expect(proxyFor("https://x", { https_proxy: "http://p:2", no_proxy: "*" })).toBeUndefined();
    expect(proxyFor("https://x", {})).toBeUndefined();
  });

  test("a proxy that applies sends through fetch (and the proxy); otherwise our sockets", async () => {
    const origin = rawServer((s) => s.write(ok("direct")));
    servers.push(origin.listener);
    const proxied: string[] = [];
    const proxy = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (r) => {
        proxied.push(r.url);
        return new Response("via proxy");
      },
    });
    servers.push(proxy);
    const viaProxy = new UpstreamSender("socket", client(), {
      HTTP_PROXY: `http://127.0.0.1:${proxy.port}`,
    });
    expect(await (await viaProxy.send(req(origin.url))).text()).toBe("via proxy");
    expect(proxied).toEqual([`${origin.url}/model/m/converse`]);
    expect(origin.connections()).toBe(0);
    const excluded = new UpstreamSender("socket", client(), {
      HTTP_PROXY: `http://127.0.0.1:${proxy.port}`,
      NO_PROXY: "127.0.0.1",
    });
    expect(await (await excluded.send(req(origin.url))).text()).toBe("direct");
    expect(origin.connections()).toBe(1);
    const viaFetch = new UpstreamSender("fetch", client(), {});
    const res = await viaFetch.send(req(origin.url));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("direct");
    expect(viaFetch.inFlight).toBe(0);
  });
});
