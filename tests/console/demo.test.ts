/**
 * `bun run demo` as a newcomer runs it: it prints the console's URL and a key
 * that opens the playground and the admin views, and the console answers there.
 */
import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../support/process";

test("bun run demo prints the console URL and a key that opens everything", async () => {
  const proc = Bun.spawn([process.execPath, "run", "demo"], {
    cwd: `${import.meta.dir}/../..`,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      PORT: String(freePort()),
      EMULATOR_PORT: String(freePort()),
      DATA_DIR: mkdtempSync(join(tmpdir(), "gw-demo-")),
      LOG_LEVEL: "warn",
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
  });
  try {
    let out = "";
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) {
      out += decoder.decode(chunk);
      if (out.includes("Press Ctrl-C")) break;
    }
    const url = /console:\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
    const key = /key:\s+(\S+)\s+\(API key and admin key/.exec(out)?.[1];
    expect(url).toBeDefined();
    expect(key).toMatch(/^demo-[0-9a-f]{32}$/);

    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toStartWith("text/html");
    const session = await fetch(`${url}/console/session`, {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(session.status).toBe(200);
    expect(await session.json()).toMatchObject({ chat: true, admin: true });
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
}, 30_000);
