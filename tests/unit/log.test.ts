/**
 * The logger's line format (byte-identical to JSON.stringify of the merged
 * object it used to build) and its buffered stdout writer: lines in order,
 * warnings and errors at once after the lines before them, nothing lost when
 * the process exits.
 */
import { afterEach, describe, expect, setSystemTime, test } from "bun:test";
import { formatLine, LINE_FLUSH_BYTES, LineWriter } from "../../src/log";

describe("formatLine", () => {
  afterEach(() => setSystemTime());

  const FIELDS: (Record<string, unknown> | undefined)[] = [
    undefined,
    {},
    { a: undefined },
    {
      requestId: "req_1",
      method: "POST",
      status: 200,
      keyId: undefined,
      latencyMs: 12.3,
      stream: true,
      cause: 'TypeError: "quoted"\nline\u2028',
    },
    { nested: { x: [1, "two", null, undefined] }, fn: () => 1, big: 1e21, neg: -0 },
    // Keys that decide the merged object's order: the slow path keeps it.
    { msg: "overrides", extra: 1 },
    { level: "custom" },
    { time: "then" },
    { 0: "index first", b: 2 },
    { "01": "not an index", "4294967295": "not an index either" },
    { toJSON: () => "replaced" },
    { "ünïcode 🚀": "värde", "\u0000": "\u001f" },
  ];
  const MSGS = ["request", 'with "quotes" and \\ and \n', "", "🚀"];

  test("equals JSON.stringify({ time, level, msg, ...fields })", () => {
    setSystemTime(new Date("2026-12-01T21:00:00.123Z"));
    for (const fields of FIELDS) {
      for (const msg of MSGS) {
        for (const level of ["debug", "info", "warn", "error"] as const) {
          const want = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
          expect(formatLine(level, msg, fields)).toBe(want);
        }
      }
    }
  });
});

describe("LineWriter", () => {
  function writer() {
    const writes: [string, string][] = [];
    const w = new LineWriter(
      (text) => writes.push(["out", text]),
      (text) => writes.push(["err", text]),
    );
    return { w, writes };
  }

  test("info lines go out together, in order, after a short wait", async () => {
    const { w, writes } = writer();
    w.write("a", "info");
    w.write("b", "debug");
    expect(writes).toEqual([]);
    await Bun.sleep(60);
    expect(writes).toEqual([["out", "a\nb\n"]]);
    w.write("c", "info");
    await Bun.sleep(60);
    expect(writes).toEqual([
      ["out", "a\nb\n"],
      ["out", "c\n"],
    ]);
  });

  test("a warning or an error goes out at once, after the lines before it", () => {
    const { w, writes } = writer();
    w.write("a", "info");
    w.write("w", "warn");
    w.write("e", "error");
    expect(writes).toEqual([
      ["out", "a\n"],
      ["err", "w\n"],
      ["err", "e\n"],
    ]);
  });

  test("a full buffer goes out without waiting", () => {
    const { w, writes } = writer();
    const line = "x".repeat(1000);
    const n = Math.ceil(LINE_FLUSH_BYTES / (line.length + 1));
    for (let i = 0; i < n; i++) w.write(line, "info");
    expect(writes).toHaveLength(1);
    expect(writes[0]?.[1]).toBe(`${line}\n`.repeat(n));
  });

  test("take() empties the buffer and stops the timer", async () => {
    const { w, writes } = writer();
    w.write("a", "info");
    expect(w.take()).toBe("a\n");
    await Bun.sleep(60);
    expect(writes).toEqual([]);
  });
});

describe("the default sink on exit", () => {
  const script = (body: string) =>
    `import { createLogger } from ${JSON.stringify(`${import.meta.dir}/../../src/log.ts`)};
     const log = createLogger("info");
     for (let i = 0; i < 3000; i++) log.info("line", { i });
     ${body}`;

  for (const [name, body, code] of [
    ["process.exit()", "process.exit(0);", 0],
    ["a fatal error", 'setTimeout(() => { throw new Error("fatal"); }, 1);', 1],
    ["the end of the event loop", "", 0],
  ] as const) {
    test(`every buffered line reaches a piped stdout after ${name}`, async () => {
      const proc = Bun.spawn([process.execPath, "-e", script(body)], {
        stdout: "pipe",
        stderr: "pipe",
      });
      const [out, exit] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
      expect(exit).toBe(code);
      const lines = out.trim().split("\n");
      expect(lines).toHaveLength(3000);
      expect(lines.map((l) => JSON.parse(l).i)).toEqual([...Array(3000).keys()]);
    });
  }
});
