/**
 * Claude Code itself (`claude -p`, the @anthropic-ai/claude-code dev dependency)
 * through the gateway and the Bedrock emulator, in both of its modes:
 * - Messages: ANTHROPIC_BASE_URL = gateway, `POST /v1/messages?beta=true`;
 * - Bedrock: CLAUDE_CODE_USE_BEDROCK=1 + ANTHROPIC_BEDROCK_BASE_URL = gateway +
 *   CLAUDE_CODE_SKIP_BEDROCK_AUTH=1, `POST /model/{id}/invoke-with-response-stream`.
 *
 * It runs with a throwaway HOME, its non-essential traffic off, and every proxy
 * variable pointed at a loopback trap that counts connections: anything Claude
 * Code tried to reach beyond loopback would land there, and the tests assert it
 * never does.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Stack, startStack } from "../support/stack";

const KEY = "sk-gw-claude-code";
const CLAUDE = join(import.meta.dir, "../../node_modules/.bin/claude");
const MODEL = "claude-sonnet-4-5";

let stack: Stack;
let home: string;
let trap: Server;
let trapUrl: string;
let escapes = 0;

beforeAll(async () => {
  stack = await startStack({ API_KEY: KEY });
  home = mkdtempSync(join(tmpdir(), "claude-code-home-"));
  writeFileSync(join(home, "note.txt"), "The secret number is 4242.\n");
  trap = createServer((socket) => {
    escapes += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => trap.listen(0, "127.0.0.1", resolve));
  const address = trap.address();
  if (address === null || typeof address === "string") throw new Error("trap did not listen");
  trapUrl = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  await stack.stop();
  trap.close();
  rmSync(home, { recursive: true, force: true });
});
beforeEach(() => stack.emu.reset());

type Mode = "messages" | "bedrock";

function envFor(mode: Mode): Record<string, string> {
  const common = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: home,
    TERM: "dumb",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_ERROR_REPORTING: "1",
    // Anything not on loopback goes to the trap.
    HTTP_PROXY: trapUrl,
    HTTPS_PROXY: trapUrl,
    http_proxy: trapUrl,
    https_proxy: trapUrl,
    NO_PROXY: "127.0.0.1,localhost",
    no_proxy: "127.0.0.1,localhost",
  };
  if (mode === "messages") {
    return { ...common, ANTHROPIC_BASE_URL: stack.url, ANTHROPIC_API_KEY: KEY };
  }
  return {
    ...common,
    CLAUDE_CODE_USE_BEDROCK: "1",
    ANTHROPIC_BEDROCK_BASE_URL: stack.url,
    CLAUDE_CODE_SKIP_BEDROCK_AUTH: "1",
    AWS_REGION: "us-east-1",
    // Skipped AWS auth sends no credentials: the gateway key goes as a header.
    ANTHROPIC_CUSTOM_HEADERS: `x-api-key: ${KEY}`,
  };
}

interface Run {
  code: number;
  result: string;
  turns: number;
}

async function claude(mode: Mode, prompt: string, model = MODEL): Promise<Run> {
  const proc = Bun.spawn([CLAUDE, "-p", prompt, "--model", model, "--output-format", "json"], {
    cwd: home,
    env: envFor(mode),
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  let parsed: { result?: unknown; num_turns?: unknown };
  try {
    parsed = JSON.parse(out) as typeof parsed;
  } catch {
    throw new Error(
      `claude printed no JSON (exit ${code}): ${out.slice(0, 500)} ${err.slice(0, 500)}`,
    );
  }
  return { code, result: String(parsed.result ?? ""), turns: Number(parsed.num_turns ?? 0) };
}

const modelCalls = () => stack.emu.requests.filter((r) => r.operation.startsWith("InvokeModel"));

describe.each(["messages", "bedrock"] as const)("claude -p, %s mode", (mode) => {
  test("a plain answer", async () => {
    const run = await claude(mode, "[emu tool=none] say hi");
    expect(run.code).toBe(0);
    expect(run.result).toStartWith("Hello from the Bedrock emulator.");
    const calls = modelCalls();
    expect(calls.length).toBeGreaterThan(0);
    expect(calls[0]?.operation).toBe("InvokeModelWithResponseStream");
    expect(calls[0]?.modelId).toBe("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    const body = calls[0]?.body as Record<string, unknown>;
    // What Bedrock would reject never reached it.
    expect(body.model).toBeUndefined();
    expect(body.stream).toBeUndefined();
    expect(body.anthropic_beta ?? []).not.toContain("claude-code-20250219");
    expect(escapes).toBe(0);
  }, 90_000);

  test("Read tool turn: the model reads a file and answers after the tool result", async () => {
    const file = join(home, "note.txt");
    const run = await claude(mode, `[emu tool=Read arg.file_path=${file}] read the note`);
    expect(run.code).toBe(0);
    expect(run.turns).toBe(2);
    expect(run.result).toContain("The tool returned:");
    expect(run.result).toContain("The secret number is 4242.");
    const calls = modelCalls();
    expect(calls).toHaveLength(2);
    // The second call carries the first answer's signed thinking block back, then the result.
    const second = calls[1]?.body as
      | { messages: Array<{ role: string; content: unknown }> }
      | undefined;
    const messages = second?.messages ?? [];
    const assistant = messages.at(-2);
    expect(assistant?.role).toBe("assistant");
    const blocks = assistant?.content as Array<Record<string, unknown>>;
    expect(blocks.some((b) => b.type === "tool_use" && b.name === "Read")).toBe(true);
    expect(escapes).toBe(0);
  }, 90_000);
});

describe("claude -p on a non-Claude model (the Converse core)", () => {
  test("Nova reads a file with Claude Code's Read tool and answers after the result", async () => {
    const file = join(home, "note.txt");
    const run = await claude(
      "messages",
      `[emu tool=Read arg.file_path=${file}] read the note`,
      "amazon.nova-pro-v1:0",
    );
    expect(run.code).toBe(0);
    expect(run.turns).toBe(2);
    expect(run.result).toContain("The secret number is 4242.");
    const calls = stack.emu.requests.filter((r) => r.operation === "ConverseStream");
    expect(calls).toHaveLength(2);
    expect(calls[0]?.modelId).toBe("amazon.nova-pro-v1:0");
    // Claude Code's metadata.user_id never becomes Converse requestMetadata.
    expect(
      (calls[0]?.body as { requestMetadata?: unknown } | undefined)?.requestMetadata,
    ).toBeUndefined();
    expect(escapes).toBe(0);
  }, 90_000);
});
