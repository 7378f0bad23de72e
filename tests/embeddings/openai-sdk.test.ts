/**
 * /v1/embeddings end to end: the official openai SDK → gateway → real AWS SDK
 * → emulator. Vectors are compared with the emulator's own vector function,
 * bit for bit.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { countTokens, encode } from "gpt-tokenizer/encoding/cl100k_base";
import OpenAI from "openai";
import { emulatedEmbedding, emulatedWireEmbedding } from "../../src/emulator/invoke-embeddings";
import { countTextTokens } from "../../src/emulator/tokens";
import { type Stack, startStack } from "../support/stack";

const TITAN_V1 = "amazon.titan-embed-text-v1";
const TITAN_V2 = "amazon.titan-embed-text-v2:0";
const COHERE_EN = "cohere.embed-english-v3";
const COHERE_ML = "cohere.embed-multilingual-v3";
const COHERE_V4 = "us.cohere.embed-v4:0";
const NOVA = "amazon.nova-2-multimodal-embeddings-v1:0";

interface FamilyCase {
  model: string;
  dims: number;
  /** Emulator vector options the gateway's defaults lead to. */
  purpose?: string;
  normalize?: boolean;
  /** Bedrock reports tokens (Titan); otherwise the gateway counts with cl100k. */
  bedrockTokens: boolean;
}

const FAMILIES: FamilyCase[] = [
  { model: TITAN_V1, dims: 1536, normalize: false, bedrockTokens: true },
  { model: TITAN_V2, dims: 1024, bedrockTokens: true },
  { model: COHERE_EN, dims: 1024, purpose: "search_document", bedrockTokens: false },
  { model: COHERE_ML, dims: 1024, purpose: "search_document", bedrockTokens: false },
  { model: COHERE_V4, dims: 1536, purpose: "search_document", bedrockTokens: false },
  { model: NOVA, dims: 3072, purpose: "GENERIC_INDEX", bedrockTokens: false },
];

/** The openai SDK's params plus the gateway's extras (the SDK sends unknown keys as they are). */
type GatewayParams = OpenAI.EmbeddingCreateParams & { normalize?: boolean; input_type?: string };

const TEXTS = ["The quick brown fox", "jumps over the lazy dog", "naïve café — 東京 🚀"];

function expectedUsage(family: FamilyCase, texts: string[]): number {
  return family.bedrockTokens
    ? texts.reduce((n, t) => n + countTextTokens(t), 0)
    : texts.reduce((n, t) => n + countTokens(t), 0);
}

let stack: Stack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startStack({ DEFAULT_EMBEDDING_MODEL: TITAN_V2, EMBEDDING_CONCURRENCY: "4" });
  client = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "x", maxRetries: 0 });
});
afterAll(() => stack.stop());
beforeEach(() => stack.emu.reset());

function invokeCalls() {
  return stack.emu.requests.filter((r) => r.operation === "InvokeModel");
}

describe.each(FAMILIES)("$model", (family) => {
  const options = { purpose: family.purpose, normalize: family.normalize };

  test("the SDK's default (base64) call returns the exact float32 vectors", async () => {
    const res = await client.embeddings.create({ model: family.model, input: TEXTS });
    expect(res.object).toBe("list");
    expect(res.model).toBe(family.model);
    expect(res.data.map((d) => d.index)).toEqual([0, 1, 2]);
    TEXTS.forEach((text, i) => {
      expect(res.data[i]?.embedding).toEqual(emulatedEmbedding(text, family.dims, options));
    });
    expect(invokeCalls()[0]?.body).toBeDefined();
    // The wire really was base64 (the SDK asked for it and decoded it).
    const raw = await stack.post("/v1/embeddings", {
      model: family.model,
      input: "x",
      encoding_format: "base64",
    });
    const body = (await raw.json()) as { data: Array<{ embedding: unknown }> };
    expect(typeof body.data[0]?.embedding).toBe("string");
  });

  test("encoding_format float returns Bedrock's numbers unchanged", async () => {
    const res = await client.embeddings.create({
      model: family.model,
      input: TEXTS,
      encoding_format: "float",
    });
    TEXTS.forEach((text, i) => {
      expect(res.data[i]?.embedding).toEqual(emulatedWireEmbedding(text, family.dims, options));
    });
  });

  test("usage is Bedrock's count where reported, cl100k otherwise; never 0", async () => {
    const res = await client.embeddings.create({ model: family.model, input: TEXTS });
    const expected = expectedUsage(family, TEXTS);
    expect(expected).toBeGreaterThan(0);
    expect(res.usage).toEqual({ prompt_tokens: expected, total_tokens: expected });
  });

  test("token-array inputs are decoded with cl100k_base", async () => {
    const res = await client.embeddings.create({
      model: family.model,
      input: [encode(TEXTS[0] as string), encode(TEXTS[2] as string)],
    });
    expect(res.data[0]?.embedding).toEqual(
      emulatedEmbedding(TEXTS[0] as string, family.dims, options),
    );
    expect(res.data[1]?.embedding).toEqual(
      emulatedEmbedding(TEXTS[2] as string, family.dims, options),
    );
  });
});

describe("batching and order", () => {
  const texts = Array.from({ length: 200 }, (_, i) => `document number ${i}`);

  test("Cohere: 96 texts per call, 3 calls for 200, order and index kept", async () => {
    const res = await client.embeddings.create({ model: COHERE_EN, input: texts });
    const calls = invokeCalls();
    expect(calls.map((c) => (c.body as { texts: string[] }).texts.length)).toEqual([96, 96, 8]);
    expect(res.data.map((d) => d.index)).toEqual(texts.map((_, i) => i));
    texts.forEach((t, i) => {
      expect(res.data[i]?.embedding).toEqual(
        emulatedEmbedding(t, 1024, { purpose: "search_document" }),
      );
    });
  });

  test("Titan: one call per text under bounded concurrency, order kept", async () => {
    const raw = await stack.post("/v1/embeddings", {
      model: TITAN_V2,
      input: texts,
      encoding_format: "base64",
    });
    expect(raw.headers.get("x-gateway-bedrock-calls")).toBe("200");
    const res = await client.embeddings.create({ model: TITAN_V2, input: texts });
    expect(invokeCalls()).toHaveLength(400);
    res.data.forEach((d, i) => {
      expect(d.index).toBe(i);
      expect(d.embedding).toEqual(emulatedEmbedding(texts[i] as string, 1024));
    });
  });

  test("Nova: one call per text, order kept", async () => {
    const few = texts.slice(0, 20);
    const res = await client.embeddings.create({ model: NOVA, input: few, dimensions: 256 });
    expect(invokeCalls()).toHaveLength(20);
    res.data.forEach((d, i) => {
      expect(d.embedding).toEqual(
        emulatedEmbedding(few[i] as string, 256, { purpose: "GENERIC_INDEX" }),
      );
    });
  });
});

describe("parameters reach Bedrock", () => {
  test("Titan V2 dimensions and normalize", async () => {
    // Gateway extension, sent at the top level as Python's extra_body does.
    const params: GatewayParams = {
      model: TITAN_V2,
      input: "hello",
      dimensions: 256,
      normalize: false,
    };
    const res = await client.embeddings.create(params);
    expect(invokeCalls()[0]?.body).toEqual({
      inputText: "hello",
      dimensions: 256,
      normalize: false,
    });
    expect(res.data[0]?.embedding).toEqual(emulatedEmbedding("hello", 256, { normalize: false }));
  });

  test("Cohere v4 output_dimension and input_type (top level)", async () => {
    const params: GatewayParams = {
      model: COHERE_V4,
      input: "where is the fox?",
      dimensions: 512,
      input_type: "search_query",
    };
    const res = await client.embeddings.create(params);
    expect(invokeCalls()[0]?.body).toMatchObject({
      input_type: "search_query",
      output_dimension: 512,
      texts: ["where is the fox?"],
    });
    expect(res.data[0]?.embedding).toEqual(
      emulatedEmbedding("where is the fox?", 512, { purpose: "search_query" }),
    );
  });

  test("input_type inside a literal extra_body object; Nova maps it to embeddingPurpose", async () => {
    const res = await stack.post("/v1/embeddings", {
      model: NOVA,
      input: "q",
      dimensions: 1024,
      extra_body: { input_type: "clustering" },
    });
    expect(res.status).toBe(200);
    expect(invokeCalls()[0]?.body).toMatchObject({
      singleEmbeddingParams: { embeddingPurpose: "CLUSTERING", embeddingDimension: 1024 },
    });
  });

  test("text-embedding-* names run the default embedding model, and say so", async () => {
    const res = await client.embeddings.create({ model: "text-embedding-3-small", input: "hi" });
    expect(res.model).toBe(TITAN_V2);
    expect(invokeCalls()[0]?.modelId).toBe(TITAN_V2);
    expect(res.data[0]?.embedding).toEqual(emulatedEmbedding("hi", 1024));
  });

  test("Cohere v4 by its profile-only foundation id runs through the profile, and says so", async () => {
    const res = await client.embeddings.create({ model: "cohere.embed-v4:0", input: "hi" });
    expect(res.model).toBe(COHERE_V4);
    expect(invokeCalls()[0]?.modelId).toBe(COHERE_V4);
    expect(res.data[0]?.embedding).toEqual(
      emulatedEmbedding("hi", 1536, { purpose: "search_document" }),
    );
  });

  test("/api/v1/embeddings works too", async () => {
    const res = await stack.post("/api/v1/embeddings", { model: COHERE_EN, input: ["a", "b"] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: unknown[] };
    expect(body.data).toHaveLength(2);
  });
});

describe("errors are OpenAI-shaped, with the right status", () => {
  const cases: Array<{ name: string; body: unknown; status: number; param?: string | null }> = [
    {
      name: "a chat model",
      body: { model: "anthropic.claude-3-haiku-20240307-v1:0", input: "x" },
      status: 400,
      param: "model",
    },
    {
      name: "unsupported dimensions",
      body: { model: TITAN_V2, input: "x", dimensions: 3072 },
      status: 400,
      param: "dimensions",
    },
    {
      name: "dimensions on a fixed-size model",
      body: { model: COHERE_EN, input: "x", dimensions: 256 },
      status: 400,
      param: "dimensions",
    },
    {
      name: "normalize on Cohere",
      body: { model: COHERE_EN, input: "x", normalize: true },
      status: 400,
      param: "normalize",
    },
    {
      name: "empty input string",
      body: { model: TITAN_V2, input: "" },
      status: 400,
      param: "input",
    },
    { name: "empty input list", body: { model: TITAN_V2, input: [] }, status: 400, param: "input" },
    {
      name: "an empty string in the list",
      body: { model: COHERE_EN, input: ["a", ""] },
      status: 400,
      param: "input[1]",
    },
    {
      name: "too many inputs",
      body: { model: COHERE_EN, input: Array.from({ length: 2049 }, () => "a") },
      status: 400,
      param: "input",
    },
    {
      name: "Cohere v3 text over 2,048 chars",
      body: { model: COHERE_EN, input: ["ok", "x".repeat(2049)] },
      status: 400,
      param: "input[1]",
    },
    {
      name: "Titan text over 50,000 chars",
      body: { model: TITAN_V2, input: "x".repeat(50_001) },
      status: 400,
      param: "input",
    },
    {
      name: "an unknown token id",
      body: { model: TITAN_V2, input: [[1, 999_999_999]] },
      status: 400,
      param: "input[0]",
    },
    {
      name: "mixed input types",
      body: { model: TITAN_V2, input: ["a", 1] },
      status: 400,
      param: "input",
    },
    {
      name: "a bad encoding_format",
      body: { model: TITAN_V2, input: "x", encoding_format: "binary" },
      status: 400,
      param: "encoding_format",
    },
    {
      name: "a bad input_type",
      body: { model: COHERE_EN, input: "x", input_type: "image" },
      status: 400,
      param: "input_type",
    },
    { name: "no input", body: { model: TITAN_V2 }, status: 400, param: "input" },
    {
      name: "an unknown model",
      body: { model: "nope.not-a-model", input: "x" },
      status: 404,
      param: "model",
    },
  ];
  for (const c of cases) {
    test(`${c.name} → ${c.status}`, async () => {
      const res = await stack.post("/v1/embeddings", c.body);
      expect(res.status).toBe(c.status);
      const body = (await res.json()) as {
        error: { message: string; type: string; param: string | null };
      };
      expect(body.error.message.length).toBeGreaterThan(0);
      expect(body.error.type).toBe("invalid_request_error");
      if (c.param !== undefined) expect(body.error.param).toBe(c.param);
      expect(invokeCalls()).toHaveLength(0);
    });
  }

  test("not JSON → 415; GET → 405", async () => {
    const res = await fetch(`${stack.url}/v1/embeddings`, { method: "POST", body: "input=x" });
    expect(res.status).toBe(415);
    const get = await fetch(`${stack.url}/v1/embeddings`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
  });

  test("Bedrock throttling → 429 with retry-after, through the SDK as RateLimitError", async () => {
    const err = await client.embeddings
      .create({ model: TITAN_V2, input: ["fine", "[emu error=ThrottlingException] slow down"] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const res = await stack.post("/v1/embeddings", {
      model: COHERE_EN,
      input: ["[emu error=ThrottlingException]"],
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).not.toBeNull();
  });

  test("a Bedrock ValidationException passes through as 400", async () => {
    stack.emu.enqueue({
      match: { operation: "InvokeModel" },
      error: { type: "ValidationException", message: "Malformed input request: bad" },
    });
    const res = await stack.post("/v1/embeddings", { model: TITAN_V2, input: "x" });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toContain("Malformed input request");
  });

  test("an unreadable Bedrock body → 502, never an empty vector", async () => {
    stack.emu.enqueue({ match: { operation: "InvokeModel" }, invokeBody: { unexpected: true } });
    const res = await stack.post("/v1/embeddings", { model: NOVA, input: "x" });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe("upstream_bad_response");
  });

  test("a client that goes away stops the remaining Bedrock calls", async () => {
    // 40 texts, each held 100 ms by the emulator, 4 at a time: ~1 s if run to the end.
    const inputs = Array.from({ length: 40 }, (_, i) => `[emu first=100] t${i}`);
    const abort = new AbortController();
    const pending = fetch(`${stack.url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: TITAN_V2, input: inputs }),
      signal: abort.signal,
    }).catch(() => "aborted");
    await Bun.sleep(150);
    abort.abort();
    expect(await pending).toBe("aborted");
    await Bun.sleep(400);
    const made = invokeCalls().length;
    expect(made).toBeGreaterThan(0);
    expect(made).toBeLessThan(40);
  });

  test("one failing call fails the whole request (no partial data)", async () => {
    const inputs = Array.from({ length: 30 }, (_, i) =>
      i === 17 ? "[emu error=ModelErrorException]" : `t${i}`,
    );
    const res = await stack.post("/v1/embeddings", { model: TITAN_V2, input: inputs });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe("model_error");
  });
});
