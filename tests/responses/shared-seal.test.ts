/**
 * Without RESPONSES_SECRET, the key that seals `reasoning.encrypted_content` is
 * generated once and kept in the state store: a reasoning item sealed by one
 * gateway process opens on another process sharing the DATA_DIR, and after a
 * restart — so a Codex session (store: false, encrypted_content) survives a
 * deploy or a load balancer switching replicas.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { loadConfig } from "../../src/config";
import { type Emulator, startEmulator } from "../../src/emulator";
import { silentLogger } from "../../src/log";
import { type Gateway, startGateway } from "../../src/server";
import { EMU_CREDENTIALS, tempDataDir } from "../support/stack";

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const THINKING = { text: "Let me think about it.", signature: "sig-shared" };
const TOOLS: OpenAI.Responses.Tool[] = [
  {
    type: "function",
    name: "lookup",
    parameters: { type: "object", properties: { q: { type: "string" } } },
    strict: false,
  },
];

let emu: Emulator;
const dataDir = tempDataDir();
const gateways: Gateway[] = [];

async function gateway(dir = dataDir): Promise<OpenAI> {
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    AWS_MAX_ATTEMPTS: "1",
    LOG_LEVEL: "error",
    API_KEY: "sk-test",
    DATA_DIR: dir,
  });
  const gw = await startGateway(config, {
    endpoint: emu.url,
    credentials: EMU_CREDENTIALS,
    logger: silentLogger,
  });
  gateways.push(gw);
  return new OpenAI({ apiKey: "sk-test", baseURL: `${gw.url}/v1`, maxRetries: 0 });
}

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  for (const gw of gateways) await gw.stop();
  await emu.stop();
});

async function sealedTurn(client: OpenAI): Promise<OpenAI.Responses.ResponseInputItem[]> {
  emu.enqueue({
    reply: {
      content: [
        { reasoningContent: { reasoningText: THINKING } },
        { toolUse: { toolUseId: "tooluse_s1", name: "lookup", input: { q: "x" } } },
      ],
    },
  });
  const r = await client.responses.create({
    model: MODEL,
    input: "think",
    tools: TOOLS,
    store: false,
    reasoning: { effort: "low" },
    include: ["reasoning.encrypted_content"],
  });
  return r.output as OpenAI.Responses.ResponseInputItem[];
}

function nextTurn(client: OpenAI, output: OpenAI.Responses.ResponseInputItem[]) {
  emu.enqueue({ reply: { content: [{ text: "answer" }] } });
  return client.responses.create({
    model: MODEL,
    tools: TOOLS,
    store: false,
    reasoning: { effort: "low" },
    input: [
      { role: "user", content: "think" },
      ...output,
      { type: "function_call_output", call_id: "tooluse_s1", output: "42" },
    ],
  });
}

function lastThinking(): unknown {
  const body = emu.requests[emu.requests.length - 1]?.body as {
    messages: Array<{ content: unknown[] }>;
  };
  return body.messages[1]?.content[0];
}

test("a reasoning item sealed by one process opens on another on the same store, and after a restart", async () => {
  const a = await gateway();
  const b = await gateway();
  const output = await sealedTurn(a);
  const answer = await nextTurn(b, output);
  expect(answer.output_text).toBe("answer");
  expect(lastThinking()).toEqual({ reasoningContent: { reasoningText: THINKING } });

  // A process started later on the same DATA_DIR (a restart) opens it too.
  const c = await gateway();
  expect((await nextTurn(c, output)).output_text).toBe("answer");
});

test("a gateway on another store cannot open it (the key is per deployment, not a constant)", async () => {
  const a = await gateway();
  const output = await sealedTurn(a);
  const other = await gateway(tempDataDir());
  const err = await nextTurn(other, output).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OpenAI.BadRequestError);
  expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toMatch(/encrypted_content$/);
});
