/**
 * A small HTTP/1.1 client on `Bun.connect` for the raw transport's signed
 * POSTs, instead of `fetch`: measured (bench/README.md, "Session 3: upstream
 * client"), Bun's fetch and its ReadableStream body were the largest single
 * per-request and per-event cost the gateway controls.
 *
 * - One keep-alive pool per origin (host, port, TLS): at most `maxIdle` idle
 *   sockets, most recently used first; a socket the server closes while idle
 *   is dropped, and idle sockets close themselves after `idleSeconds`.
 * - A request that fails on a reused socket before any response byte arrived
 *   (the server closed a keep-alive socket as we sent) is sent once more on a
 *   fresh socket; a failure on a fresh socket is an error.
 * - Status line and headers checked; bodies framed by Content-Length, chunked
 *   transfer-encoding (extensions and trailers accepted and ignored) or the
 *   end of the connection; 1xx skipped; `connection: close` and HTTP/1.0
 *   honoured. Anything malformed rejects with `Malformed_HTTP_Response`, as
 *   Bun's fetch does.
 * - TLS verifies the peer (Bun.connect honours NODE_EXTRA_CA_CERTS and
 *   NODE_TLS_REJECT_UNAUTHORIZED=0 as fetch does); `serverName` is the host.
 * - Back-pressure: the socket is paused while the consumer holds more than
 *   `highWaterMark` unread bytes, resumed as it reads.
 * - The AbortSignal closes the socket at once (it never goes back to the
 *   pool) and rejects the request or the next read with the signal's reason,
 *   as fetch does. A socket goes back to the pool only once its response has
 *   been received to the end.
 * - Network errors are TypeErrors with fetch's `code` (ECONNREFUSED,
 *   ECONNRESET, ...): the SDK's retry classifier and the gateway's error
 *   mapping read that field.
 *
 * @module
 */
import type { Socket, SocketHandler } from "bun";
import type { SignedRequest } from "./signed";

/** The part of a response's headers the raw transport reads. */
export interface ResponseHeaders {
  get(name: string): string | null;
  forEach(cb: (value: string, name: string) => void): void;
}

/** One read of a body (a ReadableStreamDefaultReader's result). */
export type ReadResult = { done: false; value: Uint8Array } | { done: true; value?: undefined };

/** A body reader: what `decodeBatches` calls (a ReadableStreamDefaultReader's subset). */
export interface BodyReader {
  read(): Promise<ReadResult>;
  cancel(reason?: unknown): Promise<void>;
}

/** A response as the raw transport uses it; `Response` from fetch fits it through {@link fromFetch}. */
export interface UpstreamResponse {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** The whole body as UTF-8 text. */
  text(): Promise<string>;
  /** The body as a reader (once). */
  reader(): BodyReader;
}

/** Sends one signed request. */
export interface UpstreamHttp {
  send(req: SignedRequest, signal?: AbortSignal): Promise<UpstreamResponse>;
  /** Requests on this sender's own sockets (headers sent, body not yet received to its end). */
  readonly inFlight: number;
}

export interface Http1Options {
  /** Idle keep-alive sockets kept per origin. */
  maxIdle?: number;
  /** Unread body bytes held before the socket is paused. */
  highWaterMark?: number;
  /** Idle sockets are closed after this long (below typical server keep-alive timeouts). */
  idleSeconds?: number;
  /** Extra TLS options (tests: a CA). */
  tls?: { ca?: string | string[] };
}

const MAX_HEAD_BYTES = 64 * 1024;
const DONE: ReadResult = Object.freeze({ done: true as const, value: undefined });

/** A network error shaped like Bun's fetch's (a TypeError with `code`, `path`, `errno`). */
export function networkError(code: string, message: string, url: string, cause?: unknown): Error {
  const err = new TypeError(`${code}: ${message}`, cause === undefined ? undefined : { cause });
  return Object.assign(err, { code, path: url, errno: 0 });
}

const malformed = (url: string, why: string) =>
  networkError("Malformed_HTTP_Response", `malformed response from upstream (${why})`, url);
const reset = (url: string) =>
  networkError("ECONNRESET", "The socket connection was closed unexpectedly.", url);

/** The response's header lines, names lower-cased, in order. */
class Headers1 implements ResponseHeaders {
  constructor(private readonly pairs: string[]) {}
  get(name: string): string | null {
    const key = name.toLowerCase();
    const p = this.pairs;
    let out: string | null = null;
    for (let i = 0; i < p.length; i += 2) {
      if (p[i] === key) out = out === null ? (p[i + 1] as string) : `${out}, ${p[i + 1]}`;
    }
    return out;
  }
  forEach(cb: (value: string, name: string) => void): void {
    const seen = new Set<string>();
    const p = this.pairs;
    for (let i = 0; i < p.length; i += 2) {
      const k = p[i] as string;
      if (seen.has(k)) continue;
      seen.add(k);
      cb(this.get(k) as string, k);
    }
  }
}

/** Body framing states. */
const Body = {
  Length: 0,
  ChunkSize: 1,
  ChunkData: 2,
  ChunkCrlf: 3,
  Trailers: 4,
  UntilClose: 5,
} as const;
type BodyMode = (typeof Body)[keyof typeof Body];

const CR = 13;
const LF = 10;

function indexOfHeadEnd(buf: Uint8Array, from: number): number {
  for (let i = Math.max(3, from); i < buf.length; i++) {
    if (buf[i] === LF && buf[i - 1] === CR && buf[i - 2] === LF && buf[i - 3] === CR) return i + 1;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

interface Origin {
  readonly key: string;
  readonly hostname: string;
  readonly port: number;
  readonly tls: boolean;
  readonly host: string;
  readonly idle: Conn[];
}

/**
 * One request/response exchange, its parser and its body reader (one object
 * per request: the response, its headers' owner and the reader).
 */
class Exchange implements UpstreamResponse, BodyReader {
  status = 0;
  headers: Headers1 = new Headers1([]);
  #conn: Conn | undefined;
  #reused = false;
  #retried = false;
  #gotBytes = false;
  #head: Uint8Array | undefined;
  /** A partial framing line carried over to the next read. */
  #line: Uint8Array | undefined;
  /** [start, end) pairs of the current read's payload (reused). */
  readonly #segs: number[] = [];
  #headScan = 0;
  #mode: BodyMode = Body.Length;
  #left = 0;
  #keepAlive = true;
  #bodyDone = false;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #paused = false;
  #failure: unknown;
  #failed = false;
  #readerDone = false;
  #waiter: { resolve: (r: ReadResult) => void; reject: (e: unknown) => void } | undefined;
  #resolveHead!: (r: UpstreamResponse) => void;
  #rejectHead!: (e: unknown) => void;
  #headDone = false;
  #counted = true;
  readonly headPromise: Promise<UpstreamResponse>;
  readonly #onAbort = () => this.#abort();

  constructor(
    private readonly client: Http1Client,
    private readonly origin: Origin,
    private readonly url: string,
    private bytes: string,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.headPromise = new Promise((resolve, reject) => {
      this.#resolveHead = resolve;
      this.#rejectHead = reject;
    });
    signal?.addEventListener("abort", this.#onAbort);
  }

  start(): void {
    const conn = this.client.take(this.origin);
    if (conn) {
      this.#reused = true;
      this.#attach(conn);
    } else this.#connect();
  }

  #connect(): void {
    this.#reused = false;
    const conn = new Conn(this.client, this.origin);
    conn.exchange = this;
    this.#conn = conn;
    conn.open(this.url);
  }

  #attach(conn: Conn): void {
    conn.exchange = this;
    this.#conn = conn;
    conn.send(this.bytes);
  }

  /** The socket is connected (and TLS verified): send. */
  connected(conn: Conn): void {
    if (this.#conn !== conn) return;
    conn.send(this.bytes);
  }

  /** Socket data for this exchange. */
  data(buf: Uint8Array): void {
    if (!this.#gotBytes) {
      this.#gotBytes = true;
      // No retry after the first response byte: a long stream does not keep the request alive.
      this.bytes = "";
    }
    let at = 0;
    if (!this.#headDone) {
      const head = this.#head ? concat(this.#head, buf) : buf;
      this.#head = undefined;
      let start = 0;
      for (;;) {
        const end = indexOfHeadEnd(head, Math.max(start + 3, this.#headScan));
        if (end < 0) {
          if (head.length - start > MAX_HEAD_BYTES) {
            this.fail(malformed(this.url, "header section too large"));
            return;
          }
          this.#head = start === 0 ? head : head.subarray(start);
          this.#headScan = Math.max(0, this.#head.length - 3);
          return;
        }
        this.#headScan = 0;
        const status = this.#parseHead(head, start, end);
        if (status < 0) return; // failed
        start = end;
        if (status >= 200) break;
        // 1xx: an interim response, the real one follows.
      }
      at = start;
      this.#headDone = true;
      if (this.#bodyDone) {
        if (at < head.length) this.#keepAlive = false; // bytes after a complete response
        this.#resolveHead(this);
        this.#finishBody();
        return;
      }
      this.#resolveHead(this);
      if (this.#conn === undefined) return; // aborted inside resolve
      buf = head;
    }
    this.#body(buf, at);
  }

  /** Parses one head; returns the status, or −1 after failing. */
  #parseHead(buf: Uint8Array, start: number, end: number): number {
    const text = Buffer.from(buf.buffer, buf.byteOffset + start, end - start - 4).toString(
      "latin1",
    );
    const lines = text.split("\r\n");
    const statusLine = lines[0] as string;
    const m = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/.exec(statusLine);
    if (!m) {
      this.fail(malformed(this.url, `status line ${JSON.stringify(statusLine.slice(0, 64))}`));
      return -1;
    }
    const status = Number(m[2]);
    const pairs: string[] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(":");
      const name = colon > 0 ? line.slice(0, colon) : "";
      if (!TOKEN.test(name)) {
        this.fail(malformed(this.url, `header line ${JSON.stringify(line.slice(0, 64))}`));
        return -1;
      }
      pairs.push(name.toLowerCase(), line.slice(colon + 1).trim());
    }
    if (status < 200) {
      if (status === 101) {
        this.fail(malformed(this.url, "unexpected protocol switch"));
        return -1;
      }
      return status;
    }
    this.status = status;
    const headers = new Headers1(pairs);
    this.headers = headers;
    const connection = headers.get("connection")?.toLowerCase() ?? "";
    this.#keepAlive =
      m[1] === "1"
        ? !/(^|,)\s*close\s*(,|$)/.test(connection)
        : /(^|,)\s*keep-alive\s*(,|$)/.test(connection);
    const te = headers.get("transfer-encoding");
    const cl = headers.get("content-length");
    if (status === 204 || status === 304) {
      this.#bodyDone = true;
    } else if (te !== null) {
      const codings = te.toLowerCase().split(",");
      if ((codings[codings.length - 1] as string).trim() === "chunked") this.#mode = Body.ChunkSize;
      else {
        this.#mode = Body.UntilClose;
        this.#keepAlive = false;
      }
    } else if (cl !== null) {
      const values = cl.split(",").map((v) => v.trim());
      const first = values[0] as string;
      if (!/^\d{1,15}$/.test(first) || values.some((v) => v !== first)) {
        this.fail(malformed(this.url, `content-length ${JSON.stringify(cl.slice(0, 32))}`));
        return -1;
      }
      this.#mode = Body.Length;
      this.#left = Number(first);
      if (this.#left === 0) this.#bodyDone = true;
    } else {
      this.#mode = Body.UntilClose;
      this.#keepAlive = false;
    }
    return status;
  }

  /**
   * Body bytes of `buf` from `at`: the payload of one network read goes to
   * the reader as one array (a subarray when it is contiguous, else one copy
   * of its pieces), however many chunks it held.
   */
  #body(buf: Uint8Array, at: number): void {
    const segs = this.#segs;
    segs.length = 0;
    const len = buf.length;
    while (at < len && !this.#bodyDone) {
      const mode = this.#mode;
      if (mode === Body.Length || mode === Body.ChunkData) {
        const n = Math.min(this.#left, len - at);
        segs.push(at, at + n);
        at += n;
        this.#left -= n;
        if (this.#left === 0) {
          if (mode === Body.Length) this.#bodyDone = true;
          else this.#mode = Body.ChunkCrlf;
        }
      } else if (mode === Body.UntilClose) {
        segs.push(at, len);
        at = len;
      } else {
        // Line-oriented states (chunk size, the CRLF after a chunk, trailers).
        let lf = at;
        while (lf < len && buf[lf] !== LF) lf++;
        if (lf === len) {
          const part = this.#line ? concat(this.#line, buf.subarray(at)) : buf.slice(at);
          if (part.length > 4096) {
            this.fail(malformed(this.url, "chunk line too long"));
            return;
          }
          this.#line = part;
          at = len;
          break;
        }
        let ok: boolean;
        const held = this.#line;
        if (held) {
          this.#line = undefined;
          const line = concat(held, buf.subarray(at, lf));
          ok = this.#framing(line, 0, line.length);
        } else ok = this.#framing(buf, at, lf);
        if (!ok) return;
        at = lf + 1;
      }
    }
    const n = segs.length;
    if (n === 2) this.#push(buf.subarray(segs[0] as number, segs[1] as number));
    else if (n > 2) {
      let total = 0;
      for (let i = 0; i < n; i += 2) total += (segs[i + 1] as number) - (segs[i] as number);
      // Buffer#copy: a native copy without a subarray object per piece.
      const src = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.length);
      const out = Buffer.allocUnsafe(total);
      let o = 0;
      for (let i = 0; i < n; i += 2)
        o += src.copy(out, o, segs[i] as number, segs[i + 1] as number);
      this.#push(out);
    }
    if (this.#bodyDone) {
      if (at < len) this.#keepAlive = false; // bytes beyond the response
      this.#finishBody();
    }
  }

  /**
   * One line of chunked framing, `line[start, lf)` with `lf` at its LF (the CR
   * before it is required); false after failing.
   */
  #framing(line: Uint8Array, start: number, lf: number): boolean {
    if (lf === start || line[lf - 1] !== CR) {
      this.fail(malformed(this.url, "chunk framing without CRLF"));
      return false;
    }
    const end = lf - 1;
    const mode = this.#mode;
    if (mode === Body.ChunkCrlf) {
      if (end !== start) {
        this.fail(malformed(this.url, "missing CRLF after chunk"));
        return false;
      }
      this.#mode = Body.ChunkSize;
      return true;
    }
    if (mode === Body.Trailers) {
      if (end === start) this.#bodyDone = true;
      return true;
    }
    // chunk-size [ chunk-ext ]: hex digits, then nothing, whitespace or ";".
    let size = 0;
    let i = start;
    for (; i < end && i - start < 13; i++) {
      const c = line[i] as number;
      const d =
        c >= 48 && c <= 57
          ? c - 48
          : c >= 97 && c <= 102
            ? c - 87
            : c >= 65 && c <= 70
              ? c - 55
              : -1;
      if (d < 0) break;
      size = size * 16 + d;
    }
    const next = i < end ? (line[i] as number) : -1;
    if (
      i === start ||
      i - start > 12 ||
      (next !== -1 && next !== 59 && next !== 32 && next !== 9)
    ) {
      const text = Buffer.from(line.buffer, line.byteOffset + start, end - start).toString(
        "latin1",
      );
      this.fail(malformed(this.url, `chunk size ${JSON.stringify(text.slice(0, 32))}`));
      return false;
    }
    if (size === 0) this.#mode = Body.Trailers;
    else {
      this.#mode = Body.ChunkData;
      this.#left = size;
    }
    return true;
  }

  #push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    const w = this.#waiter;
    if (w && this.#queue.length === 0) {
      this.#waiter = undefined;
      w.resolve({ done: false, value: chunk });
      return;
    }
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    if (!this.#paused && this.#queued > this.client.highWaterMark) {
      this.#paused = true;
      this.#conn?.socket?.pause();
    }
  }

  /** The response has been received to its end: the socket is free. */
  #finishBody(): void {
    this.#bodyDone = true;
    const conn = this.#conn;
    this.#conn = undefined;
    this.#leave();
    if (conn) {
      conn.exchange = undefined;
      if (this.#paused) conn.socket?.resume();
      this.client.release(conn, this.#keepAlive);
    }
    const w = this.#waiter;
    if (w && this.#queue.length === 0) {
      this.#waiter = undefined;
      this.#readerDone = true;
      this.#unlisten();
      w.resolve(DONE);
    }
  }

  /** Leaves the in-flight count and destroys the socket: it cannot carry another request. */
  #discardConn(): void {
    this.#leave();
    const conn = this.#conn;
    this.#conn = undefined;
    if (conn) {
      conn.exchange = undefined;
      conn.destroy();
    }
  }

  #leave(): void {
    if (!this.#counted) return;
    this.#counted = false;
    this.client.exchanges--;
  }

  #unlisten(): void {
    this.signal?.removeEventListener("abort", this.#onAbort);
  }

  /** The socket closed or failed (`err` from Bun, else a close). */
  closed(conn: Conn, err: unknown): void {
    if (this.#conn !== conn) return;
    if (!this.#headDone && !this.#gotBytes && this.#reused && !this.#retried) {
      // The classic keep-alive race: the server closed the idle socket as we reused it.
      this.#retried = true;
      conn.exchange = undefined;
      this.#connect();
      return;
    }
    if (this.#headDone && this.#mode === Body.UntilClose && err === undefined) {
      this.#keepAlive = false;
      this.#finishBody();
      return;
    }
    this.fail(
      err !== undefined && !conn.wasOpen
        ? connectError(err, this.url)
        : err !== undefined && (err as { code?: string }).code
          ? networkError(
              (err as { code: string }).code,
              String((err as Error).message ?? err),
              this.url,
              err,
            )
          : reset(this.url),
    );
  }

  fail(err: unknown): void {
    if (this.#failed || this.#readerDone) return;
    this.#failed = true;
    this.#failure = err;
    this.#discardConn();
    this.#queue = [];
    this.#queued = 0;
    this.#unlisten();
    if (!this.#headDone) {
      this.#headDone = true;
      this.#rejectHead(err);
    }
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      w.reject(err);
    }
  }

  #abort(): void {
    this.fail(this.signal?.reason);
  }

  // --- UpstreamResponse ---

  reader(): BodyReader {
    return this;
  }

  async text(): Promise<string> {
    const parts: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const r = await this.read();
      if (r.done) break;
      parts.push(r.value);
      total += r.value.length;
    }
    if (parts.length === 1)
      return Buffer.from(
        (parts[0] as Uint8Array).buffer,
        (parts[0] as Uint8Array).byteOffset,
        total,
      ).toString("utf8");
    return Buffer.concat(parts, total).toString("utf8");
  }

  // --- BodyReader ---

  read(): Promise<ReadResult> {
    if (this.#failed) return Promise.reject(this.#failure);
    const q = this.#queue;
    if (q.length > 0) {
      const value = q.length === 1 ? (q[0] as Uint8Array) : Buffer.concat(q, this.#queued);
      this.#queue = [];
      this.#queued = 0;
      if (this.#paused) {
        this.#paused = false;
        this.#conn?.socket?.resume();
      }
      return Promise.resolve({ done: false, value });
    }
    if (this.#bodyDone || this.#readerDone) {
      this.#readerDone = true;
      this.#unlisten();
      return Promise.resolve(DONE);
    }
    if (this.#waiter) return Promise.reject(new TypeError("a read is already pending"));
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  cancel(_reason?: unknown): Promise<void> {
    if (this.#readerDone || this.#failed) return Promise.resolve();
    this.#readerDone = true;
    this.#queue = [];
    this.#queued = 0;
    this.#unlisten();
    if (!this.#bodyDone) {
      // Not received to its end: the socket cannot be reused.
      this.#discardConn();
    }
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      w.resolve(DONE);
    }
    return Promise.resolve();
  }
}

function connectError(err: unknown, url: string): Error {
  const e = err as { code?: string; message?: string };
  const code = e.code ?? "ECONNREFUSED";
  const message =
    code === "ECONNREFUSED"
      ? "Unable to connect. Is the computer able to access the url?"
      : (e.message ?? String(err));
  return networkError(code, message, url, err);
}

/** One socket; `exchange` is the request it currently serves. */
class Conn {
  socket: Socket<Conn> | undefined;
  exchange: Exchange | undefined;
  wasOpen = false;
  idle = false;
  #closed = false;
  #pending: Uint8Array | undefined;
  #url = "";

  constructor(
    private readonly client: Http1Client,
    readonly origin: Origin,
  ) {}

  open(url: string): void {
    this.#url = url;
    const o = this.origin;
    const tls = o.tls ? { serverName: o.hostname, ...(this.client.tlsExtra ?? {}) } : undefined;
    Bun.connect<Conn>({
      hostname: o.hostname,
      port: o.port,
      data: this,
      socket: HANDLERS,
      ...(tls ? { tls } : {}),
    }).then(
      (socket) => {
        this.socket = socket;
        if (this.#closed) {
          socket.terminate(); // aborted while connecting
          return;
        }
        if (!o.tls) this.#ready();
      },
      (err: unknown) => {
        this.#closed = true;
        const ex = this.exchange;
        this.exchange = undefined;
        ex?.fail(connectError(err, url));
      },
    );
  }

  #ready(): void {
    this.wasOpen = true;
    this.exchange?.connected(this);
  }

  handshake(socket: Socket<Conn>, ok: boolean, err: Error | null): void {
    this.socket = socket;
    if (this.#closed) {
      socket.terminate();
      return;
    }
    if (!ok) {
      const ex = this.exchange;
      this.exchange = undefined;
      this.destroy();
      const e = err as (Error & { code?: string }) | null;
      ex?.fail(
        networkError(
          e?.code ?? "ERR_TLS_HANDSHAKE",
          e?.message ?? "TLS handshake failed",
          this.#url,
          err,
        ),
      );
      return;
    }
    this.#ready();
  }

  send(text: string): void {
    const s = this.socket;
    if (!s || this.#closed) {
      this.onClose(undefined);
      return;
    }
    const n = s.write(text);
    const total = n < 0 ? -1 : Buffer.byteLength(text);
    if (n < 0) {
      this.onClose(undefined);
      return;
    }
    if (n < total) this.#pending = Buffer.from(text).subarray(n);
  }

  drain(): void {
    const p = this.#pending;
    if (!p || !this.socket) return;
    const n = this.socket.write(p);
    this.#pending = n >= p.length ? undefined : p.subarray(Math.max(0, n));
  }

  onData(buf: Uint8Array): void {
    const ex = this.exchange;
    if (ex) ex.data(buf);
    else this.destroy(); // bytes nobody asked for: not reusable
  }

  onClose(err: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = undefined;
    if (this.idle) this.client.dropIdle(this);
    const ex = this.exchange;
    this.exchange = undefined;
    ex?.closed(this, err);
  }

  destroy(): void {
    const already = this.#closed;
    this.#closed = true;
    this.#pending = undefined;
    if (this.idle) this.client.dropIdle(this);
    if (!already) this.socket?.terminate();
  }

  /** Graceful close (FIN, TLS close_notify) after a complete response. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.socket?.end();
  }

  get closed(): boolean {
    return this.#closed;
  }
}

const HANDLERS: SocketHandler<Conn> = {
  open() {},
  handshake(socket, ok, err) {
    socket.data.handshake(socket, ok, err);
  },
  data(socket, buf) {
    socket.data.onData(buf);
  },
  drain(socket) {
    socket.data.drain();
  },
  end(socket) {
    socket.data.onClose(undefined);
    socket.end();
  },
  close(socket, err) {
    socket.data.onClose(err);
  },
  error(socket, err) {
    socket.data.onClose(err);
  },
  timeout(socket) {
    const conn = socket.data;
    if (conn.idle) conn.destroy();
  },
  connectError(socket, err) {
    socket.data.onClose(err);
  },
};

/** Keep-alive HTTP/1.1 client: one pool per origin. */
export class Http1Client implements UpstreamHttp {
  readonly maxIdle: number;
  readonly highWaterMark: number;
  readonly idleSeconds: number;
  readonly tlsExtra: { ca?: string | string[] } | undefined;
  /** Exchanges in progress (for /metrics). */
  exchanges = 0;
  readonly #origins = new Map<string, Origin>();

  constructor(opts: Http1Options = {}) {
    this.maxIdle = opts.maxIdle ?? 256;
    this.highWaterMark = opts.highWaterMark ?? 256 * 1024;
    this.idleSeconds = opts.idleSeconds ?? 30;
    this.tlsExtra = opts.tls;
  }

  get inFlight(): number {
    return this.exchanges;
  }

  /** Idle sockets held, all origins (tests, metrics). */
  get idleSockets(): number {
    let n = 0;
    for (const o of this.#origins.values()) n += o.idle.length;
    return n;
  }

  send(req: SignedRequest, signal?: AbortSignal): Promise<UpstreamResponse> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    const url = req.url;
    const slash = url.indexOf("/", url.indexOf("//") + 2);
    const originKey = slash < 0 ? url : url.slice(0, slash);
    const path = slash < 0 ? "/" : url.slice(slash);
    let origin = this.#origins.get(originKey);
    if (!origin) {
      origin = parseOrigin(originKey);
      this.#origins.set(originKey, origin);
    }
    let head = `${req.method} ${path} HTTP/1.1\r\nhost: ${origin.host}\r\ncontent-length: ${Buffer.byteLength(req.body)}\r\n`;
    const h = req.headers;
    for (const k in h) head += `${k}: ${h[k]}\r\n`;
    const ex = new Exchange(this, origin, url, `${head}\r\n${req.body}`, signal);
    this.exchanges++;
    ex.start();
    return ex.headPromise;
  }

  /** An idle socket of `origin`, if one is open. */
  take(origin: Origin): Conn | undefined {
    for (;;) {
      const conn = origin.idle.pop();
      if (!conn) return undefined;
      conn.idle = false;
      if (conn.closed || !conn.socket) continue;
      conn.socket.timeout(0);
      conn.socket.ref();
      return conn;
    }
  }

  /** A socket whose response has ended: back to its pool, or closed. */
  release(conn: Conn, keepAlive: boolean): void {
    const idle = conn.origin.idle;
    if (!keepAlive || conn.closed || !conn.socket || idle.length >= this.maxIdle) {
      conn.close();
      return;
    }
    conn.idle = true;
    conn.socket.timeout(this.idleSeconds);
    conn.socket.unref(); // an idle pool never keeps the process alive
    idle.push(conn);
  }

  dropIdle(conn: Conn): void {
    conn.idle = false;
    const idle = conn.origin.idle;
    const i = idle.indexOf(conn);
    if (i >= 0) idle.splice(i, 1);
  }

  /** Closes every idle socket. */
  close(): void {
    for (const o of this.#origins.values()) {
      for (const conn of [...o.idle]) conn.destroy();
      o.idle.length = 0;
    }
  }
}

function parseOrigin(key: string): Origin {
  const u = new URL(key);
  const tls = u.protocol === "https:";
  if (!tls && u.protocol !== "http:") throw new TypeError(`unsupported protocol ${u.protocol}`);
  const hostname = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
  const port = u.port ? Number(u.port) : tls ? 443 : 80;
  return { key, hostname, port, tls, host: u.host, idle: [] };
}

/** A fetch `Response` as an {@link UpstreamResponse}. */
export function fromFetch(res: Response): UpstreamResponse {
  return {
    status: res.status,
    headers: res.headers,
    text: () => res.text(),
    reader: () => {
      if (!res.body) throw new Error("response has no body");
      return res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
    },
  };
}

/** Upstream calls over fetch (UPSTREAM_HTTP=fetch, or a proxy applies). */
export class FetchHttp implements UpstreamHttp {
  readonly inFlight = 0;
  send(req: SignedRequest, signal?: AbortSignal, proxy?: string): Promise<UpstreamResponse> {
    return fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      ...(signal ? { signal } : {}),
      ...(proxy ? { proxy } : {}),
    }).then(fromFetch);
  }
}

/**
 * The proxy fetch would use for `url` (HTTPS_PROXY / HTTP_PROXY and their
 * lower-case forms, minus NO_PROXY), or undefined.
 */
export function proxyFor(url: string, env: Record<string, string | undefined>): string | undefined {
  const u = new URL(url);
  const proxy =
    u.protocol === "https:"
      ? env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy
      : env.HTTP_PROXY || env.http_proxy;
  if (!proxy) return undefined;
  const noProxy = (env.NO_PROXY || env.no_proxy || "")
    .split(",")
    .map((s) => s.trim().toLowerCase());
  const host = u.hostname.toLowerCase();
  for (const entry of noProxy) {
    if (entry === "") continue;
    if (entry === "*") return undefined;
    const [name, port] = entry.split(":") as [string, string | undefined];
    if (port !== undefined && port !== (u.port || (u.protocol === "https:" ? "443" : "80")))
      continue;
    const bare = name.replace(/^\*?\./, "");
    if (host === bare || host.endsWith(`.${bare}`)) return undefined;
  }
  return proxy;
}

/**
 * The upstream sender for `mode`: our socket client, except that a proxy
 * configured for the endpoint sends through fetch (which honours it).
 */
export class UpstreamSender implements UpstreamHttp {
  readonly #fetch = new FetchHttp();
  /** Per origin: the proxy that applies, or "" for none. */
  readonly #proxies = new Map<string, string>();

  constructor(
    readonly mode: "socket" | "fetch",
    readonly sockets: Http1Client = new Http1Client(),
    private readonly env: Record<string, string | undefined> = process.env,
  ) {}

  get inFlight(): number {
    return this.sockets.inFlight;
  }

  send(req: SignedRequest, signal?: AbortSignal): Promise<UpstreamResponse> {
    const proxy = this.#proxy(req.url);
    if (proxy !== "") return this.#fetch.send(req, signal, proxy);
    if (this.mode === "fetch") return this.#fetch.send(req, signal);
    return this.sockets.send(req, signal);
  }

  #proxy(url: string): string {
    const slash = url.indexOf("/", url.indexOf("//") + 2);
    const origin = slash < 0 ? url : url.slice(0, slash);
    let p = this.#proxies.get(origin);
    if (p === undefined) {
      p = proxyFor(origin, this.env) ?? "";
      this.#proxies.set(origin, p);
    }
    return p;
  }
}
