/**
 * The gateway's persistent state behind one interface: virtual keys, usage
 * and the Responses API's stored responses. Two implementations: SQLite
 * (the default, a file under DATA_DIR) and PostgreSQL (DATABASE_URL).
 *
 * The hot path never calls the store directly: keys are served from
 * {@link KeyCache} (src/state/keys.ts), usage goes through
 * {@link UsageBuffer} (src/state/usage.ts), which writes in batches.
 *
 * @module
 */

/** A stored response of the Responses API (contract shared with the `responses` surface). */
export interface StoredResponse {
  /** "resp_…" */
  id: string;
  /** Virtual key that created it (null = static key). */
  keyId: string | null;
  /** Unix seconds. */
  createdAt: number;
  /** Unix seconds; null = never. */
  expiresAt: number | null;
  /** The Response object as returned to the client (JSON). */
  response: unknown;
  /** The input items of this request (for GET …/input_items). */
  inputItems: unknown[];
  /** What previous_response_id replays (surface-defined JSON). */
  conversation: unknown;
}

export interface ResponseStore {
  putResponse(r: StoredResponse): Promise<void>;
  /** Null when missing or expired. */
  getResponse(id: string): Promise<StoredResponse | null>;
  /** False when missing. */
  deleteResponse(id: string): Promise<boolean>;
}

export type BudgetPeriod = "day" | "month" | "total";

export interface Budget {
  tokens: number;
  period: BudgetPeriod;
}

/** A virtual key as stored. The secret itself is never stored, only its SHA-256. */
export interface KeyRecord {
  /** "key_…" */
  id: string;
  /** Hex SHA-256 of the secret. */
  hash: string;
  /** Last 4 characters of the secret, to tell keys apart in lists. */
  hint: string;
  name: string;
  /** Model patterns (ids, aliases, `*` wildcards); null = every model. */
  models: string[] | null;
  rpm: number | null;
  tpm: number | null;
  budget: Budget | null;
  /** Unix seconds; null = never. */
  expiresAt: number | null;
  metadata: Record<string, unknown> | null;
  /** Unix seconds. */
  createdAt: number;
  /** Unix seconds; null while the key is live. */
  revokedAt: number | null;
}

/** The fields PATCH /admin/keys/{id} may change. */
export type KeyPatch = Partial<
  Pick<KeyRecord, "name" | "models" | "rpm" | "tpm" | "budget" | "expiresAt" | "metadata">
>;

/** One finished request that was sent on to Bedrock. */
export interface UsageRecord {
  /** Unix milliseconds when it finished. */
  ts: number;
  /** Null for static API_KEY keys. */
  keyId: string | null;
  model: string;
  /** True when it failed (HTTP error or a stream that ended with an error). */
  error: boolean;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export type UsageGroup = "key" | "model" | "day";

export interface UsageQuery {
  keyId?: string;
  /** Unix seconds, inclusive. */
  from?: number;
  /** Unix seconds, exclusive. */
  to?: number;
  groupBy: UsageGroup[];
}

export interface UsageRow {
  key_id?: string | null;
  model?: string;
  /** YYYY-MM-DD (UTC). */
  day?: string;
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
  readonly responses: ResponseStore;

  insertKey(k: KeyRecord): Promise<void>;
  getKey(id: string): Promise<KeyRecord | null>;
  getKeyByHash(hash: string): Promise<KeyRecord | null>;
  /** Every key, revoked ones included. */
  listKeys(): Promise<KeyRecord[]>;
  /** Null when missing. */
  updateKey(id: string, patch: KeyPatch): Promise<KeyRecord | null>;
  /** Sets revoked_at; false when missing or already revoked. */
  revokeKey(id: string, at: number): Promise<boolean>;
  /**
   * A value that changes whenever any key is inserted, changed or revoked
   * (by this process or another one); polled to keep caches fresh.
   */
  keysVersion(): Promise<string>;

  /** Writes a batch in one transaction. */
  addUsage(batch: UsageRecord[]): Promise<void>;
  queryUsage(q: UsageQuery): Promise<UsageRow[]>;
  /** Total tokens (input incl. cache + output) per key since `sinceDay` (YYYY-MM-DD, UTC). */
  tokensSince(keyIds: string[], sinceDay: string): Promise<Map<string, number>>;

  /** Deletes stored responses whose expires_at has passed; returns how many. */
  purgeExpiredResponses(now: number): Promise<number>;

  /**
   * A deployment secret shared by every process on this store: the stored value
   * of `name`, or `generated` stored first when there is none (the first writer
   * wins, so concurrent starts agree).
   */
  sharedSecret(name: string, generated: string): Promise<string>;

  close(): Promise<void>;
}

/** Unix seconds now. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** YYYY-MM-DD (UTC) of a unix-milliseconds time. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Tokens a budget counts: prompt (incl. cache reads and writes) + completion. */
export function totalTokens(u: UsageRecord): number {
  return u.inputTokens + u.cacheReadTokens + u.cacheWriteTokens + u.outputTokens;
}
