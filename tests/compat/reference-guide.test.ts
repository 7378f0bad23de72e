/**
 * The reference gateway's usage guide (aws-samples/bedrock-access-gateway,
 * docs/Usage.md at 9579458), every example as printed, against the emulator
 * under /api/v1 with the reference's documented defaults: teams migrating
 * from it already have this document. The Python snippets (openai SDK,
 * LangChain) run here as the requests those libraries put on the wire.
 *
 * Not here: the https image URL (it points at github.com; tests stay on
 * loopback, and image fetching has its own tests).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encode } from "gpt-tokenizer/encoding/cl100k_base";
import OpenAI from "openai";
import { type Stack, startStack } from "../support/stack";

const KEY = "bedrock";
const DEFAULT_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const DEFAULT_EMBEDDING_MODEL = "amazon.titan-embed-text-v2:0";
/** A 1×1 JPEG (the guide's base64 example says image/jpeg). */
const JPEG =
  "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAP//////////////////////////////////////////////////////////////////////////////////////wgALCAABAAEBAREA/8QAFBABAAAAAAAAAAAAAAAAAAAAAP/aAAgBAQABPxA=";

let stack: Stack;
let base: string;
let client: OpenAI;
beforeAll(async () => {
  stack = await startStack({ API_KEY: KEY });
  base = `${stack.url}/api/v1`;
  client = new OpenAI({ apiKey: KEY, baseURL: base, maxRetries: 0 });
});
afterAll(() => stack.stop());

/** `curl $OPENAI_BASE_URL/chat/completions -H … -d '<json>'` */
function curlChat(body: string): Promise<Response> {
  return fetch(`${base}/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${KEY}` },
    body,
  });
}

interface Completion {
  model: string;
  object: string;
  choices: Array<{
    finish_reason: string;
    message: {
      role: string;
      content: string | null;
      reasoning_content?: string;
      tool_calls?: Array<{ id: string; type: string; function: { name: string } }>;
    };
  }>;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
}

async function completion(res: Response): Promise<Completion> {
  expect(res.status).toBe(200);
  const body = (await res.json()) as Completion;
  expect(body.object).toBe("chat.completion");
  expect(body.choices[0]?.message.role).toBe("assistant");
  return body;
}

describe("Models API", () => {
  test("curl -s $OPENAI_BASE_URL/models | jq .data", async () => {
    const res = await fetch(`${base}/models`, { headers: { Authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: Array<Record<string, unknown>> };
    expect(data.length).toBeGreaterThan(0);
    for (const m of data.slice(0, 5)) {
      expect(Object.keys(m).sort()).toEqual(["created", "id", "object", "owned_by"]);
      expect(m.object).toBe("model");
    }
  });
});

describe("Chat Completions API: Claude Sonnet 4.5", () => {
  const prompt =
    "Write a Python function to calculate the Fibonacci sequence using dynamic programming.";
  test("curl", async () => {
    const body = await completion(
      await curlChat(`{
    "model": "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "messages": [
      {
        "role": "user",
        "content": "${prompt}"
      }
    ]
  }`),
    );
    expect(body.model).toBe("global.anthropic.claude-sonnet-4-5-20250929-v1:0");
    expect(body.choices[0]?.message.content).toBeTruthy();
  });
  test("openai SDK", async () => {
    const c = await client.chat.completions.create({
      model: "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
      messages: [{ role: "user", content: prompt }],
    });
    expect(c.choices[0]?.message.content).toBeTruthy();
  });
});

describe("Embedding API", () => {
  test("curl with text-embedding-ada-002 and encoding_format float", async () => {
    const res = await fetch(`${base}/embeddings`, {
      method: "POST",
      headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
      body: `{
    "input": "The food was delicious and the waiter...",
    "model": "text-embedding-ada-002",
    "encoding_format": "float"
  }`,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      object: string;
      model: string;
      data: Array<{ object: string; index: number; embedding: number[] }>;
    };
    expect(body.object).toBe("list");
    expect(body.model).toBe(DEFAULT_EMBEDDING_MODEL);
    expect(body.data[0]?.embedding.length).toBe(1024);
    expect(res.headers.get("x-gateway-warnings")).toContain(
      `'text-embedding-ada-002' is an OpenAI model name; served by the default model '${DEFAULT_EMBEDDING_MODEL}'`,
    );
  });

  test("openai SDK get_embedding(text, model='text-embedding-3-small')", async () => {
    const text = "hello".replace("\n", " ");
    const res = await client.embeddings.create({ input: [text], model: "text-embedding-3-small" });
    expect(res.data[0]?.embedding.length).toBe(1024);
    expect(res.model).toBe(DEFAULT_EMBEDDING_MODEL);
  });

  test("LangChain OpenAIEmbeddings(model='text-embedding-3-large'): embed_query and embed_documents", async () => {
    // What langchain_openai sends: cl100k token ids per text (check_embedding_ctx_length),
    // through the Python SDK, which asks for base64 and decodes it.
    const text = "This is a test document.";
    for (const input of [[encode(text)], [encode(text)]]) {
      const res = await fetch(`${base}/embeddings`, {
        method: "POST",
        headers: { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" },
        body: JSON.stringify({ input, model: "text-embedding-3-large", encoding_format: "base64" }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: Array<{ embedding: string }> };
      const bytes = Buffer.from(body.data[0]?.embedding ?? "", "base64");
      const vector = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      expect(vector.length).toBe(1024);
      expect(Array.from(vector.slice(0, 5)).every(Number.isFinite)).toBe(true);
    }
  });
});

describe("Multimodal API", () => {
  test("gpt-3.5-turbo with a base64 image runs on DEFAULT_MODEL", async () => {
    const res = await curlChat(`{
    "model": "gpt-3.5-turbo",
    "messages": [
        {
            "role": "user",
            "content": [
                {
                    "type": "text",
                    "text": "please identify and count all the objects in this images, list all the names"
                },
                {
                    "type": "image_url",
                    "image_url": {
                        "url": "data:image/jpeg;base64,${JPEG}"
                    }
                }
            ]
        }
    ]
}`);
    const warning = res.headers.get("x-gateway-warnings");
    const body = await completion(res);
    // As in the guide's example response: `model` names the Bedrock model that ran.
    expect(body.model).toBe(DEFAULT_MODEL);
    expect(warning).toContain(`model 'gpt-3.5-turbo' is an OpenAI model name`);
    const sent = stack.emu.requests.at(-1);
    expect(sent?.modelId).toBe(DEFAULT_MODEL);
    expect(JSON.stringify(sent?.body)).toContain('"format":"jpeg"');
  });
});

describe("Tool Call", () => {
  const toolRequest = (content: string) => `{
    "model": "gpt-3.5-turbo",
    "messages": [
        {
            "role": "user",
            "content": "${content}"
        }
    ],
    "tools": [
        {
            "type": "function",
            "function": {
                "name": "get_current_weather",
                "description": "Get the current weather in a given location",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "location": {
                            "type": "string",
                            "description": "The city or state which is required."
                        },
                        "unit": {
                            "type": "string",
                            "enum": [
                                "celsius",
                                "fahrenheit"
                            ]
                        }
                    },
                    "required": [
                        "location"
                    ]
                }
            }
        },
        {
            "type": "function",
            "function": {
                "name": "get_current_location",
                "description": "Use this tool to get the current location if user does not provide a location",
                "parameters": {
                    "type": "object",
                    "properties": {}
                }
            }
        }
    ],
    "tool_choice": "auto"
}`;
  for (const question of [
    "What is the weather like in Shanghai today?",
    "Hello, who are you?",
    "What is the weather like today?",
  ]) {
    test(question, async () => {
      const body = await completion(await curlChat(toolRequest(question)));
      expect(body.model).toBe(DEFAULT_MODEL);
      const sent = stack.emu.requests.at(-1)?.body as {
        toolConfig: { tools: Array<{ toolSpec: { name: string } }>; toolChoice: unknown };
      };
      expect(sent.toolConfig.tools.map((t) => t.toolSpec.name)).toEqual([
        "get_current_weather",
        "get_current_location",
      ]);
      // "auto" is Bedrock's default: sent as no toolChoice at all.
      expect(sent.toolConfig.toolChoice ?? { auto: {} }).toEqual({ auto: {} });
    });
  }
});

describe("Reasoning", () => {
  test("Claude 3.7 Sonnet curl: max_completion_tokens 4096, reasoning_effort low", async () => {
    // The guide prints this body with a missing `{` before "role" (invalid JSON that no
    // server can parse); this is the request it means.
    const body = await completion(
      await curlChat(`{
    "model": "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    "messages": [
        {
            "role": "user",
            "content": "which one is bigger, 3.9 or 3.11?"
        }
    ],
    "max_completion_tokens": 4096,
    "reasoning_effort": "low",
    "stream": false
}`),
    );
    expect(body.model).toBe("us.anthropic.claude-3-7-sonnet-20250219-v1:0");
    expect(body.choices[0]?.message.reasoning_content).toBeTruthy();
  });

  test("DeepSeek R1 curl", async () => {
    const body = await completion(
      await curlChat(`{
    "model": "us.deepseek.r1-v1:0",
    "messages": [
        {
            "role": "user",
            "content": "which one is bigger, 3.9 or 3.11?"
        }
    ],
    "stream": false
}`),
    );
    expect(body.choices[0]?.message.content).toBeTruthy();
  });

  test("openai SDK, non-streaming", async () => {
    const response = await client.chat.completions.create({
      model: "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
      messages: [{ role: "user", content: "which one is bigger, 3.9 or 3.11?" }],
      reasoning_effort: "low",
      max_completion_tokens: 4096,
    });
    const message = response.choices[0]?.message as { content: string; reasoning_content?: string };
    expect(message.reasoning_content).toBeTruthy();
    expect(message.content).toBeTruthy();
  });

  test("openai SDK, streaming", async () => {
    const response = await client.chat.completions.create({
      model: "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
      messages: [{ role: "user", content: "9.11 and 9.8, which is greater?" }],
      reasoning_effort: "low",
      max_completion_tokens: 4096,
      stream: true,
    });
    let reasoning = "";
    let content = "";
    for await (const chunk of response) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string };
      if (delta?.reasoning_content) reasoning += delta.reasoning_content;
      else if (delta?.content) content += delta.content;
    }
    expect(reasoning).not.toBe("");
    expect(content).not.toBe("");
  });
});

describe("Interleaved thinking (beta): budget_tokens above max_tokens", () => {
  const SONNET_45 = "global.anthropic.claude-sonnet-4-5-20250929-v1:0";
  const SONNET_4 = "us.anthropic.claude-sonnet-4-20250514-v1:0";
  const body = (model: string, stream: boolean) => `{
"model": "${model}",
"max_tokens": 2048,
"messages": [{
"role": "user",
"content": "Explain how to implement a binary search tree with self-balancing capabilities."
}],${stream ? '\n"stream": true,' : ""}
"extra_body": {
"anthropic_beta": ["interleaved-thinking-2025-05-14"],
"thinking": {"type": "enabled", "budget_tokens": 4096}
}
}`;
  const lastBedrockBody = () =>
    stack.emu.requests[stack.emu.requests.length - 1]?.body as {
      inferenceConfig?: { maxTokens?: number };
      additionalModelRequestFields?: Record<string, unknown>;
    };

  for (const model of [SONNET_45, SONNET_4]) {
    test(`non-streaming, ${model}`, async () => {
      const res = await curlChat(body(model, false));
      const out = await completion(res);
      expect(out.choices[0]?.message.reasoning_content).toBeTruthy();
      expect(out.choices[0]?.message.content).toBeTruthy();
      const sent = lastBedrockBody();
      expect(sent.inferenceConfig?.maxTokens).toBe(2048);
      expect(sent.additionalModelRequestFields).toEqual({
        anthropic_beta: ["interleaved-thinking-2025-05-14"],
        thinking: { type: "enabled", budget_tokens: 4096 },
      });
    });

    test(`streaming, ${model}`, async () => {
      const res = await curlChat(body(model, true));
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('"reasoning_content"');
      expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
    });
  }

  test("without the beta the same budget is a 400 naming max_tokens, before Bedrock", async () => {
    const before = stack.emu.requests.length;
    const res = await curlChat(
      body(SONNET_45, false).replace('"anthropic_beta": ["interleaved-thinking-2025-05-14"],', ""),
    );
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { param: string } };
    expect(err.error.param).toBe("max_tokens");
    expect(stack.emu.requests.length).toBe(before);
  });

  test("betas Bedrock does not know are dropped with a warning, not forwarded", async () => {
    const res = await curlChat(
      body(SONNET_45, false).replace(
        '"anthropic_beta": ["interleaved-thinking-2025-05-14"]',
        '"anthropic_beta": ["interleaved-thinking-2025-05-14", "claude-code-20250219"]',
      ),
    );
    await completion(res);
    expect(res.headers.get("x-gateway-warnings")).toContain("claude-code-20250219");
    expect(lastBedrockBody().additionalModelRequestFields?.anthropic_beta).toEqual([
      "interleaved-thinking-2025-05-14",
    ]);
  });

  test("on a model that is not Claude the betas are ignored with a warning", async () => {
    const res = await curlChat(`{
"model": "us.amazon.nova-pro-v1:0",
"messages": [{"role": "user", "content": "hi"}],
"extra_body": {"anthropic_beta": ["interleaved-thinking-2025-05-14"]}
}`);
    await completion(res);
    expect(res.headers.get("x-gateway-warnings")).toContain("extra_body.anthropic_beta ignored");
    expect(lastBedrockBody().additionalModelRequestFields?.anthropic_beta).toBeUndefined();
  });
});

describe("OPENAI_MODEL_NAMES=reject keeps the 404", () => {
  test("gpt-3.5-turbo and text-embedding-ada-002 are refused; MODEL_ALIASES still wins", async () => {
    const strict = await startStack({
      API_KEY: KEY,
      OPENAI_MODEL_NAMES: "reject",
      MODEL_ALIASES: "gpt-4o=us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    });
    try {
      const post = (path: string, body: unknown) =>
        strict.post(`/api/v1${path}`, body, { authorization: `Bearer ${KEY}` });
      const chat = await post("/chat/completions", {
        model: "gpt-3.5-turbo",
        messages: [{ role: "user", content: "Hello, who are you?" }],
      });
      expect(chat.status).toBe(404);
      expect(((await chat.json()) as { error: { code: string } }).error.code).toBe(
        "model_not_found",
      );
      const emb = await post("/embeddings", { model: "text-embedding-ada-002", input: "x" });
      expect(emb.status).toBe(404);
      const aliased = await post("/chat/completions", {
        model: "gpt-4o",
        messages: [{ role: "user", content: "Hello, who are you?" }],
      });
      expect(aliased.status).toBe(200);
      expect(strict.emu.requests.at(-1)?.modelId).toBe(
        "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
      );
    } finally {
      await strict.stop();
    }
  });

  test("in default mode an alias still wins over the mapping, o-series and chatgpt-* map too", async () => {
    const s = await startStack({
      API_KEY: KEY,
      MODEL_ALIASES: "gpt-4o-mini=us.anthropic.claude-3-7-sonnet-20250219-v1:0",
    });
    try {
      const run = async (model: string) => {
        const res = await s.post(
          "/v1/chat/completions",
          { model, messages: [{ role: "user", content: "hi" }] },
          { authorization: `Bearer ${KEY}` },
        );
        expect(res.status).toBe(200);
        return {
          body: (await res.json()) as Completion,
          warn: res.headers.get("x-gateway-warnings"),
        };
      };
      const aliased = await run("gpt-4o-mini");
      expect(aliased.body.model).toBe("us.anthropic.claude-3-7-sonnet-20250219-v1:0");
      expect(aliased.warn ?? "").not.toContain("OpenAI model name");
      for (const name of ["gpt-4o", "o3-mini", "o1", "chatgpt-4o-latest", "gpt-5-codex"]) {
        const mapped = await run(name);
        expect(mapped.body.model).toBe(DEFAULT_MODEL);
        expect(mapped.warn).toContain(`model '${name}' is an OpenAI model name`);
      }
      const unknown = await s.post(
        "/v1/chat/completions",
        { model: "not-a-model", messages: [{ role: "user", content: "hi" }] },
        { authorization: `Bearer ${KEY}` },
      );
      expect(unknown.status).toBe(404);
    } finally {
      await s.stop();
    }
  });
});
