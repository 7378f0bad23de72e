/**
 * HTTP header values must be visible ASCII (Headers.set throws on anything
 * else), but our messages are prose. Everything that puts prose in a header
 * goes through here.
 *
 * @module
 */

const REPLACEMENTS: Record<string, string> = {
  "≥": ">=",
  "≤": "<=",
  "→": "->",
  "…": "...",
  "—": "-",
  "–": "-",
};

export function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]/g, (ch) => REPLACEMENTS[ch] ?? "?");
}
