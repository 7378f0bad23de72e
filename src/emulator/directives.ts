/**
 * @module
 * Prompt directives: a way for out-of-process clients (a benchmark, a demo user) to script the
 * emulator through the prompt alone. The last user text may contain `[emu key=value ...]`:
 *
 * | Directive              | Effect                                                                   |
 * |------------------------|--------------------------------------------------------------------------|
 * | `chunks=N`             | answer with exactly N text deltas of deterministic words                 |
 * | `chunk=N`              | N characters per text / reasoning / tool-input delta                     |
 * | `delay=MS`             | wait MS between stream events                                            |
 * | `first=MS`             | wait MS before the first event (stream) or before the reply (non-stream) |
 * | `error=Name`           | answer with that HTTP error (e.g. ThrottlingException)                   |
 * | `midstream=type`       | exception frame (lowerCamel, e.g. throttlingException) after 2 events    |
 * | `reasoning=1`          | prepend a reasoning block with a signature                               |
 * | `stop=reason`          | stopReason to report (max_tokens, stop_sequence, …)                      |
 * | `tool=name`            | call that tool (if declared in toolConfig); `tool=none`: call none       |
 * | `arg.KEY=VALUE`        | set that (string) field of the tool input, e.g. `arg.file_path=/tmp/a`   |
 * | `end=N`                | close the stream cleanly after N events (no messageStop / metadata)      |
 * | `reset=N`              | drop the connection after N events                                       |
 */

export interface Directives {
  chunks?: number;
  chunkSize?: number;
  delayMs?: number;
  firstMs?: number;
  error?: string;
  midstream?: string;
  reasoning?: boolean;
  stop?: string;
  tool?: string;
  /** Fields set on the tool input (`arg.KEY=VALUE`), over the schema placeholders. */
  toolArgs?: Record<string, string>;
  endAfter?: number;
  resetAfter?: number;
}

const DIRECTIVE_BLOCK = /\[emu(?:\s+([^\]]*))?\]/;

function nonNegativeInt(value: string): number | undefined {
  const n = Number.parseInt(value, 10);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** Applies one key=value pair; unknown keys are ignored so prompts stay forgiving. */
function applyDirective(d: Directives, key: string, value: string): void {
  if (key.startsWith("arg.") && key.length > 4) {
    d.toolArgs = { ...d.toolArgs, [key.slice(4)]: value };
    return;
  }
  switch (key) {
    case "chunks":
      d.chunks = nonNegativeInt(value);
      break;
    case "chunk":
      d.chunkSize = nonNegativeInt(value);
      break;
    case "delay":
      d.delayMs = nonNegativeInt(value);
      break;
    case "first":
      d.firstMs = nonNegativeInt(value);
      break;
    case "error":
      d.error = value;
      break;
    case "midstream":
      d.midstream = value;
      break;
    case "reasoning":
      d.reasoning = value === "1" || value === "true";
      break;
    case "stop":
      d.stop = value;
      break;
    case "tool":
      d.tool = value;
      break;
    case "end":
      d.endAfter = nonNegativeInt(value);
      break;
    case "reset":
      d.resetAfter = nonNegativeInt(value);
      break;
  }
}

/** Parses the first `[emu ...]` block of a text. */
export function parseDirectives(text: string): Directives {
  const directives: Directives = {};
  const match = DIRECTIVE_BLOCK.exec(text);
  for (const pair of (match?.[1] ?? "").split(/\s+/)) {
    const eq = pair.indexOf("=");
    if (eq > 0) applyDirective(directives, pair.slice(0, eq), pair.slice(eq + 1));
  }
  return directives;
}

/** The text with its directive block removed, so the echoed answer stays readable. */
export function stripDirectives(text: string): string {
  return text.replace(DIRECTIVE_BLOCK, "").replace(/\s+/g, " ").trim();
}
