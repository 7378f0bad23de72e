/**
 * Stored responses: the contract the state store implements (PLAN.md, owned by
 * src/state/), and an in-process implementation used when the app is built
 * without one (tests, a single replica).
 *
 * @module
 */

export interface StoredResponse {
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
  /** What previous_response_id replays: the conversation's turns (surface-defined JSON). */
  conversation: unknown;
}

export interface ResponseStore {
  putResponse(r: StoredResponse): Promise<void>;
  /** null when missing or expired. */
  getResponse(id: string): Promise<StoredResponse | null>;
  /** false when missing. */
  deleteResponse(id: string): Promise<boolean>;
}

/** Keeps responses in this process's memory, expiring them on read. */
export class MemoryResponseStore implements ResponseStore {
  readonly #items = new Map<string, StoredResponse>();

  async putResponse(r: StoredResponse): Promise<void> {
    this.#items.set(r.id, structuredClone(r));
  }

  async getResponse(id: string): Promise<StoredResponse | null> {
    const r = this.#items.get(id);
    if (!r) return null;
    if (r.expiresAt !== null && r.expiresAt <= Date.now() / 1000) {
      this.#items.delete(id);
      return null;
    }
    return structuredClone(r);
  }

  async deleteResponse(id: string): Promise<boolean> {
    return this.#items.delete(id);
  }
}
