/**
 * Configuration, parsed once from the environment at startup.
 *
 * Only the gateway's own settings live here. The AWS SDK keeps reading its
 * standard environment itself (credential chain, AWS_ENDPOINT_URL_BEDROCK_RUNTIME,
 * AWS_ENDPOINT_URL_BEDROCK, AWS_ENDPOINT_URL, AWS_BEARER_TOKEN_BEDROCK, AWS_PROFILE…);
 * we read AWS_REGION and AWS_MAX_ATTEMPTS only to pick defaults on purpose.
 *
 * @module
 */
import { z } from "zod";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A comma-separated list; blanks dropped. */
const csv = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

/** An integer with bounds, given as a string in the environment. */
const int = (def: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(def);

/** "true"/"false"/"1"/"0"/"yes"/"no" — anything else is an error, never a silent true. */
const bool = (def: boolean) =>
  z
    .enum(["true", "false", "1", "0", "yes", "no", ""])
    .optional()
    .transform((v) =>
      v === undefined || v === "" ? def : v === "true" || v === "1" || v === "yes",
    );

/** `name=target` pairs, comma-separated. */
const aliases = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const out: Record<string, string> = {};
    for (const pair of (v ?? "").split(",")) {
      if (pair.trim() === "") continue;
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const target = pair.slice(eq + 1).trim();
      if (eq < 1 || name === "" || target === "") {
        ctx.addIssue({
          code: "custom",
          message: `expected name=model-id pairs, got "${pair.trim()}"`,
        });
        continue;
      }
      out[name] = target;
    }
    return out;
  });

const schema = z.object({
  PORT: int(8080, 0, 65535),
  HOST: z.string().min(1).default("0.0.0.0"),
  API_KEY: csv,
  CORS_ORIGINS: csv,
  LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  AWS_REGION: z.string().min(1).optional(),
  AWS_DEFAULT_REGION: z.string().min(1).optional(),
  AWS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).optional(),
  BEDROCK_TRANSPORT: z.enum(["raw", "sdk"]).default("raw"),
  // The raw transport's HTTP client: our own keep-alive HTTP/1.1 sockets, or Bun's fetch.
  UPSTREAM_HTTP: z.enum(["socket", "fetch"]).default("socket"),
  DEFAULT_MODEL: z.string().min(1).default("us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
  DEFAULT_EMBEDDING_MODEL: z.string().min(1).default("amazon.titan-embed-text-v2:0"),
  MODEL_ALIASES: aliases,
  OPENAI_MODEL_NAMES: z.enum(["default", "reject"]).default("default"),
  MODEL_CATALOG_TTL_SECONDS: int(600, 1, 86_400),
  MODEL_REFRESH_MIN_INTERVAL_SECONDS: int(10, 0, 3_600),
  MODEL_ALLOW_LIST: csv,
  ENABLE_CROSS_REGION_INFERENCE: bool(true),
  ENABLE_APPLICATION_INFERENCE_PROFILES: bool(true),
  REQUEST_TIMEOUT_MS: int(600_000, 1_000, 3_600_000),
  STREAM_IDLE_TIMEOUT_MS: int(120_000, 1_000, 3_600_000),
  STREAM_KEEPALIVE_MS: int(15_000, 100, 600_000),
  MAX_BODY_BYTES: int(20 * 1024 * 1024, 1024, 512 * 1024 * 1024),
  // API requests in flight (streams until they end); beyond it, 429 at once.
  MAX_CONCURRENT_REQUESTS: int(512, 1, 100_000),
  // SIGTERM drain deadline; keep it below ECS's stopTimeout (default 30 s).
  SHUTDOWN_DRAIN_MS: int(25_000, 0, 3_600_000),
  HTTP_IDLE_TIMEOUT_SECONDS: int(60, 0, 255),
  ENABLE_PROMPT_CACHING: bool(false),
  // Default guardrail for chat (a request's own guardrailConfig replaces it).
  GUARDRAIL_ID: z.string().min(1).optional(),
  GUARDRAIL_VERSION: z.string().min(1).optional(),
  GUARDRAIL_TRACE: z.enum(["enabled", "disabled", "enabled_full"]).optional(),
  GUARDRAIL_STREAM_MODE: z.enum(["sync", "async"]).optional(),
  IMAGE_FETCH_TIMEOUT_MS: int(10_000, 100, 120_000),
  IMAGE_MAX_BYTES: int(5 * 1024 * 1024, 1024, 100 * 1024 * 1024),
  IMAGE_FETCH_ALLOW_PRIVATE: bool(false),
  IMAGE_FETCH_ALLOW_HOSTS: csv,
  EMBEDDING_CONCURRENCY: int(8, 1, 256),
  RESPONSES_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  RESPONSES_STORE_TTL_SECONDS: int(30 * 86_400, 0, 10 * 365 * 86_400),
  BEDROCK_OPENAI_MODELS: z.string().default("openai.gpt-5*"),
  // State (src/state/): SQLite under DATA_DIR unless DATABASE_URL names a PostgreSQL database.
  DATA_DIR: z.string().min(1).default("./data"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "expected postgres://user:password@host:port/database")
    .optional(),
  // The password apart from the URL (ECS injects it from Secrets Manager); URL-encoded for you.
  DATABASE_PASSWORD: z.string().min(1).optional(),
  DATABASE_POOL_SIZE: int(10, 1, 1000),
  REDIS_URL: z
    .string()
    .regex(/^(redis|rediss|valkey|valkeys):\/\//, "expected redis://host:port or rediss://…")
    .optional(),
  ADMIN_API_KEY: z.string().min(16, "use at least 16 characters").optional(),
  // Redis unreachable: "open" keeps serving with per-replica limits, "closed" answers 503.
  RATE_LIMIT_FAIL_MODE: z.enum(["open", "closed"]).default("open"),
  USAGE_FLUSH_MS: int(1_000, 50, 60_000),
  KEY_REFRESH_MS: int(1_000, 50, 60_000),
});

export interface Config {
  port: number;
  host: string;
  /** Accepted bearer keys; empty means authentication is off. */
  apiKeys: string[];
  /** Origins browsers may call from (`*` = any); empty: no CORS. */
  corsOrigins: string[];
  logLevel: LogLevel;
  region: string;
  /** Total attempts per Bedrock call, owned by the SDK's retry strategy. */
  maxAttempts: number;
  /**
   * How ConverseStream reaches Bedrock: "raw" (signed fetch + event-stream codec,
   * src/bedrock/raw-runtime.ts) or "sdk" (the SDK's command). Chosen by
   * benchmark; see bench/README.md.
   */
  bedrockTransport: "raw" | "sdk";
  /**
   * The raw transport's HTTP client: "socket" (src/bedrock/raw/http1.ts: keep-alive
   * HTTP/1.1 on Bun.connect; fetch still when a proxy variable applies) or "fetch".
   */
  upstreamHttp: "socket" | "fetch";
  defaultModel: string;
  defaultEmbeddingModel: string;
  modelAliases: Record<string, string>;
  /**
   * OpenAI model names (gpt-*, o-series, chatgpt-*, text-embedding-*) that are
   * neither aliases nor catalog ids: served by the default model, or refused (404).
   */
  openaiModelNames: "default" | "reject";
  /** How long the model catalog is fresh before a background refresh. */
  modelCatalogTtlSeconds: number;
  /** POST /models/refresh reaches Bedrock at most once per this many seconds. */
  modelRefreshMinIntervalSeconds: number;
  /** Model ids/ARNs (`*` wildcards) to serve and list; empty serves all. */
  modelAllowList: string[];
  /** Serve SYSTEM_DEFINED (us./eu./global.…) inference profiles. */
  enableCrossRegionInference: boolean;
  /** Serve APPLICATION inference profiles (by name and ARN). */
  enableApplicationInferenceProfiles: boolean;
  requestTimeoutMs: number;
  streamIdleTimeoutMs: number;
  streamKeepaliveMs: number;
  maxBodyBytes: number;
  /** API requests allowed in flight at once (a stream counts until it ends). */
  maxConcurrentRequests: number;
  /** How long SIGTERM waits for in-flight requests before interrupting them. */
  shutdownDrainMs: number;
  /**
   * Idle keep-alive connections close after this (Bun caps it at 255 s); 0 keeps
   * them open, for a load balancer whose own idle timeout is longer.
   */
  httpIdleTimeoutSeconds: number;
  enablePromptCaching: boolean;
  /** Default Converse guardrailConfig for chat; undefined when GUARDRAIL_ID is unset. */
  guardrail?: {
    guardrailIdentifier: string;
    guardrailVersion: string;
    trace?: "enabled" | "disabled" | "enabled_full";
    streamProcessingMode?: "sync" | "async";
  };
  /** http(s) image URL fetching (src/converse/media.ts). */
  imageFetchTimeoutMs: number;
  imageMaxBytes: number;
  /** Allows fetching images from private, loopback and link-local addresses. */
  imageFetchAllowPrivate: boolean;
  /** Hostnames exempt from the private-address guard. */
  imageFetchAllowHosts: string[];
  /** Bedrock InvokeModel calls one embeddings request runs at once. */
  embeddingConcurrency: number;
  /**
   * Secret that seals the Responses API's `reasoning.encrypted_content`. Every
   * replica of a fleet must share it; undefined = a random one per process.
   */
  responsesSecret?: string;
  /** How long stored responses are kept; 0 = until deleted. */
  responsesStoreTtlSeconds: number;
  /**
   * Model ids (`*` wildcards) served only by Bedrock's OpenAI-compatible
   * endpoint (`/openai/v1`); /v1/responses and /v1/chat/completions pass them through.
   */
  bedrockOpenAiModels: string[];
  /** Directory of the SQLite store (created if missing); unused with databaseUrl. */
  dataDir: string;
  /** PostgreSQL URL: keys, usage and stored responses live there instead of SQLite. */
  databaseUrl?: string;
  /** PostgreSQL connections per process. */
  databasePoolSize: number;
  /** Redis/Valkey URL: shared rate-limit counters and key-change propagation. */
  redisUrl?: string;
  /** Enables /admin (virtual keys, usage); undefined → every /admin path is 404. */
  adminApiKey?: string;
  /** What rate limiting does while Redis is unreachable. */
  rateLimitFailMode: "open" | "closed";
  /** How often buffered usage is written to the store. */
  usageFlushMs: number;
  /** How often the key cache and budget totals are re-read from the store. */
  keyRefreshMs: number;
}

/** Thrown when the environment is invalid; the message lists every problem. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Parses the environment. Throws a {@link ConfigError} listing every bad variable.
 *
 * @param env defaults to `process.env`
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".") || "(env)"}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
  }
  const e = parsed.data;
  if ((e.GUARDRAIL_ID === undefined) !== (e.GUARDRAIL_VERSION === undefined)) {
    throw new ConfigError(
      "Invalid configuration:\n  GUARDRAIL_ID and GUARDRAIL_VERSION must be set together",
    );
  }
  return {
    port: e.PORT,
    host: e.HOST,
    apiKeys: e.API_KEY,
    corsOrigins: e.CORS_ORIGINS,
    logLevel: e.LOG_LEVEL,
    region: e.AWS_REGION ?? e.AWS_DEFAULT_REGION ?? "us-east-1",
    // Two attempts: one quick retry of transient faults. The SDK's default of 3
    // hides 1-2 s of backoff behind a throttle that the client should see.
    maxAttempts: e.AWS_MAX_ATTEMPTS ?? 2,
    bedrockTransport: e.BEDROCK_TRANSPORT,
    upstreamHttp: e.UPSTREAM_HTTP,
    defaultModel: e.DEFAULT_MODEL,
    defaultEmbeddingModel: e.DEFAULT_EMBEDDING_MODEL,
    modelAliases: e.MODEL_ALIASES,
    openaiModelNames: e.OPENAI_MODEL_NAMES,
    modelCatalogTtlSeconds: e.MODEL_CATALOG_TTL_SECONDS,
    modelRefreshMinIntervalSeconds: e.MODEL_REFRESH_MIN_INTERVAL_SECONDS,
    modelAllowList: e.MODEL_ALLOW_LIST,
    enableCrossRegionInference: e.ENABLE_CROSS_REGION_INFERENCE,
    enableApplicationInferenceProfiles: e.ENABLE_APPLICATION_INFERENCE_PROFILES,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    streamIdleTimeoutMs: e.STREAM_IDLE_TIMEOUT_MS,
    streamKeepaliveMs: e.STREAM_KEEPALIVE_MS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    maxConcurrentRequests: e.MAX_CONCURRENT_REQUESTS,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    httpIdleTimeoutSeconds: e.HTTP_IDLE_TIMEOUT_SECONDS,
    enablePromptCaching: e.ENABLE_PROMPT_CACHING,
    ...(e.GUARDRAIL_ID && e.GUARDRAIL_VERSION
      ? {
          guardrail: {
            guardrailIdentifier: e.GUARDRAIL_ID,
            guardrailVersion: e.GUARDRAIL_VERSION,
            ...(e.GUARDRAIL_TRACE ? { trace: e.GUARDRAIL_TRACE } : {}),
            ...(e.GUARDRAIL_STREAM_MODE ? { streamProcessingMode: e.GUARDRAIL_STREAM_MODE } : {}),
          },
        }
      : {}),
    imageFetchTimeoutMs: e.IMAGE_FETCH_TIMEOUT_MS,
    imageMaxBytes: e.IMAGE_MAX_BYTES,
    imageFetchAllowPrivate: e.IMAGE_FETCH_ALLOW_PRIVATE,
    imageFetchAllowHosts: e.IMAGE_FETCH_ALLOW_HOSTS.map((h) => h.toLowerCase()),
    embeddingConcurrency: e.EMBEDDING_CONCURRENCY,
    ...(e.RESPONSES_SECRET ? { responsesSecret: e.RESPONSES_SECRET } : {}),
    responsesStoreTtlSeconds: e.RESPONSES_STORE_TTL_SECONDS,
    bedrockOpenAiModels: e.BEDROCK_OPENAI_MODELS.split(",")
      .map((s) => s.trim())
      .filter((s) => s !== ""),
    dataDir: e.DATA_DIR,
    ...(e.DATABASE_URL ? { databaseUrl: withPassword(e.DATABASE_URL, e.DATABASE_PASSWORD) } : {}),
    databasePoolSize: e.DATABASE_POOL_SIZE,
    ...(e.REDIS_URL ? { redisUrl: e.REDIS_URL } : {}),
    ...(e.ADMIN_API_KEY ? { adminApiKey: e.ADMIN_API_KEY } : {}),
    rateLimitFailMode: e.RATE_LIMIT_FAIL_MODE,
    usageFlushMs: e.USAGE_FLUSH_MS,
    keyRefreshMs: e.KEY_REFRESH_MS,
  };
}

/** DATABASE_URL with DATABASE_PASSWORD put in (it replaces a password the URL has). */
function withPassword(url: string, password: string | undefined): string {
  if (password === undefined) return url;
  try {
    const u = new URL(url);
    u.password = encodeURIComponent(password);
    return u.toString();
  } catch {
    throw new ConfigError("Invalid configuration:\n  DATABASE_URL: not a valid URL");
  }
}

/** The variables the gateway reads itself, for docs and deployment checks. */
export const CONFIG_VARIABLES = Object.keys(schema.shape);
