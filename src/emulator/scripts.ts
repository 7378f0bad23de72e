/**
 * @module
 * The FIFO of test scripts. A request takes the first script that matches it; a script
 * answers `times` requests (default 1) and is then dropped.
 */
import { DEFAULT_SCRIPT_OPERATIONS, type Operation, type Script } from "./types";

interface Entry {
  script: Script;
  remaining: number;
}

function matches(script: Script, operation: Operation, modelId: string | undefined): boolean {
  const wanted = script.match?.operation;
  const operations =
    wanted === undefined ? DEFAULT_SCRIPT_OPERATIONS : Array.isArray(wanted) ? wanted : [wanted];
  if (!operations.includes(operation)) return false;
  return script.match?.modelId === undefined || script.match.modelId === modelId;
}

export class ScriptQueue {
  #entries: Entry[] = [];

  enqueue(...scripts: Script[]): void {
    for (const script of scripts)
      this.#entries.push({ script, remaining: Math.max(1, script.times ?? 1) });
  }

  /** Takes (and consumes one use of) the first script matching this request. */
  take(operation: Operation, modelId: string | undefined): Script | undefined {
    const index = this.#entries.findIndex((e) => matches(e.script, operation, modelId));
    const entry = this.#entries[index];
    if (!entry) return undefined;
    entry.remaining -= 1;
    if (entry.remaining === 0) this.#entries.splice(index, 1);
    return entry.script;
  }

  get pending(): number {
    return this.#entries.length;
  }

  clear(): void {
    this.#entries = [];
  }
}
