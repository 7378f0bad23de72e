/**
 * Pure pieces of the embeddings path: each family's request body and response
 * parser (pinned to the shapes in Bedrock's docs), settings checks, the four
 * input forms, float32 base64, the bounded batcher and model-name mapping.
 */
import { describe, expect, test } from "bun:test";
import { encode } from "gpt-tokenizer/encoding/cl100k_base";
import { chunk, mapBounded } from "../../src/embeddings/batcher";
import { cohereV3, cohereV4 } from "../../src/embeddings/cohere";
import { fromBase64Float32, toBase64Float32 } from "../../src/embeddings/encoding";
import { adapterFor, checkTextLimits, settingsFor } from "../../src/embeddings/families";
import type { FamilyAdapter, FamilySettings } from "../../src/embeddings/family";
import { estimateTokens, toInputs } from "../../src/embeddings/inputs";
import { nova } from "../../src/embeddings/nova";
import { embeddingsRequestSchema } from "../../src/embeddings/schema";
import { titanV1, titanV2 } from "../../src/embeddings/titan";
import { GatewayError, InvalidRequestError } from "../../src/errors";
import { capabilitiesOf } from "../../src/models/capabilities";
import { StaticModelResolver } from "../../src/models/resolver";

const SETTINGS: FamilySettings = { dimensions: 0, inputType: "search_document", normalize: true };

describe("capability table → family adapter", () => {
  const cases: Array<[string, FamilyAdapter]> = [
    ["amazon.titan-embed-text-v1", titanV1],
    ["amazon.titan-embed-text-v2:0", titanV2],
    ["cohere.embed-english-v3", cohereV3],
    ["cohere.embed-multilingual-v3", cohereV3],
    ["cohere.embed-v4:0", cohereV4],
    ["us.cohere.embed-v4:0", cohereV4],
    ["global.cohere.embed-v4:0", cohereV4],
    ["amazon.nova-2-multimodal-embeddings-v1:0", nova],
  ];
  for (const [id, adapter] of cases) {
    test(id, () => {
      const family = capabilitiesOf(id).embedding;
      expect(family).toBe(adapter.family);
      expect(adapterFor(adapter.family)).toBe(adapter);
    });
  }
  test("chat models have no embedding family", () => {
    expect(capabilitiesOf("us.amazon.nova-2-lite-v1:0").embedding).toBeUndefined();
    expect(capabilitiesOf("anthropic.claude-3-haiku-20240307-v1:0").embedding).toBeUndefined();
  });
});

describe("request bodies (Bedrock's documented shapes)", () => {
  test("Titan G1: inputText only", () => {
    expect(titanV1.buildBody(["hi"], { ...SETTINGS, dimensions: 1536 })).toEqual({
      inputText: "hi",
    });
  });
  test("Titan V2: inputText, dimensions, normalize", () => {
    expect(titanV2.buildBody(["hi"], { ...SETTINGS, dimensions: 256, normalize: false })).toEqual({
      inputText: "hi",
      dimensions: 256,
      normalize: false,
    });
  });
  test("Titan takes exactly one text per call", () => {
    expect(() => titanV2.buildBody(["a", "b"], SETTINGS)).toThrow();
  });
  test("Cohere v3: texts, input_type, truncate END, float embeddings", () => {
    expect(
      cohereV3.buildBody(["a", "b"], { ...SETTINGS, dimensions: 1024, inputType: "search_query" }),
    ).toEqual({
      texts: ["a", "b"],
      input_type: "search_query",
      truncate: "END",
      embedding_types: ["float"],
    });
  });
  test("Cohere v4: adds output_dimension; truncate RIGHT (v4's vocabulary)", () => {
    expect(cohereV4.buildBody(["a"], { ...SETTINGS, dimensions: 512 })).toEqual({
      texts: ["a"],
      input_type: "search_document",
      truncate: "RIGHT",
      embedding_types: ["float"],
      output_dimension: 512,
    });
  });
  test("Nova: SINGLE_EMBEDDING with purpose, dimension and text", () => {
    expect(nova.buildBody(["a"], { ...SETTINGS, dimensions: 3072 })).toEqual({
      schemaVersion: "nova-multimodal-embed-v1",
      taskType: "SINGLE_EMBEDDING",
      singleEmbeddingParams: {
        embeddingPurpose: "GENERIC_INDEX",
        embeddingDimension: 3072,
        text: { truncationMode: "END", value: "a" },
      },
    });
  });
  test("Nova purpose follows input_type", () => {
    const purposes = (["search_query", "classification", "clustering"] as const).map(
      (inputType) =>
        (
          nova.buildBody(["a"], { ...SETTINGS, inputType }).singleEmbeddingParams as {
            embeddingPurpose: string;
          }
        ).embeddingPurpose,
    );
    expect(purposes).toEqual(["GENERIC_RETRIEVAL", "CLASSIFICATION", "CLUSTERING"]);
  });
});

describe("response parsers", () => {
  test("Titan G1 body: embedding + inputTextTokenCount", () => {
    expect(titanV1.parseBody({ embedding: [0.5, -1], inputTextTokenCount: 7 }, 1)).toEqual({
      vectors: [[0.5, -1]],
      tokens: 7,
    });
  });
  test("Titan V2 body: embeddingsByType alone is enough", () => {
    expect(
      titanV2.parseBody({ embeddingsByType: { float: [1, 2] }, inputTextTokenCount: 2 }, 1),
    ).toEqual({ vectors: [[1, 2]], tokens: 2 });
  });
  test("Titan without a token count leaves usage to the gateway", () => {
    expect(titanV2.parseBody({ embedding: [1] }, 1)).toEqual({ vectors: [[1]] });
  });
  test("Cohere embeddings_floats and embeddings_by_type", () => {
    const floats = {
      id: "x",
      texts: ["a", "b"],
      embeddings: [[1], [2]],
      response_type: "embeddings_floats",
    };
    const byType = { ...floats, embeddings: { float: [[1], [2]] } };
    expect(cohereV3.parseBody(floats, 2)).toEqual({ vectors: [[1], [2]] });
    expect(cohereV4.parseBody(byType, 2)).toEqual({ vectors: [[1], [2]] });
  });
  test("Nova: embeddings[0].embedding", () => {
    expect(
      nova.parseBody({ embeddings: [{ embeddingType: "TEXT", embedding: [0.25] }] }, 1),
    ).toEqual({ vectors: [[0.25]] });
  });

  const bad: Array<[string, FamilyAdapter, unknown, number]> = [
    ["Titan without embedding", titanV2, { inputTextTokenCount: 1 }, 1],
    ["Titan with strings", titanV2, { embedding: ["1"] }, 1],
    ["Cohere with too few vectors", cohereV3, { embeddings: [[1]] }, 2],
    ["Cohere with a non-numeric vector", cohereV4, { embeddings: { float: [[1], null] } }, 2],
    ["Nova with no embeddings", nova, { embeddings: [] }, 1],
    ["a non-object body", nova, [1, 2], 1],
  ];
  for (const [name, adapter, body, count] of bad) {
    test(`502, never a silent empty vector: ${name}`, () => {
      let error: unknown;
      try {
        adapter.parseBody(body, count);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(GatewayError);
      expect((error as GatewayError).status).toBe(502);
      expect((error as GatewayError).code).toBe("upstream_bad_response");
    });
  }
});

describe("settingsFor: dimensions and extras per family", () => {
  const req = (body: Record<string, unknown>) =>
    embeddingsRequestSchema.parse({ input: "x", ...body });

  const ok: Array<[FamilyAdapter, number | undefined, number]> = [
    [titanV1, undefined, 1536],
    [titanV1, 1536, 1536],
    [titanV2, undefined, 1024],
    [titanV2, 256, 256],
    [titanV2, 512, 512],
    [cohereV3, undefined, 1024],
    [cohereV4, undefined, 1536],
    [cohereV4, 256, 256],
    [nova, undefined, 3072],
    [nova, 384, 384],
  ];
  for (const [adapter, asked, sent] of ok) {
    test(`${adapter.family}: dimensions ${asked ?? "(none)"} → ${sent}`, () => {
      expect(settingsFor(adapter, req({ dimensions: asked }), "m").dimensions).toBe(sent);
    });
  }

  const rejected: Array<[FamilyAdapter, number]> = [
    [titanV1, 256],
    [titanV2, 1536],
    [cohereV3, 512],
    [cohereV4, 3072],
    [nova, 512],
  ];
  for (const [adapter, dims] of rejected) {
    test(`${adapter.family}: dimensions ${dims} → 400 naming dimensions`, () => {
      expect(() => settingsFor(adapter, req({ dimensions: dims }), "m")).toThrow(
        expect.objectContaining({ status: 400, param: "dimensions" }),
      );
    });
  }

  test("input_type: top level, then extra_body, then search_document", () => {
    expect(settingsFor(cohereV3, req({}), "m").inputType).toBe("search_document");
    expect(
      settingsFor(cohereV3, req({ extra_body: { input_type: "clustering" } }), "m").inputType,
    ).toBe("clustering");
    expect(
      settingsFor(
        cohereV3,
        req({ input_type: "search_query", extra_body: { input_type: "clustering" } }),
        "m",
      ).inputType,
    ).toBe("search_query");
  });
  test("normalize: Titan V2 only; default true", () => {
    expect(settingsFor(titanV2, req({}), "m").normalize).toBe(true);
    expect(settingsFor(titanV2, req({ normalize: false }), "m").normalize).toBe(false);
    expect(() => settingsFor(cohereV3, req({ normalize: true }), "m")).toThrow(
      expect.objectContaining({ status: 400, param: "normalize" }),
    );
  });
  test("an unknown input_type is a schema error", () => {
    expect(embeddingsRequestSchema.safeParse({ input: "x", input_type: "image" }).success).toBe(
      false,
    );
  });
});

describe("inputs: the four OpenAI forms", () => {
  test("string, string[], int[], int[][]", () => {
    const tokens = encode("hello world");
    expect(toInputs("a")).toEqual([{ text: "a" }]);
    expect(toInputs(["a", "b"])).toEqual([{ text: "a" }, { text: "b" }]);
    expect(toInputs(tokens)).toEqual([{ text: "hello world", tokens: tokens.length }]);
    expect(toInputs([tokens, encode("bye")])).toEqual([
      { text: "hello world", tokens: tokens.length },
      { text: "bye", tokens: 1 },
    ]);
  });

  const errors: Array<[string, Parameters<typeof toInputs>[0], string]> = [
    ["empty string", "", "input"],
    ["empty array", [], "input"],
    ["empty string in a list", ["a", ""], "input[1]"],
    ["empty token array in a list", [[1], []], "input[1]"],
    ["negative token", [1, -1], "input[1]"],
    ["fractional token", [[1, 2.5]], "input[0][1]"],
    ["unknown token id", [999_999_999], "input"],
    ["too many inputs", Array.from({ length: 2049 }, () => "a"), "input"],
  ];
  for (const [name, input, param] of errors) {
    test(`400 for ${name}, naming ${param}`, () => {
      let error: unknown;
      try {
        toInputs(input);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect((error as InvalidRequestError).param).toBe(param);
    });
  }

  test("estimated tokens: the client's count for token input, cl100k otherwise, never 0", () => {
    expect(estimateTokens({ text: "hello world" })).toBe(2);
    expect(estimateTokens({ text: "whatever", tokens: 9 })).toBe(9);
    expect(estimateTokens({ text: " " })).toBeGreaterThan(0);
  });

  test("text limits name the element", () => {
    const inputs = [{ text: "a" }, { text: "b".repeat(2049) }];
    expect(() => checkTextLimits(cohereV3, inputs, false)).toThrow(
      expect.objectContaining({ param: "input[1]", code: "input_too_long" }),
    );
    expect(() => checkTextLimits(cohereV4, inputs, false)).not.toThrow();
    expect(() => checkTextLimits(titanV2, [{ text: "c".repeat(50_001) }], true)).toThrow(
      expect.objectContaining({ param: "input" }),
    );
  });
});

describe("float32 base64", () => {
  test("little-endian bytes, as OpenAI sends them", () => {
    // 1.0f = 0x3F800000 → bytes 00 00 80 3F; -2.0f = 0xC0000000 → 00 00 00 C0
    expect(toBase64Float32([1, -2])).toBe(
      Buffer.from([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]).toString("base64"),
    );
  });
  test("JSON doubles round to the float32 the model produced", () => {
    const f = Math.fround(0.1);
    expect(fromBase64Float32(toBase64Float32([0.1]))).toEqual([f]);
    // the same as the openai SDK's decoding
    const bytes = Buffer.from(toBase64Float32([0.1, -3.5]), "base64");
    expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 2))).toEqual([f, -3.5]);
  });
});

describe("batcher", () => {
  test("chunks keep offsets", () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([
      { offset: 0, items: [1, 2] },
      { offset: 2, items: [3, 4] },
      { offset: 4, items: [5] },
    ]);
  });

  test("results in input order, at most `concurrency` in flight", async () => {
    let inFlight = 0;
    let peak = 0;
    const jobs = Array.from({ length: 40 }, (_, i) => i);
    const results = await mapBounded(
      jobs,
      5,
      async (i) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        // Later jobs finish first, so order can only come from the batcher.
        await Bun.sleep((40 - i) % 7);
        inFlight--;
        return i * 10;
      },
      new AbortController().signal,
    );
    expect(results).toEqual(jobs.map((i) => i * 10));
    expect(peak).toBe(5);
  });

  test("the first failure rejects, aborts siblings and starts nothing new", async () => {
    const started: number[] = [];
    let siblingAborted = false;
    const run = mapBounded(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async (i, signal) => {
        started.push(i);
        if (i === 1) throw new Error("boom");
        await new Promise<void>((resolve) => {
          signal.addEventListener("abort", () => {
            siblingAborted = true;
            resolve();
          });
          setTimeout(resolve, 200);
        });
        return i;
      },
      new AbortController().signal,
    );
    await expect(run).rejects.toThrow("boom");
    expect(siblingAborted).toBe(true);
    expect(started.length).toBeLessThanOrEqual(3);
  });

  test("an aborted parent stops the run", async () => {
    const parent = new AbortController();
    parent.abort(new Error("client went away"));
    await expect(mapBounded([1, 2], 2, async (i) => i, parent.signal)).rejects.toThrow(
      "client went away",
    );
  });
});

describe("model names", () => {
  const opts = { defaultModel: "chat-default", defaultEmbeddingModel: "embed-default" };
  const resolve = (name: string | undefined, aliases: Record<string, string> = {}) =>
    new StaticModelResolver({ ...opts, aliases }).resolve(name, "embedding").id;
  test("text-embedding-* means the default embedding model unless aliased", () => {
    expect(resolve("text-embedding-3-small")).toBe("embed-default");
    expect(resolve("text-embedding-ada-002", { "text-embedding-ada-002": "x" })).toBe("x");
    expect(resolve("cohere.embed-english-v3")).toBe("cohere.embed-english-v3");
    expect(resolve("  ")).toBe("embed-default");
    expect(resolve(undefined)).toBe("embed-default");
  });
  test("OPENAI_MODEL_NAMES=reject keeps the name as given", () => {
    const r = new StaticModelResolver({ ...opts, aliases: {}, openaiNames: "reject" });
    expect(r.resolve("text-embedding-3-small", "embedding").id).toBe("text-embedding-3-small");
  });
});
