/**
 * The one JSON-object guard (and its type) every module shares.
 *
 * @module
 */

export type Json = Record<string, unknown>;

/** A plain JSON object: not null, not an array. */
export function isRecord(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
