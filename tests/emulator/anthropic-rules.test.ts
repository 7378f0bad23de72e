/**
 * Bedrock's native Claude rules, through the real SDK's InvokeModel against the emulator:
 * what the gateway's Anthropic surface must filter out before it calls Bedrock.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import {
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { type Emulator, startEmulator } from "../../src/emulator";
import { BEDROCK_ANTHROPIC_BETAS } from "../../src/emulator/anthropic-rules";
import { caught, collect, runtimeClient, SONNET_45_US } from "./helpers";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());
beforeEach(() => emu.reset());

type Json = Record<string, unknown>;

function body(extra: Json = {}, text = "hello"): Json {
  return {
    anthropic_version: "bedrock-2023-05-31",
    max_tokens: 2048,
    messages: [{ role: "user", content: text }],
    ...extra,
  };
}

async function invoke(b: Json): Promise<Json> {
  const res = await runtimeClient(emu).send(
    new InvokeModelCommand({ modelId: SONNET_45_US, body: JSON.stringify(b) }),
  );
  return JSON.parse(res.body.transformToString());
}

async function rejection(b: Json): Promise<{ name: string; message: string }> {
  const err = await caught(() => invoke(b));
  return { name: err.name, message: err.message };
}

describe("native Claude body rules", () => {
  test("model and stream keys are extra inputs", async () => {
    expect(await rejection(body({ model: "claude-sonnet-4-5" }))).toEqual({
      name: "ValidationException",
      message: "The model returned the following errors: model: Extra inputs are not permitted",
    });
    expect((await rejection(body({ stream: true }))).message).toContain(
      "stream: Extra inputs are not permitted",
    );
  });

  test("metadata takes user_id only", async () => {
    expect((await invoke(body({ metadata: { user_id: "u-1" } }))).type).toBe("message");
    expect((await rejection(body({ metadata: { user_id: "u", session: "s" } }))).message).toContain(
      "metadata.session: Extra inputs are not permitted",
    );
  });

  test("an unknown beta fails the whole request; every listed beta passes", async () => {
    expect(await rejection(body({ anthropic_beta: ["claude-code-20250219"] }))).toEqual({
      name: "ValidationException",
      message: "invalid beta flag",
    });
    const ok = await invoke(body({ anthropic_beta: [...BEDROCK_ANTHROPIC_BETAS] }));
    expect(ok.type).toBe("message");
  });

  test("context_management and defer_loading need their betas", async () => {
    const cm = {
      context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    };
    expect((await rejection(body(cm))).message).toContain(
      "context_management: Extra inputs are not permitted",
    );
    expect(
      (await invoke(body({ ...cm, anthropic_beta: ["context-management-2025-06-27"] }))).type,
    ).toBe("message");
    const tools = [{ name: "t", input_schema: { type: "object" }, defer_loading: true }];
    expect((await rejection(body({ tools }))).message).toContain(
      "tools.0.custom.defer_loading: Extra inputs are not permitted",
    );
    expect(
      (await invoke(body({ tools, anthropic_beta: ["tool-search-tool-2025-10-19"] }))).type,
    ).toBe("message");
  });

  test("thinking blocks sent back need their signature", async () => {
    const messages = [
      { role: "user", content: "hi" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "hmm" },
          { type: "text", text: "x" },
        ],
      },
      { role: "user", content: "again" },
    ];
    expect((await rejection(body({ messages }))).message).toContain(
      "messages.1.content.0.thinking.signature: Field required",
    );
  });

  test("max_tokens must be above the thinking budget", async () => {
    const thinking = { type: "enabled", budget_tokens: 2048 };
    expect((await rejection(body({ thinking }))).message).toContain(
      "`max_tokens` must be greater than `thinking.budget_tokens`",
    );
  });
});

describe("native Claude replies", () => {
  test("thinking on: a signed thinking block first; cache usage on the wire", async () => {
    const b = body({
      max_tokens: 4096,
      thinking: { type: "enabled", budget_tokens: 1024, display: "omitted" },
      system: [
        { type: "text", text: "You are terse.".repeat(20), cache_control: { type: "ephemeral" } },
      ],
    });
    const first = await invoke(b);
    const content = first.content as Json[];
    expect(content[0]?.type).toBe("thinking");
    expect(String(content[0]?.signature)).toMatch(/^Eq/);
    expect(content[1]?.type).toBe("text");
    const u1 = first.usage as Json;
    expect(u1.cache_creation_input_tokens).toBeGreaterThan(0);
    expect(u1.cache_read_input_tokens).toBe(0);
    const u2 = (await invoke(b)).usage as Json;
    expect(u2.cache_read_input_tokens).toBe(u1.cache_creation_input_tokens);
    expect(u2.cache_creation_input_tokens).toBe(0);
  });

  test("tool directives: arg.KEY sets the input, tool=none suppresses a mentioned tool", async () => {
    const tools = [
      {
        name: "Read",
        input_schema: {
          type: "object",
          properties: { file_path: { type: "string" } },
          required: ["file_path"],
        },
      },
    ];
    const called = await invoke(body({ tools }, "[emu tool=Read arg.file_path=/tmp/x.txt] go"));
    expect(called.stop_reason).toBe("tool_use");
    expect((called.content as Json[])[0]).toMatchObject({
      type: "tool_use",
      name: "Read",
      input: { file_path: "/tmp/x.txt" },
    });
    const plain = await invoke(body({ tools }, "[emu tool=none] Read me a poem"));
    expect(plain.stop_reason).toBe("end_turn");
  });

  test("stream: Anthropic events in chunk frames, usage with cache fields", async () => {
    const res = await runtimeClient(emu).send(
      new InvokeModelWithResponseStreamCommand({
        modelId: SONNET_45_US,
        body: JSON.stringify(
          body({ max_tokens: 4096, thinking: { type: "enabled", budget_tokens: 1024 } }),
        ),
      }),
    );
    const events = (await collect(res.body)).map((e) =>
      JSON.parse(new TextDecoder().decode(e.chunk?.bytes)),
    );
    expect(events[0].type).toBe("message_start");
    expect(events[0].message.usage).toMatchObject({ cache_read_input_tokens: 0 });
    const deltas = events.filter((e) => e.type === "content_block_delta").map((e) => e.delta.type);
    expect(deltas).toContain("thinking_delta");
    expect(deltas).toContain("signature_delta");
    expect(deltas).toContain("text_delta");
    expect(events.at(-1).type).toBe("message_stop");
  });
});
