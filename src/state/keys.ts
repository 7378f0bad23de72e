/**
 * Virtual keys on the hot path: secrets, model allow-lists, and the in-memory
 * cache every request is authenticated against (no store call for a known key).
 *
 * The cache holds every key. It re-reads the store when the store's key
 * version changes (polled every KEY_REFRESH_MS, or at once when told: an admin
 * change on this process, or a Redis message from another replica).
 *
 * @module
 */
import type { Logger } from "../log";
import type { KeyRecord, Store } from "./types";

/** Secret format: `sk-` + 43 base64url characters (256 bits). */
export function newSecret(): string {
  return `sk-${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`;
}

export function newKeyId(): string {
  return `key_${Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString("hex")}`;
}

/** Hex SHA-256: what the store keeps instead of the secret. */
export function hashSecret(secret: string): string {
  return new Bun.CryptoHasher("sha256").update(secret).digest("hex");
}

/** Cross-region inference profile prefixes: `us.anthropic.x` is allowed by `anthropic.*`. */
const GEO_PREFIX = /^(us|eu|apac|us-gov|global|jp|au|ca)\./;

/**
 * A compiled allow-list. Patterns are model ids, MODEL_ALIASES names (which
 * also allow their target) or `*` wildcards (any run of characters).
 */
export class ModelMatcher {
  readonly #res: RegExp[];

  constructor(patterns: readonly string[], aliases: Record<string, string> = {}) {
    const all = new Set<string>();
    for (const p of patterns) {
      all.add(p);
      const target = aliases[p];
      if (target) all.add(target);
    }
    this.#res = [...all].map(
      (p) =>
        new RegExp(
          `^${p
            .split("*")
            .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
            .join(".*")}$`,
          "i",
        ),
    );
  }

  /** True when any name (requested name, id, catalog id…) or its geo-less form matches. */
  allows(...names: Array<string | undefined>): boolean {
    for (const n of names) {
      if (!n) continue;
      const bare = n.replace(GEO_PREFIX, "");
      for (const re of this.#res) if (re.test(n) || re.test(bare)) return true;
    }
    return false;
  }
}

/** A key with what the hot path derives from it, built once per key version. */
export interface CachedKey {
  record: KeyRecord;
  /** Null: every model. */
  matcher: ModelMatcher | null;
}

/** Cache misses (unknown secrets) remembered this long, so guessing cannot flood the store. */
const NEGATIVE_TTL_MS = 1_000;
const NEGATIVE_MAX = 10_000;

export class KeyCache {
  #byHash = new Map<string, CachedKey>();
  #byId = new Map<string, CachedKey>();
  #version = "";
  #timer: ReturnType<typeof setInterval> | undefined;
  #refreshing: Promise<void> | undefined;
  #again = false;
  readonly #negative = new Map<string, number>();
  readonly #listeners: Array<() => void> = [];

  constructor(
    private readonly store: Store,
    private readonly opts: {
      refreshMs: number;
      aliases: Record<string, string>;
      logger: Logger;
    },
  ) {}

  /** Loads every key, then re-reads on changes every `refreshMs`. */
  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => {
      void this.refresh();
    }, this.opts.refreshMs);
    this.#timer.unref?.();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Called after every reload that changed something. */
  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** The key a secret's hash stands for, from memory. */
  get(hash: string): CachedKey | undefined {
    return this.#byHash.get(hash);
  }

  byId(id: string): CachedKey | undefined {
    return this.#byId.get(id);
  }

  all(): IterableIterator<CachedKey> {
    return this.#byId.values();
  }

  /**
   * A hash the cache does not know: asks the store once (a key created on
   * another replica a moment ago), remembering misses for a second.
   */
  async miss(hash: string): Promise<CachedKey | undefined> {
    const now = Date.now();
    const until = this.#negative.get(hash);
    if (until !== undefined && until > now) return undefined;
    let record: KeyRecord | null;
    try {
      record = await this.store.getKeyByHash(hash);
    } catch (err) {
      // Store down: a key this process has not cached cannot be checked (documented: 401).
      this.opts.logger.warn("key lookup failed: store unreachable", {
        cause: err instanceof Error ? err.message : String(err),
      });
      return undefined;
    }
    if (!record) {
      if (this.#negative.size >= NEGATIVE_MAX) this.#negative.clear();
      this.#negative.set(hash, now + NEGATIVE_TTL_MS);
      return undefined;
    }
    return this.#put(record);
  }

  #put(record: KeyRecord): CachedKey {
    const entry: CachedKey = {
      record,
      matcher: record.models === null ? null : new ModelMatcher(record.models, this.opts.aliases),
    };
    this.#byHash.set(record.hash, entry);
    this.#byId.set(record.id, entry);
    return entry;
  }

  /**
   * Re-reads the keys if the store's version changed. Concurrent calls share
   * one reload; a call during a reload schedules one more (it may carry news).
   */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      try {
        do {
          this.#again = false;
          await this.#reload();
        } while (this.#again);
      } catch (err) {
        this.opts.logger.warn("key cache refresh failed; serving the cached keys", {
          cause: err instanceof Error ? err.message : String(err),
        });
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  async #reload(): Promise<void> {
    const version = await this.store.keysVersion();
    if (version === this.#version) return;
    const records = await this.store.listKeys();
    const byHash = new Map<string, CachedKey>();
    const byId = new Map<string, CachedKey>();
    for (const r of records) {
      // Unchanged keys keep their compiled matcher.
      const old = this.#byId.get(r.id);
      const entry =
        old && JSON.stringify(old.record) === JSON.stringify(r)
          ? old
          : {
              record: r,
              matcher: r.models === null ? null : new ModelMatcher(r.models, this.opts.aliases),
            };
      byHash.set(r.hash, entry);
      byId.set(r.id, entry);
    }
    this.#byHash = byHash;
    this.#byId = byId;
    this.#version = version;
    this.#negative.clear();
    for (const l of this.#listeners) l();
  }
}
