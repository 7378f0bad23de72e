/**
 * @module
 * The emulator's Hono app: AWS routes (paths exactly as the SDK sends them), control routes
 * under /__emulator, and Bedrock-shaped errors for everything that fails.
 */
import { type Context, Hono } from "hono";
import { beginCall, type Call, recordRequest } from "./call";
import {
  handleGetFoundationModel,
  handleGetInferenceProfile,
  handleListFoundationModels,
  handleListInferenceProfiles,
} from "./control-plane";
import { controlRoutes } from "./control-routes";
import { BedrockError, errorResponse } from "./errors";
import { handleOpenAIChatCompletions, handleOpenAIResponses } from "./openai-compat";
import { handleConverse, handleCountTokens, handleInvoke, handleInvokeStream } from "./runtime";
import type { EmulatorState } from "./state";
import type { Operation } from "./types";

type AppEnv = { Variables: { requestId: string } };
type Handler = (call: Call, c: Context<AppEnv>) => Response | Promise<Response>;

/** Wraps an operation handler with recording, auth and scripts. */
function awsRoute(state: EmulatorState, operation: Operation, handler: Handler) {
  return async function awsOperation(c: Context<AppEnv>): Promise<Response> {
    const call = await beginCall(c, state, operation, c.get("requestId"));
    return handler(call, c);
  };
}

export function createApp(state: EmulatorState): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // Every response carries x-amzn-requestid, errors and control routes included.
  app.use(async function requestId(c, next) {
    c.set("requestId", crypto.randomUUID());
    await next();
    if (!c.res.headers.has("x-amzn-requestid"))
      c.res.headers.set("x-amzn-requestid", c.get("requestId"));
  });

  app.route("/__emulator", controlRoutes(state));

  app.post(
    "/model/:modelId/converse",
    awsRoute(state, "Converse", (call) => handleConverse(call, false)),
  );
  app.post(
    "/model/:modelId/converse-stream",
    awsRoute(state, "ConverseStream", (call) => handleConverse(call, true)),
  );
  app.post("/model/:modelId/invoke", awsRoute(state, "InvokeModel", handleInvoke));
  app.post(
    "/model/:modelId/invoke-with-response-stream",
    awsRoute(state, "InvokeModelWithResponseStream", handleInvokeStream),
  );
  app.post("/model/:modelId/count-tokens", awsRoute(state, "CountTokens", handleCountTokens));

  // Bedrock's OpenAI-compatible endpoint (OpenAI-shaped errors, see openai-compat.ts).
  app.post("/openai/v1/responses", (c) => handleOpenAIResponses(c, state));
  app.post("/openai/v1/chat/completions", (c) => handleOpenAIChatCompletions(c, state));

  app.get(
    "/foundation-models",
    awsRoute(state, "ListFoundationModels", handleListFoundationModels),
  );
  app.get(
    "/foundation-models/:modelIdentifier",
    awsRoute(state, "GetFoundationModel", (call, c) =>
      handleGetFoundationModel(call, c.req.param("modelIdentifier") ?? ""),
    ),
  );
  app.get(
    "/inference-profiles",
    awsRoute(state, "ListInferenceProfiles", handleListInferenceProfiles),
  );
  app.get(
    "/inference-profiles/:profileIdentifier",
    awsRoute(state, "GetInferenceProfile", (call, c) =>
      handleGetInferenceProfile(call, c.req.param("profileIdentifier") ?? ""),
    ),
  );

  app.notFound(async function unknownOperation(c) {
    await recordRequest(c, state, "Unknown");
    const err = new BedrockError("UnknownOperationException", "Unknown operation", { status: 404 });
    return errorResponse(err, c.get("requestId"));
  });

  app.onError(function bedrockError(err, c) {
    const bedrock =
      err instanceof BedrockError
        ? err
        : new BedrockError("InternalServerException", `Emulator failure: ${err.message}`);
    return errorResponse(bedrock, c.get("requestId"));
  });

  return app;
}
