/**
 * A small structured logger: one JSON object per line on stdout/stderr.
 * Never give it prompts, completions or keys.
 *
 * @module
 */
import { writeSync } from "node:fs";
import type { LogLevel } from "./config";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export type LogSink = (line: string, level: LogLevel) => void;

/**
 * Lines written together: info and debug lines (the access log, one per
 * request) are appended to a buffer that goes to stdout in one write per
 * {@link LINE_FLUSH_MS} or at {@link LINE_FLUSH_BYTES}, instead of one write
 * syscall per line (measured in bench/README.md, "Session 3: per-request
 * path"). Warnings and errors go to stderr at once, after the buffered lines
 * before them. Nothing is lost on the way out: the buffer is written
 * synchronously when the process exits (process.exit after a drain, a fatal
 * error, the end of the event loop); only a SIGKILL loses the last interval.
 */
export class LineWriter {
  #buffered = "";
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly out: (text: string) => void,
    private readonly err: (text: string) => void,
  ) {}

  write(line: string, level: LogLevel): void {
    if (level === "error" || level === "warn") {
      this.flush();
      this.err(`${line}\n`);
      return;
    }
    this.#buffered += `${line}\n`;
    if (this.#buffered.length >= LINE_FLUSH_BYTES) this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#onTimer, LINE_FLUSH_MS);
      // Never what keeps the process alive: exit writes what is left.
      this.#timer.unref?.();
    }
  }

  /** Writes what is buffered now. */
  flush(): void {
    const text = this.take();
    if (text !== "") this.out(text);
  }

  /** Empties the buffer and returns what was in it. */
  take(): string {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    const text = this.#buffered;
    this.#buffered = "";
    return text;
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.flush();
  };
}

/** The longest a buffered line waits. */
export const LINE_FLUSH_MS = 20;
/** Characters buffered before a write regardless of time (fits a pipe's buffer at exit). */
export const LINE_FLUSH_BYTES = 16 * 1024;

/** A write to a non-blocking pipe that waits out EAGAIN: for the exit path, where Bun would drop it. */
function writeAllSync(fd: number, text: string): void {
  let bytes = Buffer.from(text);
  const deadline = Date.now() + 2_000;
  while (bytes.length > 0) {
    try {
      bytes = bytes.subarray(writeSync(fd, bytes));
    } catch (err) {
      if ((err as { code?: string }).code !== "EAGAIN" || Date.now() > deadline) return;
    }
  }
}

const stdoutLines = new LineWriter(
  (text) => process.stdout.write(text),
  (text) => process.stderr.write(text),
);
process.on("exit", () => {
  const text = stdoutLines.take();
  if (text !== "") writeAllSync(1, text);
});

const defaultSink: LogSink = (line, level) => stdoutLines.write(line, level);

export function createLogger(level: LogLevel, sink: LogSink = defaultSink): Logger {
  const min = RANK[level];
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < min) return;
    sink(formatLine(lvl, msg, fields), lvl);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}

/**
 * `JSON.stringify({ time, level, msg, ...fields })`, without building the
 * merged object when the fields cannot change its key order (no `time`,
 * `level` or `msg` of their own, no integer-like keys, which an object lists
 * first): the fields' JSON is spliced after the three leading members.
 */
export function formatLine(
  level: LogLevel,
  msg: string,
  fields: Record<string, unknown> | undefined,
): string {
  const time = new Date().toISOString();
  if (fields === undefined) return JSON.stringify({ time, level, msg });
  for (const key in fields) {
    if (
      key === "time" ||
      key === "level" ||
      key === "msg" ||
      key === "toJSON" ||
      isIndexLike(key)
    ) {
      return JSON.stringify({ time, level, msg, ...fields });
    }
  }
  const rest = JSON.stringify(fields);
  // `time` and `level` need no escaping (an ISO date, a level name).
  const head = `{"time":"${time}","level":"${level}","msg":${JSON.stringify(msg)}`;
  return rest === "{}" ? `${head}}` : `${head},${rest.slice(1)}`;
}

/** Keys an object orders before the others (array indices). */
function isIndexLike(key: string): boolean {
  const c = key.charCodeAt(0);
  return c >= 48 && c <= 57 && String(Number(key) >>> 0) === key && key !== "4294967295";
}

/** A logger that drops everything, for tests. */
export const silentLogger: Logger = createLogger("error", () => {});
