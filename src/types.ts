/**
 * The app's dependencies and its Hono environment, in a leaf module (as Hono
 * keeps `Env` in types.ts) so routes and middleware can name them without
 * importing the app that imports them.
 *
 * @module
 */
import type { Server } from "bun";
import type { NativeInvoker } from "./bedrock/native-invoke";
import type { BedrockOpenAiCompat } from "./bedrock/openai-compat";
import type { BedrockRuntime } from "./bedrock/runtime";
import type { Config } from "./config";
import type { Lifecycle } from "./lifecycle";
import type { Logger } from "./log";
import type { AuthVariables } from "./middleware/auth";
import type { ConcurrencyLimiter } from "./middleware/concurrency";
import type { RequestIdVariables } from "./middleware/request-id";
import type { ModelCatalog } from "./models/catalog";
import type { ModelResolver } from "./models/resolver";
import type { ObsVariables } from "./observability/access-log";
import type { GatewayMetrics } from "./observability/metrics";
import type { Access } from "./state/access";
import type { Store } from "./state/types";

export interface AppDeps {
  config: Config;
  runtime: BedrockRuntime;
  /** InvokeModel as raw signed calls: Claude on the Anthropic surface and Bedrock mode. */
  native?: NativeInvoker;
  models: ModelResolver;
  /** The cached Bedrock model inventory behind `models` and GET /models. */
  catalog: ModelCatalog;
  logger: Logger;
  /** False while draining; /health then answers 503. */
  isReady?: () => boolean;
  /** Prometheus registry for /metrics; a fresh one when absent. */
  metrics?: GatewayMetrics;
  /** Ready/draining state and in-flight count for graceful shutdown. */
  lifecycle?: Lifecycle;
  /** Cap on API requests in flight; from config.maxConcurrentRequests when absent. */
  limiter?: ConcurrencyLimiter;
  /** Bedrock's OpenAI-compatible endpoint, for models served only there (BEDROCK_OPENAI_MODELS). */
  openaiCompat?: BedrockOpenAiCompat;
  /** Persistent state (src/state/): keys, usage, and `store.responses` for the Responses API. */
  store: Store;
  /** Virtual keys, limits and usage; present when ADMIN_API_KEY is set. */
  access?: Access;
  /**
   * Seals the Responses API's `reasoning.encrypted_content`: RESPONSES_SECRET, else
   * one generated once and kept in the store (shared by every process on it, kept
   * across restarts). Absent (in-process tests): random per app.
   */
  responsesSecret?: string;
}

export interface AppEnv {
  Variables: RequestIdVariables & ObsVariables & AuthVariables;
  Bindings: { server?: Server<unknown> };
}
