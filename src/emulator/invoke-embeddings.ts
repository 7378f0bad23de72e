/**
 * @module
 * InvokeModel handlers for Bedrock's embedding families, with each family's real request
 * validation and response body:
 *
 * | Family | Request | Response |
 * |---|---|---|
 * | Titan G1 `amazon.titan-embed-text-v1` | `{inputText}` (no other key) | `{embedding, inputTextTokenCount}` (1536) |
 * | Titan V2 `amazon.titan-embed-text-v2:0` | `{inputText, dimensions?, normalize?, embeddingTypes?}` | `{embedding, embeddingsByType:{float}, inputTextTokenCount}` |
 * | Cohere v3 `cohere.embed-*-v3` | `{texts ≤96 × ≤2048 chars, input_type, truncate?, embedding_types?}` | `{id, texts, embeddings:[[…]], response_type:"embeddings_floats"}` or `embeddings:{float:[[…]]}` ("embeddings_by_type") |
 * | Cohere v4 `cohere.embed-v4:0` | v3 plus `output_dimension` 256/512/1024/1536 | as v3 |
 * | Nova `amazon.nova-*embed*` | `{taskType:"SINGLE_EMBEDDING", singleEmbeddingParams:{embeddingPurpose, embeddingDimension, text:{truncationMode, value}}}` | `{embeddings:[{embeddingType:"TEXT", embedding}]}` |
 *
 * Vectors are deterministic functions of the text (and of Cohere's `input_type` / Nova's
 * purpose), so tests compute the expected values: {@link emulatedWireEmbedding} is the JSON
 * numbers on the wire, {@link emulatedEmbedding} their float32 values (`Math.fround`), which is
 * what a base64 response must decode to.
 *
 * `[emu …]` directives in the (first) text apply, e.g. `[emu error=ThrottlingException]`.
 */

import { isRecord, type Json } from "../json";
import { validationError } from "./errors";
import { type InvokeHandler, type InvokeRequest, registerInvokeHandler } from "./invoke";
import { deterministicId } from "./reply";
import { countTextTokens } from "./tokens";

/** Bedrock's wording for a body that fails the model's JSON schema. */
function malformed(detail: string): Error {
  return validationError(
    `Malformed input request: ${detail}, please reformat your input and try again.`,
  );
}

// ---------------------------------------------------------------------------------------------
// Deterministic vectors

/** FNV-1a over UTF-16 code units. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface EmulatedEmbeddingOptions {
  /** Cohere `input_type` or Nova `embeddingPurpose`; changes the vector, as it does on Bedrock. */
  purpose?: string;
  /** Unit length (default true). Titan G1 and Titan V2 with `normalize:false` are not. */
  normalize?: boolean;
}

/** Decimal places of the JSON numbers: about float32's precision for values below 1. */
const WIRE_SCALE = 1e8;

/**
 * The vector exactly as the emulator writes it in JSON: `dimension` numbers with at most
 * 8 decimal places, in [-1, 1]. This is what `encoding_format: "float"` returns unchanged.
 */
export function emulatedWireEmbedding(
  text: string,
  dimension: number,
  options: EmulatedEmbeddingOptions = {},
): number[] {
  const next = prng(fnv1a(`${options.purpose ?? ""}\u0000${text}`));
  const out: number[] = new Array(dimension);
  let sumSquares = 0;
  for (let i = 0; i < dimension; i++) {
    const v = next() * 2 - 1;
    out[i] = v;
    sumSquares += v * v;
  }
  const scale = options.normalize === false ? 1 : 1 / (Math.sqrt(sumSquares) || 1);
  // Quantising here (not searching for a shortest float32 repr) keeps 1,000 × 3,072 cheap.
  for (let i = 0; i < dimension; i++) {
    out[i] = Math.round((out[i] as number) * scale * WIRE_SCALE) / WIRE_SCALE;
  }
  return out;
}

/**
 * The float32 values of {@link emulatedWireEmbedding} — what a float32 model produced and
 * what the gateway's base64 output must decode to, bit for bit.
 */
export function emulatedEmbedding(
  text: string,
  dimension: number,
  options: EmulatedEmbeddingOptions = {},
): number[] {
  return emulatedWireEmbedding(text, dimension, options).map(Math.fround);
}

// ---------------------------------------------------------------------------------------------
// Titan

const TITAN_MAX_CHARS = 50_000;
const TITAN_V2_KEYS = new Set(["inputText", "dimensions", "normalize", "embeddingTypes"]);

function titanText(body: unknown): string {
  if (!isRecord(body)) throw malformed("#: expected type: JSONObject");
  if (!("inputText" in body)) throw malformed("#: required key [inputText] not found");
  if (typeof body.inputText !== "string") throw malformed("#/inputText: expected type: String");
  return body.inputText;
}

function titanHandler(version: 1 | 2): InvokeHandler {
  return {
    promptText: (req) => titanText(req.body),
    respond: (req) => {
      const body = req.body as Json;
      const text = titanText(body);
      for (const key of Object.keys(body)) {
        if (version === 1 ? key !== "inputText" : !TITAN_V2_KEYS.has(key)) {
          throw malformed(`#: extraneous key [${key}] is not permitted`);
        }
      }
      if (text.length === 0) throw malformed("#/inputText: expected minLength: 1, actual: 0");
      if (text.length > TITAN_MAX_CHARS) {
        throw malformed(
          `#/inputText: expected maxLength: ${TITAN_MAX_CHARS}, actual: ${text.length}`,
        );
      }
      const dimensions = version === 1 ? 1536 : (body.dimensions ?? 1024);
      if (
        typeof dimensions !== "number" ||
        (version === 2 && ![256, 512, 1024].includes(dimensions))
      ) {
        throw malformed(`#/dimensions: ${String(dimensions)} is not a valid enum value`);
      }
      if (body.normalize !== undefined && typeof body.normalize !== "boolean") {
        throw malformed("#/normalize: expected type: Boolean");
      }
      const normalize = version === 2 && body.normalize !== false;
      const embedding = emulatedWireEmbedding(text, dimensions, { normalize });
      const tokens = Math.max(1, countTextTokens(text));
      return {
        body:
          version === 1
            ? { embedding, inputTextTokenCount: tokens }
            : { embedding, embeddingsByType: { float: embedding }, inputTextTokenCount: tokens },
        inputTokens: tokens,
        outputTokens: 0,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Cohere

const COHERE_INPUT_TYPES = new Set([
  "search_document",
  "search_query",
  "classification",
  "clustering",
]);
const COHERE_MAX_TEXTS = 96;
const COHERE_V3_MAX_CHARS = 2048;

function cohereTexts(body: unknown): string[] {
  if (!isRecord(body)) throw malformed("#: expected type: JSONObject");
  if (!Array.isArray(body.texts)) throw malformed("#: required key [texts] not found");
  if (!body.texts.every((t): t is string => typeof t === "string")) {
    throw malformed("#/texts: expected type: String");
  }
  return body.texts;
}

function cohereHandler(version: 3 | 4): InvokeHandler {
  return {
    promptText: (req) => cohereTexts(req.body)[0] ?? "",
    respond: (req: InvokeRequest) => {
      const body = req.body as Json;
      const texts = cohereTexts(body);
      if (texts.length > COHERE_MAX_TEXTS) {
        throw malformed(`#/texts: expected maxItems: ${COHERE_MAX_TEXTS}, actual: ${texts.length}`);
      }
      if (version === 3) {
        const long = texts.findIndex((t) => t.length > COHERE_V3_MAX_CHARS);
        if (long >= 0) {
          throw malformed(
            `#/texts/${long}: expected maxLength: ${COHERE_V3_MAX_CHARS}, actual: ${texts[long]?.length}`,
          );
        }
      }
      if (!("input_type" in body)) throw malformed("#: required key [input_type] not found");
      const inputType = String(body.input_type);
      if (!COHERE_INPUT_TYPES.has(inputType)) {
        throw malformed(`#/input_type: ${inputType} is not a valid enum value`);
      }
      let dimension = 1024;
      if (version === 4) {
        dimension = (body.output_dimension as number | undefined) ?? 1536;
        if (![256, 512, 1024, 1536].includes(dimension)) {
          throw malformed(`#/output_dimension: ${String(dimension)} is not a valid enum value`);
        }
      } else if ("output_dimension" in body) {
        throw malformed("#: extraneous key [output_dimension] is not permitted");
      }
      const types = body.embedding_types;
      if (types !== undefined && (!Array.isArray(types) || !types.includes("float"))) {
        throw malformed("#/embedding_types: the emulator only produces float embeddings");
      }
      const vectors = texts.map((t) => emulatedWireEmbedding(t, dimension, { purpose: inputType }));
      const tokens = Math.max(1, countTextTokens(texts.join("")));
      const byType = types !== undefined;
      return {
        body: {
          id: deterministicId(`cohere:${inputType}:${texts.join("\u0000")}`),
          texts,
          embeddings: byType ? { float: vectors } : vectors,
          response_type: byType ? "embeddings_by_type" : "embeddings_floats",
        },
        inputTokens: tokens,
        outputTokens: 0,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Nova

const NOVA_PURPOSES = new Set([
  "GENERIC_INDEX",
  "GENERIC_RETRIEVAL",
  "TEXT_RETRIEVAL",
  "IMAGE_RETRIEVAL",
  "VIDEO_RETRIEVAL",
  "DOCUMENT_RETRIEVAL",
  "AUDIO_RETRIEVAL",
  "CLASSIFICATION",
  "CLUSTERING",
]);
const NOVA_DIMENSIONS = new Set([256, 384, 1024, 3072]);
const NOVA_TRUNCATION = new Set(["START", "END", "NONE"]);

interface NovaText {
  purpose: string;
  dimension: number;
  value: string;
}

function novaText(body: unknown): NovaText {
  if (!isRecord(body)) throw malformed("#: expected type: JSONObject");
  if (body.taskType !== "SINGLE_EMBEDDING") {
    throw malformed(`#/taskType: ${String(body.taskType)} is not a valid enum value`);
  }
  const params = body.singleEmbeddingParams;
  if (!isRecord(params)) throw malformed("#: required key [singleEmbeddingParams] not found");
  const purpose = String(params.embeddingPurpose);
  if (!NOVA_PURPOSES.has(purpose)) {
    throw malformed(
      `#/singleEmbeddingParams/embeddingPurpose: ${purpose} is not a valid enum value`,
    );
  }
  const dimension = params.embeddingDimension ?? 3072;
  if (typeof dimension !== "number" || !NOVA_DIMENSIONS.has(dimension)) {
    throw malformed(
      `#/singleEmbeddingParams/embeddingDimension: ${String(dimension)} is not a valid enum value`,
    );
  }
  const text = params.text;
  if (!isRecord(text)) {
    throw malformed("#/singleEmbeddingParams: the emulator only embeds inline text");
  }
  if (typeof text.value !== "string" || text.value.length === 0) {
    throw malformed("#/singleEmbeddingParams/text/value: expected a non-empty string");
  }
  if (!NOVA_TRUNCATION.has(String(text.truncationMode))) {
    throw malformed("#/singleEmbeddingParams/text: required key [truncationMode] not found");
  }
  return { purpose, dimension, value: text.value };
}

const novaHandler: InvokeHandler = {
  promptText: (req) => novaText(req.body).value,
  respond: (req) => {
    const { purpose, dimension, value } = novaText(req.body);
    const tokens = Math.max(1, countTextTokens(value));
    return {
      body: {
        embeddings: [
          {
            embeddingType: "TEXT",
            embedding: emulatedWireEmbedding(value, dimension, { purpose }),
          },
        ],
      },
      inputTokens: tokens,
      outputTokens: 0,
    };
  },
};

// ---------------------------------------------------------------------------------------------

let registered = false;

/** Registers the embedding handlers once; the emulator server imports this module for it. */
export function registerEmbeddingHandlers(): void {
  if (registered) return;
  registered = true;
  registerInvokeHandler((id) => id.startsWith("amazon.titan-embed-text-v1"), titanHandler(1));
  registerInvokeHandler((id) => id.startsWith("amazon.titan-embed-text-v2"), titanHandler(2));
  registerInvokeHandler((id) => /^cohere\.embed-.*v3/.test(id), cohereHandler(3));
  registerInvokeHandler((id) => id.startsWith("cohere.embed-v4"), cohereHandler(4));
  registerInvokeHandler((id) => /^amazon\.nova-.*embed/.test(id), novaHandler);
}

registerEmbeddingHandlers();
