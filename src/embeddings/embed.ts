/**
 * Embeds a list of texts with one Bedrock model: batches them the family's
 * way, runs the InvokeModel calls with bounded concurrency, and returns the
 * vectors in input order with the token usage.
 *
 * @module
 */
import type { BedrockRuntime } from "../bedrock/runtime";
import { chunk, mapBounded } from "./batcher";
import { type FamilyAdapter, type FamilySettings, malformedResponse } from "./family";
import { type EmbeddingInput, estimateTokens } from "./inputs";

export interface EmbedJob {
  runtime: BedrockRuntime;
  /** Sent as InvokeModel `modelId` (foundation id, profile id or ARN). */
  modelId: string;
  adapter: FamilyAdapter;
  settings: FamilySettings;
  concurrency: number;
  signal: AbortSignal;
}

export interface EmbedResult {
  /** `vectors[i]` embeds `inputs[i]`. */
  vectors: number[][];
  promptTokens: number;
  /** InvokeModel calls made. */
  calls: number;
}

const decoder = new TextDecoder();

export async function embedInputs(
  job: EmbedJob,
  inputs: readonly EmbeddingInput[],
): Promise<EmbedResult> {
  const { runtime, modelId, adapter, settings } = job;
  const batches = chunk(inputs, adapter.batchSize);
  const parsed = await mapBounded(
    batches,
    job.concurrency,
    async (batch, signal) => {
      const texts = batch.items.map((i) => i.text);
      const out = await runtime.invokeModel(
        {
          modelId,
          contentType: "application/json",
          accept: "application/json",
          body: JSON.stringify(adapter.buildBody(texts, settings)),
        },
        signal,
      );
      const result = adapter.parseBody(parseJson(out.body, adapter.label), texts.length);
      // Bedrock's count where the family reports one; our own count otherwise, never 0.
      const tokens = result.tokens ?? batch.items.reduce((n, i) => n + estimateTokens(i), 0);
      return { vectors: result.vectors, tokens };
    },
    job.signal,
  );
  return {
    vectors: parsed.flatMap((p) => p.vectors),
    promptTokens: parsed.reduce((n, p) => n + p.tokens, 0),
    calls: batches.length,
  };
}

function parseJson(body: Uint8Array | undefined, label: string): unknown {
  if (!body) throw malformedResponse(label, "empty body");
  try {
    return JSON.parse(decoder.decode(body));
  } catch {
    throw malformedResponse(label, "not JSON");
  }
}
