/**
 * Codex CLI itself (`codex exec`, custom provider with wire_api = "responses")
 * through the gateway: it answers a prompt, and completes a tool loop. Codex
 * sends seven function tools, a namespace tool and web_search; for OpenAI model
 * names (here gpt-5.5 aliased to a Claude profile) also the custom apply_patch
 * tool with a lark grammar and tool_search. Everything must be accepted.
 * Codex runs with a throwaway CODEX_HOME and only ever talks to loopback.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runCodex } from "../support/codex";
import { type Stack, startStack } from "../support/stack";

const CLAUDE = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ API_KEY: "sk-codex", MODEL_ALIASES: `gpt-5.5=${CLAUDE}` });
});
afterAll(() => stack.stop());

interface ConverseBody {
  toolConfig?: { tools: Array<{ toolSpec: { name: string } }> };
  messages: Array<{ role: string; content: Array<Record<string, unknown>> }>;
}

function converseBodies(): ConverseBody[] {
  return stack.emu.requests
    .filter((r) => r.operation === "ConverseStream")
    .map((r) => r.body as ConverseBody);
}

function toolNames(body: ConverseBody | undefined): string[] {
  return (body?.toolConfig?.tools ?? []).map((t) => t.toolSpec.name);
}

describe("Codex CLI", () => {
  test(
    "answers a prompt; its namespace tool is flattened and web_search dropped",
    async () => {
      stack.emu.reset();
      const run = await runCodex({
        gatewayUrl: stack.url,
        apiKey: "sk-codex",
        model: CLAUDE,
        prompt: "Say hello",
      });
      expect(run.exitCode).toBe(0);
      expect(run.lastMessage).toContain("Hello from the Bedrock emulator.");
      const bodies = converseBodies();
      expect(bodies).toHaveLength(1);
      const names = toolNames(bodies[0]);
      expect(names).toEqual(
        expect.arrayContaining([
          "exec_command",
          "write_stdin",
          "view_image",
          "multi_agent_v1__spawn_agent",
        ]),
      );
      expect(names.some((n) => n.includes("web_search"))).toBe(false);
    },
    { timeout: 90_000 },
  );

  test(
    "completes a tool loop with an OpenAI model name: custom apply_patch accepted, thinking restored from encrypted_content",
    async () => {
      stack.emu.reset();
      const run = await runCodex({
        gatewayUrl: stack.url,
        apiKey: "sk-codex",
        model: "gpt-5.5",
        prompt: "[emu tool=exec_command] List the files here",
      });
      expect(run.exitCode).toBe(0);
      // The emulator answers a tool result with its text: Codex ran the command and sent the output back.
      expect(run.lastMessage).toStartWith("The tool returned:");
      const bodies = converseBodies();
      expect(bodies).toHaveLength(2);
      expect(toolNames(bodies[0])).toEqual(expect.arrayContaining(["exec_command", "apply_patch"]));
      const [, second] = bodies;
      const assistant = second?.messages[1];
      expect(assistant?.role).toBe("assistant");
      // Codex sent the reasoning item back with store: false: its signature reached Bedrock again.
      expect(assistant?.content[0]).toMatchObject({
        reasoningContent: { reasoningText: { signature: expect.any(String) } },
      });
      expect(assistant?.content[1]).toMatchObject({ toolUse: { name: "exec_command" } });
      expect(second?.messages[2]?.content[0]).toMatchObject({ toolResult: {} });
    },
    { timeout: 90_000 },
  );

  test(
    "applies a patch through the custom apply_patch tool (raw grammar input both ways)",
    async () => {
      stack.emu.reset();
      const patch =
        "*** Begin Patch\n*** Add File: hello.txt\n+hello from bedrock\n*** End Patch\n";
      stack.emu.enqueue({
        match: { operation: "ConverseStream" },
        reply: {
          // Thinking is on (gpt-5.5 → effort medium): Bedrock wants it back before the call next turn.
          content: [
            {
              reasoningContent: { reasoningText: { text: "A new file.", signature: "sig-patch" } },
            },
            {
              toolUse: {
                toolUseId: "tooluse_patch1",
                name: "apply_patch",
                input: { input: patch },
              },
            },
          ],
        },
      });
      let written = "";
      const run = await runCodex({
        gatewayUrl: stack.url,
        apiKey: "sk-codex",
        model: "gpt-5.5",
        prompt: "Create hello.txt",
        sandbox: "workspace-write",
        inspect: async (dir) => {
          const file = Bun.file(`${dir}/hello.txt`);
          written = (await file.exists()) ? await file.text() : "";
        },
      });
      expect(run.exitCode).toBe(0);
      expect(written).toBe("hello from bedrock\n");
      const second = converseBodies()[1];
      // Codex answered the custom_tool_call with a custom_tool_call_output, paired with its call.
      expect(second?.messages[1]?.content).toContainEqual({
        toolUse: { toolUseId: "tooluse_patch1", name: "apply_patch", input: { input: patch } },
      });
      expect(second?.messages[2]?.content[0]).toMatchObject({
        toolResult: { toolUseId: "tooluse_patch1" },
      });
    },
    { timeout: 90_000 },
  );
});
