/**
 * Runs the real Codex CLI (`@openai/codex`, a dev dependency) against a
 * gateway on loopback: a throwaway CODEX_HOME whose config names one custom
 * provider (base_url = <gateway>/v1, wire_api = "responses", env_key), with
 * update checks, analytics and plugins off, so Codex never leaves loopback.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const CODEX_BIN = resolve(import.meta.dir, "../../node_modules/.bin/codex");

export interface CodexRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The last agent message (`--output-last-message`). */
  lastMessage: string;
}

export async function runCodex(opts: {
  gatewayUrl: string;
  apiKey: string;
  model: string;
  prompt: string;
  timeoutMs?: number;
  /** Codex's --sandbox (default read-only). */
  sandbox?: "read-only" | "workspace-write";
  /** Called with the work directory before it is removed (to look at what Codex wrote). */
  inspect?: (workDir: string) => Promise<void>;
}): Promise<CodexRun> {
  const home = mkdtempSync(join(tmpdir(), "codex-home-"));
  const work = mkdtempSync(join(tmpdir(), "codex-work-"));
  const last = join(home, "last-message.txt");
  writeFileSync(
    join(home, "config.toml"),
    [
      `model = "${opts.model}"`,
      `model_provider = "gateway"`,
      "check_for_update_on_startup = false",
      "",
      "[model_providers.gateway]",
      `name = "bedrock-gateway"`,
      `base_url = "${opts.gatewayUrl}/v1"`,
      `wire_api = "responses"`,
      `env_key = "GATEWAY_API_KEY"`,
      "request_max_retries = 0",
      "stream_max_retries = 0",
      "",
      "[analytics]",
      "enabled = false",
      "",
      "[features]",
      "plugins = false",
      "remote_plugin = false",
      "apps = false",
      "",
    ].join("\n"),
  );
  try {
    const proc = Bun.spawn(
      [
        CODEX_BIN,
        "exec",
        "--skip-git-repo-check",
        "--sandbox",
        opts.sandbox ?? "read-only",
        "-C",
        work,
        "--output-last-message",
        last,
        opts.prompt,
      ],
      {
        cwd: work,
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          HOME: home,
          CODEX_HOME: home,
          GATEWAY_API_KEY: opts.apiKey,
          NO_COLOR: "1",
          // Belt and braces: anything that ignores the config still cannot reach the internet.
          HTTPS_PROXY: "http://127.0.0.1:9",
          HTTP_PROXY: "http://127.0.0.1:9",
          NO_PROXY: "127.0.0.1,localhost",
        },
        stdin: "ignore",
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    const timer = setTimeout(() => proc.kill(), opts.timeoutMs ?? 60_000);
    const [stdout, stderr, exitCode] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    clearTimeout(timer);
    const lastFile = Bun.file(last);
    const lastMessage = (await lastFile.exists()) ? await lastFile.text() : "";
    await opts.inspect?.(work);
    return { exitCode, stdout, stderr, lastMessage };
  } finally {
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
}
