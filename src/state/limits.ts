/**
 * Per-key rate limits: requests per minute and tokens per minute, each a token
 * bucket of capacity rpm (tpm) refilled continuously at rpm/60 (tpm/60) per
 * second. A burst of rpm requests passes and the next one waits for the
 * refill; unlike a window aligned to the clock minute, no boundary lets 2×rpm
 * through.
 *
 * Requests take one request token when admitted. Tokens are only known when a
 * request finishes, so the token bucket admits while it holds any tokens and is
 * charged afterwards (it may go into debt, down to -tpm, blocking until refilled).
 *
 * Two implementations: in-process ({@link LocalLimiter}) and Redis
 * ({@link RedisLimiter}, one round trip per admission, shared by every
 * replica). Redis unreachable: RATE_LIMIT_FAIL_MODE=open falls back to the
 * in-process buckets, `closed` refuses with 503.
 *
 * @module
 */
import type { RedisClient } from "bun";
import { GatewayError } from "../errors";
import type { Logger } from "../log";

export interface LimitSpec {
  keyId: string;
  rpm: number | null;
  tpm: number | null;
}

export interface BucketState {
  /** Tokens left (may be negative for the token bucket). */
  level: number;
  /** Milliseconds until the bucket is full again. */
  resetMs: number;
}

export interface Admission {
  ok: boolean;
  /** Which limit refused. */
  limit?: "requests" | "tokens";
  /** Seconds until a retry can pass. */
  retryAfter?: number;
  requests?: BucketState;
  tokens?: BucketState;
}

export interface Limiter {
  admit(spec: LimitSpec): Promise<Admission> | Admission;
  /** Charges a finished request's tokens to the key's tpm bucket. */
  charge(spec: LimitSpec, tokens: number): void;
  close(): void;
}

interface Bucket {
  level: number;
  at: number;
}

/** Refills `b` (capacity `cap` per minute) to `now`. */
function refill(b: Bucket, cap: number, now: number): void {
  b.level = Math.min(cap, b.level + ((now - b.at) * cap) / 60_000);
  b.at = now;
}

function stateOf(b: Bucket, cap: number): BucketState {
  return { level: b.level, resetMs: Math.max(0, ((cap - b.level) * 60_000) / cap) };
}

/** Seconds until `b` reaches `need` tokens, at least 1. */
function waitSeconds(b: Bucket, cap: number, need: number): number {
  return Math.max(1, Math.ceil(((need - b.level) * 60) / cap));
}

/** In-process buckets; limits are per gateway process. */
export class LocalLimiter implements Limiter {
  readonly #req = new Map<string, Bucket>();
  readonly #tok = new Map<string, Bucket>();

  admit(spec: LimitSpec, now = Date.now()): Admission {
    let req: Bucket | undefined;
    let tok: Bucket | undefined;
    const out: Admission = { ok: true };
    if (spec.tpm) {
      tok = this.#bucket(this.#tok, spec.keyId, spec.tpm, now);
      refill(tok, spec.tpm, now);
      out.tokens = stateOf(tok, spec.tpm);
      if (tok.level <= 0) {
        out.ok = false;
        out.limit = "tokens";
        // A whole token back, so the next attempt passes.
        out.retryAfter = waitSeconds(tok, spec.tpm, 1);
      }
    }
    if (spec.rpm) {
      req = this.#bucket(this.#req, spec.keyId, spec.rpm, now);
      refill(req, spec.rpm, now);
      if (req.level < 1) {
        out.ok = false;
        out.limit = "requests";
        out.retryAfter = Math.max(out.retryAfter ?? 0, waitSeconds(req, spec.rpm, 1));
      } else if (out.ok) {
        req.level -= 1;
      }
      out.requests = stateOf(req, spec.rpm);
    }
    return out;
  }

  charge(spec: LimitSpec, tokens: number, now = Date.now()): void {
    if (!spec.tpm || tokens <= 0) return;
    const tok = this.#bucket(this.#tok, spec.keyId, spec.tpm, now);
    refill(tok, spec.tpm, now);
    tok.level = Math.max(-spec.tpm, tok.level - tokens);
  }

  #bucket(map: Map<string, Bucket>, id: string, cap: number, now: number): Bucket {
    let b = map.get(id);
    if (!b) {
      b = { level: cap, at: now };
      map.set(id, b);
    }
    return b;
  }

  close(): void {}
}

/**
 * Both buckets in one script, on Redis's clock (replicas' clocks may differ).
 * KEYS: request bucket, token bucket. ARGV: rpm, tpm (0 = none).
 * Returns {ok(1/0), limit(0 none/1 requests/2 tokens), reqLevel*1000, tokLevel*1000}.
 */
const ADMIT_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rpm = tonumber(ARGV[1])
local tpm = tonumber(ARGV[2])
local ok = 1
local limit = 0
local req = 0
local tok = 0
if tpm > 0 then
  local v = redis.call('HMGET', KEYS[2], 'l', 'at')
  tok = tonumber(v[1]) or tpm
  local at = tonumber(v[2]) or now
  tok = math.min(tpm, tok + (now - at) * tpm / 60000)
  if tok <= 0 then ok = 0 limit = 2 end
  redis.call('HSET', KEYS[2], 'l', tostring(tok), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[2], 180000)
end
if rpm > 0 then
  local v = redis.call('HMGET', KEYS[1], 'l', 'at')
  req = tonumber(v[1]) or rpm
  local at = tonumber(v[2]) or now
  req = math.min(rpm, req + (now - at) * rpm / 60000)
  if req < 1 then
    ok = 0
    limit = 1
  elseif ok == 1 then
    req = req - 1
  end
  redis.call('HSET', KEYS[1], 'l', tostring(req), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[1], 120000)
end
return {ok, limit, math.floor(req * 1000), math.floor(tok * 1000)}
`;

/** KEYS: token bucket. ARGV: tpm, tokens. */
const CHARGE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tpm = tonumber(ARGV[1])
local v = redis.call('HMGET', KEYS[1], 'l', 'at')
local tok = tonumber(v[1]) or tpm
local at = tonumber(v[2]) or now
tok = math.min(tpm, tok + (now - at) * tpm / 60000)
tok = math.max(-tpm, tok - tonumber(ARGV[2]))
redis.call('HSET', KEYS[1], 'l', tostring(tok), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], 180000)
return 1
`;

/** How long a Redis call may take before it counts as Redis being down. */
const REDIS_TIMEOUT_MS = 500;

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Buckets in Redis, shared by every replica. */
export class RedisLimiter implements Limiter {
  readonly #local = new LocalLimiter();
  #admitSha: string | undefined;
  #chargeSha: string | undefined;
  #down = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly opts: { failMode: "open" | "closed"; logger: Logger; prefix?: string },
  ) {}

  async admit(spec: LimitSpec): Promise<Admission> {
    const p = this.opts.prefix ?? "gw:rl";
    try {
      const r = (await withTimeout(
        this.#eval(
          "admit",
          ADMIT_LUA,
          [`${p}:{${spec.keyId}}:req`, `${p}:{${spec.keyId}}:tok`],
          [String(spec.rpm ?? 0), String(spec.tpm ?? 0)],
        ),
        REDIS_TIMEOUT_MS,
        "Redis rate-limit call",
      )) as [number, number, number, number];
      this.#up();
      const [ok, limit, reqMilli, tokMilli] = r.map(Number) as [number, number, number, number];
      const out: Admission = { ok: ok === 1 };
      if (spec.rpm) {
        const b = { level: reqMilli / 1000, at: 0 };
        out.requests = stateOf(b, spec.rpm);
        if (limit === 1) {
          out.limit = "requests";
          out.retryAfter = waitSeconds(b, spec.rpm, 1);
        }
      }
      if (spec.tpm) {
        const b = { level: tokMilli / 1000, at: 0 };
        out.tokens = stateOf(b, spec.tpm);
        if (limit === 2) {
          out.limit = "tokens";
          out.retryAfter = waitSeconds(b, spec.tpm, 1);
        }
      }
      return out;
    } catch (err) {
      this.#fail(err);
      if (this.opts.failMode === "closed") {
        throw new GatewayError(
          503,
          "Rate limiting is unavailable (Redis unreachable); retry shortly.",
          {
            type: "server_error",
            code: "rate_limiter_unavailable",
            headers: { "retry-after": "1" },
          },
        );
      }
      return this.#local.admit(spec);
    }
  }

  charge(spec: LimitSpec, tokens: number): void {
    if (!spec.tpm || tokens <= 0) return;
    this.#local.charge(spec, tokens);
    const p = this.opts.prefix ?? "gw:rl";
    withTimeout(
      this.#eval(
        "charge",
        CHARGE_LUA,
        [`${p}:{${spec.keyId}}:tok`],
        [String(spec.tpm), String(tokens)],
      ),
      REDIS_TIMEOUT_MS,
      "Redis rate-limit call",
    ).then(
      () => this.#up(),
      (err: unknown) => this.#fail(err),
    );
  }

  /** EVALSHA, loading the script on NOSCRIPT (first use, or Redis restarted). */
  async #eval(
    which: "admit" | "charge",
    lua: string,
    keys: string[],
    args: string[],
  ): Promise<unknown> {
    let sha = which === "admit" ? this.#admitSha : this.#chargeSha;
    if (sha) {
      try {
        return await this.redis.send("EVALSHA", [sha, String(keys.length), ...keys, ...args]);
      } catch (err) {
        if (!String((err as Error)?.message).includes("NOSCRIPT")) throw err;
      }
    }
    sha = (await this.redis.send("SCRIPT", ["LOAD", lua])) as string;
    if (which === "admit") this.#admitSha = sha;
    else this.#chargeSha = sha;
    return this.redis.send("EVALSHA", [sha, String(keys.length), ...keys, ...args]);
  }

  #fail(err: unknown): void {
    if (this.#down) return;
    this.#down = true;
    this.opts.logger.error("Redis unreachable: rate limits fall back", {
      mode: this.opts.failMode === "open" ? "per-replica limits (fail open)" : "503 (fail closed)",
      cause: err instanceof Error ? err.message : String(err),
    });
  }

  #up(): void {
    if (!this.#down) return;
    this.#down = false;
    this.opts.logger.info("Redis reachable again: rate limits shared across replicas");
  }

  close(): void {}
}

/** OpenAI's duration format for x-ratelimit-reset-*: "1s", "6m0s", "20ms". */
export function formatReset(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `${s}s`;
  return `${Math.floor(s / 60)}m${s % 60}s`;
}

/** The x-ratelimit-* headers for an admission (every response of a limited key). */
export function rateLimitHeaders(spec: LimitSpec, a: Admission): Record<string, string> {
  const h: Record<string, string> = {};
  if (spec.rpm && a.requests) {
    h["x-ratelimit-limit-requests"] = String(spec.rpm);
    h["x-ratelimit-remaining-requests"] = String(Math.max(0, Math.floor(a.requests.level)));
    h["x-ratelimit-reset-requests"] = formatReset(a.requests.resetMs);
  }
  if (spec.tpm && a.tokens) {
    h["x-ratelimit-limit-tokens"] = String(spec.tpm);
    h["x-ratelimit-remaining-tokens"] = String(Math.max(0, Math.floor(a.tokens.level)));
    h["x-ratelimit-reset-tokens"] = formatReset(a.tokens.resetMs);
  }
  return h;
}
