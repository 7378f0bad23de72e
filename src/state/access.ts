/**
 * Virtual keys at request time: authenticate (from the in-memory key cache),
 * admit (budget, then rpm/tpm buckets), and account when the request is over
 * (usage buffer, tpm charge, budget). Owns the key cache, the usage buffer,
 * the limiter and the Redis link, and their timers.
 *
 * @module
 */
import type { Config } from "../config";
import { GatewayError } from "../errors";
import type { Logger } from "../log";
import { bedrockExceptionOf } from "../observability/access-log";
import type { GatewayMetrics } from "../observability/metrics";
import type { RequestObs } from "../observability/request-obs";
import { BudgetTracker } from "./budget";
import { type CachedKey, type hashSecret, KeyCache } from "./keys";
import {
  type Admission,
  type Limiter,
  type LimitSpec,
  LocalLimiter,
  RedisLimiter,
  rateLimitHeaders,
} from "./limits";
import type { Principal } from "./principal";
import { RedisLink } from "./redis";
import type { KeyRecord, Store, UsageRecord } from "./types";
import { nowSeconds } from "./types";
import { UsageBuffer } from "./usage";

export interface AccessOptions {
  config: Pick<
    Config,
    "redisUrl" | "rateLimitFailMode" | "usageFlushMs" | "keyRefreshMs" | "modelAliases"
  >;
  store: Store;
  logger: Logger;
  metrics?: GatewayMetrics;
}

function unauthorized(message: string, code: string): GatewayError {
  return new GatewayError(401, message, {
    type: "authentication_error",
    code,
    headers: { "www-authenticate": "Bearer" },
  });
}

export class Access {
  readonly keys: KeyCache;
  readonly usage: UsageBuffer;
  readonly budgets: BudgetTracker;
  readonly limiter: Limiter;
  readonly redis: RedisLink | undefined;
  readonly #store: Store;
  readonly #metrics: GatewayMetrics | undefined;

  private constructor(opts: AccessOptions) {
    const { config, store, logger } = opts;
    this.#store = store;
    this.#metrics = opts.metrics;
    this.keys = new KeyCache(store, {
      refreshMs: config.keyRefreshMs,
      aliases: config.modelAliases,
      logger,
    });
    this.budgets = new BudgetTracker(store);
    this.usage = new UsageBuffer(store, { flushMs: config.usageFlushMs, logger });
    // After each flush (and each tick, empty or not): committed budget totals from every replica.
    this.usage.onFlushed((batch) =>
      this.budgets.refresh(
        [...this.keys.all()].map((k) => k.record),
        batch,
      ),
    );
    if (config.redisUrl) {
      this.redis = new RedisLink(config.redisUrl, logger, () => {
        void this.keys.refresh();
      });
      this.limiter = new RedisLimiter(this.redis.commands, {
        failMode: config.rateLimitFailMode,
        logger,
      });
    } else {
      this.limiter = new LocalLimiter();
    }
  }

  /**
   * Loads every key and the budget totals before the gateway serves, so a
   * restart keeps revocations and spent budgets.
   */
  static async open(opts: AccessOptions): Promise<Access> {
    const a = new Access(opts);
    await a.keys.start();
    await a.budgets.refresh([...a.keys.all()].map((k) => k.record));
    a.usage.start();
    await a.redis?.start();
    return a;
  }

  /**
   * The virtual key behind a secret's hex SHA-256 ({@link hashSecret}), or
   * undefined when it is none. Synchronous
   * for a cached key; a cache miss asks the store once.
   */
  lookup(hash: string): CachedKey | undefined | Promise<CachedKey | undefined> {
    return this.keys.get(hash) ?? this.keys.miss(hash);
  }

  /**
   * Checks the key is live, its budget and rate limits; returns the
   * x-ratelimit-* headers for the response.
   * @throws GatewayError 401 (revoked, expired), 429 (limits, budget), 503 (Redis down, fail closed)
   */
  async admit(entry: CachedKey): Promise<Record<string, string>> {
    const key = entry.record;
    if (key.revokedAt !== null)
      throw unauthorized("This API key has been revoked.", "revoked_api_key");
    if (key.expiresAt !== null && key.expiresAt <= nowSeconds())
      throw unauthorized("This API key has expired.", "expired_api_key");
    const spec = limitSpec(key);
    let admission: Admission = { ok: true };
    if (spec.rpm || spec.tpm) admission = await this.limiter.admit(spec);
    const headers = rateLimitHeaders(spec, admission);
    if (key.budget && this.budgets.used(key) >= key.budget.tokens) {
      this.#metrics?.keyRejected(key.id, "budget");
      throw new GatewayError(
        429,
        `This API key has used its ${key.budget.period === "total" ? "total" : `${key.budget.period}ly`} budget of ${key.budget.tokens} tokens.`,
        { type: "insufficient_quota", code: "insufficient_quota", headers },
      );
    }
    if (!admission.ok) {
      this.#metrics?.keyRejected(key.id, admission.limit ?? "requests");
      throw new GatewayError(
        429,
        admission.limit === "tokens"
          ? `Rate limit reached: ${spec.tpm} tokens per minute for this API key.`
          : `Rate limit reached: ${spec.rpm} requests per minute for this API key.`,
        {
          type: "rate_limit_error",
          code: "rate_limit_exceeded",
          headers: { ...headers, "retry-after": String(admission.retryAfter ?? 1) },
        },
      );
    }
    return headers;
  }

  /**
   * Accounts a finished request (for a stream: when the stream ended). Counts
   * only requests sent on to Bedrock.
   */
  finish(obs: RequestObs, error: GatewayError | undefined): void {
    const p: Principal | undefined = obs.principal;
    if (!p || obs.model === undefined) return;
    const sent =
      obs.upstreamCalled ||
      obs.bedrockRequestId !== undefined ||
      obs.tokensIn !== undefined ||
      obs.tokensOut !== undefined ||
      (error !== undefined && bedrockExceptionOf(error) !== undefined);
    if (!sent) return;
    const read = obs.cacheReadTokens ?? 0;
    const write = obs.cacheWriteTokens ?? 0;
    let tokensIn = obs.tokensIn;
    let tokensOut = obs.tokensOut;
    // A stream cut short (client gone, mid-stream error) never got Bedrock's usage, yet Bedrock
    // bills what it did: estimate (4 characters a token) so cancelling cannot dodge a budget.
    if (obs.streaming && obs.bedrockRequestId !== undefined && tokensIn === undefined) {
      tokensIn = Math.ceil(obs.requestBytes / 4);
      tokensOut = Math.ceil(obs.streamedChars / 4);
    }
    const record: UsageRecord = {
      ts: Date.now(),
      keyId: p.keyId,
      model: obs.model,
      error: error !== undefined,
      inputTokens: Math.max(0, (tokensIn ?? 0) - read - write),
      outputTokens: tokensOut ?? 0,
      cacheReadTokens: read,
      cacheWriteTokens: write,
    };
    this.usage.record(record);
    const tokens = (tokensIn ?? 0) + (tokensOut ?? 0);
    if (p.key) {
      this.budgets.add(p.key.id, tokens);
      this.limiter.charge(limitSpec(p.key), tokens);
      this.#metrics?.keyRequest(p.key.id, record);
    }
  }

  /** After an admin write: this process sees it now, the others within a second. */
  async changed(id: string): Promise<void> {
    await this.keys.refresh();
    this.redis?.publishKeyChange(id);
  }

  get store(): Store {
    return this.#store;
  }

  /** Writes buffered usage and stops timers and connections (the store stays open). */
  async close(): Promise<void> {
    this.keys.stop();
    await this.usage.close();
    this.limiter.close();
    this.redis?.close();
  }
}

export function limitSpec(key: KeyRecord): LimitSpec {
  return { keyId: key.id, rpm: key.rpm, tpm: key.tpm };
}
