/**
 * Token budgets (`budget: {tokens, period}`), checked from memory: the
 * period's committed total in the store (every replica's flushed usage,
 * re-read after each usage flush) plus this process's usage not yet written.
 * Across replicas a budget is therefore exact up to one flush interval.
 *
 * @module
 */

import type { BudgetPeriod, KeyRecord, Store, UsageRecord } from "./types";
import { totalTokens, utcDay } from "./types";

/** First UTC day of the period that contains `ms`. */
export function periodStart(period: BudgetPeriod, ms = Date.now()): string {
  if (period === "total") return "1970-01-01";
  const day = utcDay(ms);
  return period === "month" ? `${day.slice(0, 8)}01` : day;
}

export class BudgetTracker {
  /** Per key: the period start the total is for, and the committed total. */
  readonly #committed = new Map<string, { since: string; tokens: number }>();
  readonly #unflushed = new Map<string, number>();

  constructor(private readonly store: Store) {}

  /** Tokens the key used in its current period. */
  used(key: KeyRecord, now = Date.now()): number {
    if (!key.budget) return 0;
    const since = periodStart(key.budget.period, now);
    const c = this.#committed.get(key.id);
    return (c && c.since === since ? c.tokens : 0) + (this.#unflushed.get(key.id) ?? 0);
  }

  /** A finished request's tokens, before the usage buffer writes them. */
  add(keyId: string, tokens: number): void {
    if (tokens <= 0) return;
    this.#unflushed.set(keyId, (this.#unflushed.get(keyId) ?? 0) + tokens);
  }

  /**
   * Re-reads the committed totals of every key with a budget; then forgets
   * `flushed` (now part of those totals) from the unwritten counts. Called
   * right after a batch committed, so nothing is counted twice or missed.
   */
  async refresh(keys: Iterable<KeyRecord>, flushed: UsageRecord[] = []): Promise<void> {
    const bySince = new Map<string, string[]>();
    for (const k of keys) {
      if (!k.budget || k.revokedAt !== null) continue;
      const since = periodStart(k.budget.period);
      const ids = bySince.get(since) ?? [];
      ids.push(k.id);
      bySince.set(since, ids);
    }
    const fresh = new Map<string, { since: string; tokens: number }>();
    for (const [since, ids] of bySince) {
      const totals = await this.store.tokensSince(ids, since);
      for (const id of ids) fresh.set(id, { since, tokens: totals.get(id) ?? 0 });
    }
    // Synchronous from here on: no request sees a half-updated state.
    this.#committed.clear();
    for (const [id, v] of fresh) this.#committed.set(id, v);
    for (const u of flushed) {
      if (u.keyId === null) continue;
      const left = (this.#unflushed.get(u.keyId) ?? 0) - totalTokens(u);
      if (left > 0) this.#unflushed.set(u.keyId, left);
      else this.#unflushed.delete(u.keyId);
    }
  }
}
