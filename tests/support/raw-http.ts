/**
 * A bare TCP client for tests that must not go through this process's own
 * `fetch`: Bun caps fetch at 256 requests in flight per process, HTTP/1.0 and
 * pipelined requests cannot be sent with it, and a slow or half-sent request
 * (slowloris) needs byte-level control.
 */
import type { Socket } from "bun";

export interface RawConn {
  /** Everything received so far, as text. */
  text(): string;
  write(data: string | Uint8Array): void;
  /** Resolves when `pred(text)` holds, or rejects when the connection closes first. */
  until(pred: (text: string) => boolean): Promise<string>;
  /** Resolves when the server closed the connection (or it errored). */
  readonly closed: Promise<void>;
  close(): void;
}

export async function rawConnect(port: number, host = "127.0.0.1"): Promise<RawConn> {
  let received = "";
  let isClosed = false;
  const decoder = new TextDecoder();
  let waiters: Array<() => void> = [];
  const notify = () => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });
  const socket: Socket = await Bun.connect({
    hostname: host,
    port,
    socket: {
      data(_s, chunk) {
        received += decoder.decode(chunk, { stream: true });
        notify();
      },
      close() {
        isClosed = true;
        resolveClosed();
        notify();
      },
      error() {
        isClosed = true;
        resolveClosed();
        notify();
      },
    },
  });
  return {
    text: () => received,
    write: (data) => {
      socket.write(data);
      socket.flush();
    },
    until: (pred) =>
      new Promise<string>((resolve, reject) => {
        const check = () => {
          if (pred(received)) resolve(received);
          else if (isClosed)
            reject(new Error(`connection closed; received:\n${received.slice(0, 500)}`));
          else waiters.push(check);
        };
        check();
      }),
    closed,
    close: () => socket.end(),
  };
}

/** An HTTP/1.1 POST of a JSON body, as one write. */
export function postJson(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): string {
  const json = JSON.stringify(body);
  const extra = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join("");
  return `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\n${extra}\r\n${json}`;
}
