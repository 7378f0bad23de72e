/**
 * POST /embeddings: every Bedrock embedding family behind OpenAI's API (the
 * OpenAI embeddings surface; the family codecs live in src/embeddings).
 *
 * @module
 */
import { Hono } from "hono";
import { embedInputs } from "../../embeddings/embed";
import { toBase64Float32 } from "../../embeddings/encoding";
import { adapterFor, checkTextLimits, settingsFor } from "../../embeddings/families";
import { toInputs } from "../../embeddings/inputs";
import { embeddingsRequestSchema } from "../../embeddings/schema";
import type { EmbeddingsResponse } from "../../embeddings/types";
import { InvalidRequestError } from "../../errors";
import { headerSafe } from "../../headers";
import { methodNotAllowed } from "../../http/method-not-allowed";
import { requireJson } from "../../middleware/json-body";
import { mappedWarning } from "../../models/openai-names";
import type { AppDeps, AppEnv } from "../../types";
import { jsonBody } from "../../validation";

export function embeddingsRoute(deps: AppDeps): Hono<AppEnv> {
  const { config, runtime, models } = deps;
  const app = new Hono<AppEnv>();

  app.post("/embeddings", requireJson(), jsonBody(embeddingsRequestSchema), async (c) => {
    const req = c.req.valid("json");
    const model = models.resolve(req.model, "embedding");
    if (model.mappedFrom) {
      c.header(
        "x-gateway-warnings",
        headerSafe(mappedWarning(model.mappedFrom, model.name ?? model.id)),
      );
    }
    // Also the model-access check of a virtual key (403 before any Bedrock call).
    c.var.obs.useModel(model.id, model.name);
    const family = model.caps.embedding;
    if (!family) {
      throw new InvalidRequestError(
        `Model '${model.id}' is not an embedding model; use one of the Titan, Cohere Embed or Nova embedding models.`,
        "model",
        "model_not_embedding",
      );
    }
    const adapter = adapterFor(family);
    const settings = settingsFor(adapter, req, model.id);
    const inputs = toInputs(req.input);
    checkTextLimits(adapter, inputs, typeof req.input === "string");

    // Large batches can outlast Bun's idle timer; REQUEST_TIMEOUT_MS governs instead.
    c.env?.server?.timeout(c.req.raw, 0);
    const signal = AbortSignal.any([
      c.req.raw.signal,
      AbortSignal.timeout(config.requestTimeoutMs),
    ]);
    const result = await embedInputs(
      {
        runtime,
        modelId: model.id,
        adapter,
        settings,
        concurrency: config.embeddingConcurrency,
        signal,
      },
      inputs,
    );

    // For the access log and metrics; embeddings produce no output tokens.
    c.var.obs.tokensIn = result.promptTokens;
    const base64 = req.encoding_format === "base64";
    const body: EmbeddingsResponse = {
      object: "list",
      data: result.vectors.map((vector, index) => ({
        object: "embedding",
        index,
        embedding: base64 ? toBase64Float32(vector) : vector,
      })),
      model: model.id,
      usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
    };
    c.header("x-gateway-bedrock-calls", String(result.calls));
    return c.json(body);
  });
  app.all("/embeddings", methodNotAllowed(["POST"]));
  return app;
}
