/**
 * A free-form (custom) tool's text, streamed: Bedrock streams the call as
 * JSON `{"input": "…"}` (the one string field the tool was offered with);
 * this decodes the string's characters as they arrive, so
 * `response.custom_tool_call_input.delta` carries the raw text progressively.
 * Anything not of that shape yields nothing here; the whole arguments are
 * read once the call ends (see encode.ts).
 *
 * @module
 */

const PREFIX = /^\s*\{\s*"input"\s*:\s*"/;
const SIMPLE: Record<string, string> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

export class CustomInputStream {
  #buf = "";
  /** Index in #buf of the next undecoded character of the string; -1 before the prefix. */
  #at = -1;
  #ended = false;
  /** The text decoded so far. */
  text = "";

  /** Appends a fragment of the JSON arguments; returns the newly decoded text ("" if none). */
  push(fragment: string): string {
    this.#buf += fragment;
    if (this.#ended) return "";
    if (this.#at < 0) {
      const m = PREFIX.exec(this.#buf);
      if (!m) return "";
      this.#at = m[0].length;
    }
    let out = "";
    let i = this.#at;
    const s = this.#buf;
    while (i < s.length) {
      const ch = s[i] as string;
      if (ch === '"') {
        this.#ended = true;
        i++;
        break;
      }
      if (ch !== "\\") {
        out += ch;
        i++;
        continue;
      }
      // An escape: wait for all of it.
      const next = s[i + 1];
      if (next === undefined) break;
      if (next === "u") {
        if (i + 6 > s.length) break;
        out += String.fromCharCode(Number.parseInt(s.slice(i + 2, i + 6), 16));
        i += 6;
      } else {
        out += SIMPLE[next] ?? next;
        i += 2;
      }
    }
    this.#at = i;
    this.text += out;
    return out;
  }
}
