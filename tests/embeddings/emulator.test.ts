/**
 * The emulator's embedding handlers through the real AWS SDK: each family's
 * response body, and Bedrock-style ValidationExceptions for bodies the real
 * model would refuse (so gateway bugs surface here, not in production).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  type BedrockRuntimeClient,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { type Emulator, startEmulator } from "../../src/emulator";
import { emulatedEmbedding, emulatedWireEmbedding } from "../../src/emulator/invoke-embeddings";
import { caught, runtimeClient } from "../emulator/helpers";

let emu: Emulator;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  emu = await startEmulator();
  client = runtimeClient(emu);
});
afterAll(() => emu.stop());

async function invoke(modelId: string, body: unknown): Promise<Record<string, unknown>> {
  const out = await client.send(
    new InvokeModelCommand({
      modelId,
      body: JSON.stringify(body),
      contentType: "application/json",
      accept: "application/json",
    }),
  );
  return JSON.parse(new TextDecoder().decode(out.body)) as Record<string, unknown>;
}

describe("vector function", () => {
  test("deterministic, float32, unit length by default, purpose-dependent", () => {
    const a = emulatedEmbedding("x", 64);
    expect(emulatedEmbedding("x", 64)).toEqual(a);
    expect(a.every((v) => Math.fround(v) === v)).toBe(true);
    expect(Math.abs(Math.hypot(...a) - 1)).toBeLessThan(1e-5);
    expect(emulatedEmbedding("x", 64, { purpose: "search_query" })).not.toEqual(a);
    expect(emulatedEmbedding("y", 64)).not.toEqual(a);
  });
  test("wire numbers have at most 8 decimals; their float32 values are the model's vector", () => {
    const v = emulatedEmbedding("x", 256);
    const wire = emulatedWireEmbedding("x", 256);
    expect(wire.map(Math.fround)).toEqual(v);
    expect(wire.every((n) => Math.round(n * 1e8) / 1e8 === n)).toBe(true);
    // Not already float32: the gateway's rounding to float32 is really exercised.
    expect(wire.some((n) => Math.fround(n) !== n)).toBe(true);
  });
});

describe("response bodies", () => {
  test("Titan G1", async () => {
    const body = await invoke("amazon.titan-embed-text-v1", { inputText: "hello there" });
    expect(Object.keys(body).sort()).toEqual(["embedding", "inputTextTokenCount"]);
    expect(body.embedding).toEqual(
      emulatedWireEmbedding("hello there", 1536, { normalize: false }),
    );
    expect(body.inputTextTokenCount).toBe(3);
  });
  test("Titan V2", async () => {
    const body = await invoke("amazon.titan-embed-text-v2:0", { inputText: "hi", dimensions: 512 });
    expect(body.embedding).toEqual(emulatedWireEmbedding("hi", 512));
    expect(body.embeddingsByType).toEqual({ float: body.embedding });
    expect(body.inputTextTokenCount).toBe(1);
  });
  test("Cohere v3 without and with embedding_types", async () => {
    const plain = await invoke("cohere.embed-english-v3", {
      texts: ["a", "b"],
      input_type: "search_query",
    });
    expect(plain.response_type).toBe("embeddings_floats");
    expect(plain.texts).toEqual(["a", "b"]);
    expect(plain.embeddings).toEqual([
      emulatedWireEmbedding("a", 1024, { purpose: "search_query" }),
      emulatedWireEmbedding("b", 1024, { purpose: "search_query" }),
    ]);
    const typed = await invoke("cohere.embed-multilingual-v3", {
      texts: ["a"],
      input_type: "search_query",
      embedding_types: ["float"],
    });
    expect(typed.response_type).toBe("embeddings_by_type");
    expect(typed.embeddings).toEqual({
      float: [emulatedWireEmbedding("a", 1024, { purpose: "search_query" })],
    });
  });
  test("Cohere v4 through its us. inference profile", async () => {
    const body = await invoke("us.cohere.embed-v4:0", {
      texts: ["a"],
      input_type: "classification",
      embedding_types: ["float"],
      output_dimension: 256,
    });
    expect(body.embeddings).toEqual({
      float: [emulatedWireEmbedding("a", 256, { purpose: "classification" })],
    });
  });
  test("Nova", async () => {
    const body = await invoke("amazon.nova-2-multimodal-embeddings-v1:0", {
      schemaVersion: "nova-multimodal-embed-v1",
      taskType: "SINGLE_EMBEDDING",
      singleEmbeddingParams: {
        embeddingPurpose: "GENERIC_INDEX",
        embeddingDimension: 384,
        text: { truncationMode: "END", value: "hello" },
      },
    });
    expect(body).toEqual({
      embeddings: [
        {
          embeddingType: "TEXT",
          embedding: emulatedWireEmbedding("hello", 384, { purpose: "GENERIC_INDEX" }),
        },
      ],
    });
  });
});

describe("ValidationException for bodies Bedrock refuses", () => {
  const novaBody = (params: Record<string, unknown>) => ({
    taskType: "SINGLE_EMBEDDING",
    singleEmbeddingParams: {
      embeddingPurpose: "GENERIC_INDEX",
      embeddingDimension: 3072,
      text: { truncationMode: "END", value: "x" },
      ...params,
    },
  });
  const cases: Array<[string, string, unknown, string]> = [
    [
      "Titan G1 with dimensions",
      "amazon.titan-embed-text-v1",
      { inputText: "x", dimensions: 256 },
      "extraneous key [dimensions]",
    ],
    [
      "Titan V2 without inputText",
      "amazon.titan-embed-text-v2:0",
      { texts: ["x"] },
      "required key [inputText]",
    ],
    [
      "Titan V2 with 1536 dimensions",
      "amazon.titan-embed-text-v2:0",
      { inputText: "x", dimensions: 1536 },
      "#/dimensions",
    ],
    ["Titan V2 with an empty text", "amazon.titan-embed-text-v2:0", { inputText: "" }, "minLength"],
    [
      "Cohere v3 with 97 texts",
      "cohere.embed-english-v3",
      { texts: Array(97).fill("a"), input_type: "search_document" },
      "maxItems: 96",
    ],
    [
      "Cohere v3 with a 2,049-char text",
      "cohere.embed-english-v3",
      { texts: ["a".repeat(2049)], input_type: "search_document" },
      "maxLength: 2048",
    ],
    [
      "Cohere v3 without input_type",
      "cohere.embed-english-v3",
      { texts: ["a"] },
      "required key [input_type]",
    ],
    [
      "Cohere v3 with output_dimension",
      "cohere.embed-english-v3",
      { texts: ["a"], input_type: "clustering", output_dimension: 256 },
      "extraneous key [output_dimension]",
    ],
    [
      "Cohere v4 with 3072 dimensions",
      "us.cohere.embed-v4:0",
      { texts: ["a"], input_type: "clustering", output_dimension: 3072 },
      "#/output_dimension",
    ],
    [
      "Nova with a bad dimension",
      "amazon.nova-2-multimodal-embeddings-v1:0",
      novaBody({ embeddingDimension: 512 }),
      "embeddingDimension",
    ],
    [
      "Nova with a bad purpose",
      "amazon.nova-2-multimodal-embeddings-v1:0",
      novaBody({ embeddingPurpose: "SEARCH" }),
      "embeddingPurpose",
    ],
    [
      "Nova without truncationMode",
      "amazon.nova-2-multimodal-embeddings-v1:0",
      novaBody({ text: { value: "x" } }),
      "truncationMode",
    ],
  ];
  for (const [name, modelId, body, detail] of cases) {
    test(name, async () => {
      const err = await caught(() => invoke(modelId, body));
      expect(err.name).toBe("ValidationException");
      expect(err.message).toContain(detail);
    });
  }

  test("embedding models do not stream", async () => {
    const err = await caught(() =>
      client.send(
        new InvokeModelWithResponseStreamCommand({
          modelId: "amazon.titan-embed-text-v2:0",
          body: JSON.stringify({ inputText: "x" }),
        }),
      ),
    );
    expect(err.name).toBe("ValidationException");
  });
});
