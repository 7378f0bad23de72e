/**
 * Bad input never gets a 5xx, a hang or a crash: a deterministic sweep of
 * malformed bodies against every POST route, then a good request to prove the
 * gateway is still healthy.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { prng } from "../../src/emulator/invoke-embeddings";
import { type Stack, startStack } from "../support/stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

/** A deterministic PRNG, so failures reproduce. */
const rng = prng;

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const ATOMS: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  // biome-ignore lint/correctness/noPrecisionLoss: an overflowing literal on purpose (Infinity; JSON.stringify sends null)
  1e309,
  "",
  " ",
  "x",
  "user",
  "tool",
  "text",
  [],
  {},
  [null],
  { type: "text" },
];

function value(r: () => number, depth: number): unknown {
  const roll = r();
  if (depth > 3 || roll < 0.5) return ATOMS[Math.floor(r() * ATOMS.length)];
  if (roll < 0.75) return Array.from({ length: Math.floor(r() * 3) }, () => value(r, depth + 1));
  const keys = [
    "role",
    "content",
    "type",
    "text",
    "image_url",
    "url",
    "tool_calls",
    "function",
    "name",
    "arguments",
    "id",
    "file",
    "file_data",
    "cache_control",
    "thinking_blocks",
    "tool_call_id",
  ];
  const obj: Record<string, unknown> = {};
  for (let i = 0; i < 1 + Math.floor(r() * 3); i++)
    obj[keys[Math.floor(r() * keys.length)] ?? "x"] = value(r, depth + 1);
  return obj;
}

function chatBody(r: () => number): unknown {
  const fields = [
    "messages",
    "tools",
    "tool_choice",
    "response_format",
    "stop",
    "temperature",
    "max_tokens",
    "reasoning_effort",
    "stream",
    "stream_options",
    "metadata",
    "service_tier",
    "extra_body",
    "guardrailConfig",
    "additionalModelRequestFields",
    "top_k",
    "n",
    "parallel_tool_calls",
  ];
  const body: Record<string, unknown> = {
    model: MODEL,
    messages: [{ role: "user", content: "hi" }],
  };
  for (let i = 0; i < 1 + Math.floor(r() * 3); i++)
    body[fields[Math.floor(r() * fields.length)] ?? "x"] = value(r, 0);
  if (r() < 0.3)
    body.messages = [
      {
        role: ["user", "assistant", "tool", "system"][Math.floor(r() * 4)],
        ...(value(r, 1) as object),
      },
    ];
  return body;
}

function embeddingsBody(r: () => number): unknown {
  const fields = [
    "input",
    "model",
    "encoding_format",
    "dimensions",
    "input_type",
    "normalize",
    "extra_body",
  ];
  const body: Record<string, unknown> = { model: "amazon.titan-embed-text-v2:0", input: "hi" };
  for (let i = 0; i < 1 + Math.floor(r() * 2); i++)
    body[fields[Math.floor(r() * fields.length)] ?? "x"] = value(r, 0);
  return body;
}

test("400 malformed chat and embeddings bodies: no 5xx, every error OpenAI-shaped", async () => {
  const r = rng(20261127);
  const failures: string[] = [];
  const statuses: Record<number, number> = {};
  for (let i = 0; i < 400; i++) {
    const route = i % 2 === 0 ? "/v1/chat/completions" : "/v1/embeddings";
    const body = i % 2 === 0 ? chatBody(r) : embeddingsBody(r);
    const res = await stack.post(route, body);
    const text = await res.text();
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    if (res.status >= 500)
      failures.push(`${res.status} ${route} ${JSON.stringify(body)} → ${text.slice(0, 200)}`);
    if (res.status >= 400) {
      const parsed = JSON.parse(text) as { error?: { message?: unknown; type?: unknown } };
      if (typeof parsed.error?.message !== "string" || typeof parsed.error.type !== "string") {
        failures.push(`unshaped error ${res.status} ${text.slice(0, 200)}`);
      }
    }
  }
  expect(failures).toEqual([]);
  // The sweep reaches past validation too: some bodies are accepted and answered.
  expect(statuses[200] ?? 0).toBeGreaterThan(10);
  expect(statuses[400] ?? 0).toBeGreaterThan(100);
  const ok = await stack.post("/v1/chat/completions", {
    model: MODEL,
    messages: [{ role: "user", content: "still fine?" }],
  });
  expect(ok.status).toBe(200);
}, 60_000);

/** Plausible values per field: each body is well-formed, the combinations are not. */
const PLAUSIBLE: Record<string, unknown[]> = {
  model: [
    MODEL,
    "anthropic.claude-3-haiku-20240307-v1:0",
    "amazon.nova-micro-v1:0",
    "us.amazon.nova-2-lite-v1:0",
    "meta.llama3-1-8b-instruct-v1:0",
    "openai.gpt-oss-120b-1:0",
    "us.deepseek.r1-v1:0",
    "mistral.mistral-large-2407-v1:0",
    "amazon.titan-embed-text-v2:0",
    "nope",
  ],
  stream: [true, false],
  tools: [
    [{ type: "function", function: { name: "f" } }],
    [
      {
        type: "function",
        function: {
          name: "g",
          parameters: { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
        },
      },
    ],
  ],
  tool_choice: ["none", "auto", "required", { type: "function", function: { name: "f" } }],
  response_format: [
    { type: "json_object" },
    {
      type: "json_schema",
      json_schema: { name: "s", schema: { type: "object", properties: { x: { type: "number" } } } },
    },
    { type: "json_schema", json_schema: { name: "arr", schema: { type: "array" } } },
  ],
  reasoning_effort: ["none", "minimal", "low", "high", "xhigh"],
  max_tokens: [1, 500, 1024, 2000, 100000],
  temperature: [0, 0.7, 2],
  top_p: [0.1, 1],
  stop: ["x", ["a", "b"]],
  parallel_tool_calls: [false, true],
  stream_options: [{ include_usage: true }],
  metadata: [{ k: "v" }, { "bad key!": "v" }],
  service_tier: ["auto", "flex", "priority", "weird"],
  top_k: [5],
  messages: [
    [{ role: "user", content: "hi" }],
    [
      { role: "assistant", content: "hello" },
      {
        role: "user",
        content: [{ type: "text", text: "x", cache_control: { type: "ephemeral" } }],
      },
    ],
    [
      { role: "user", content: "w" },
      {
        role: "assistant",
        tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c1", content: '{"t":1}' },
    ],
    [{ role: "tool", tool_call_id: "orphan", content: "r" }],
    [{ role: "system", content: "s" }],
    [
      {
        role: "user",
        content: [{ type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } }],
      },
    ],
    [
      {
        role: "user",
        content: [
          { type: "file", file: { filename: "a.txt", file_data: "data:text/plain;base64,aGk=" } },
        ],
      },
    ],
    [
      { role: "user", content: "q" },
      {
        role: "assistant",
        content: "a",
        thinking_blocks: [{ type: "thinking", thinking: "t", signature: "s" }],
      },
      { role: "user", content: "q2" },
    ],
  ],
};

test("300 well-formed but unusual chat requests: no 5xx, every answer complete", async () => {
  const r = rng(7);
  const failures: string[] = [];
  const fields = Object.keys(PLAUSIBLE);
  for (let i = 0; i < 300; i++) {
    const body: Record<string, unknown> = {
      model: MODEL,
      messages: [{ role: "user", content: "hi" }],
    };
    for (let j = 0; j < 2 + Math.floor(r() * 5); j++) {
      const f = fields[Math.floor(r() * fields.length)] ?? "model";
      const options = PLAUSIBLE[f] ?? [];
      body[f] = options[Math.floor(r() * options.length)];
    }
    const res = await stack.post("/v1/chat/completions", body);
    const text = await res.text();
    if (res.status >= 500)
      failures.push(`${res.status} ${JSON.stringify(body)} → ${text.slice(0, 300)}`);
    else if (
      res.status === 200 &&
      body.stream === true &&
      !text.trimEnd().endsWith("data: [DONE]")
    ) {
      failures.push(`stream without [DONE]: ${JSON.stringify(body)} → ${text.slice(-300)}`);
    }
  }
  expect(failures).toEqual([]);
}, 60_000);
