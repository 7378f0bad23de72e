/**
 * @module
 * The mutable state one emulator instance shares between its routes and its public API.
 */
import { Catalog } from "./catalog";
import { ScriptQueue } from "./scripts";
import type { EmulatorStats, RecordedRequest } from "./types";

export interface EmulatorState {
  readonly catalog: Catalog;
  readonly scripts: ScriptQueue;
  readonly requests: RecordedRequest[];
  readonly stats: EmulatorStats;
  /** remote address:port pairs seen, to count client connections. */
  readonly sockets: Set<string>;
  /** Prompt prefixes (model + text before the last cache point) already cached. */
  readonly promptCache: Set<string>;
}

export function createState(region: string, accountId: string): EmulatorState {
  return {
    catalog: new Catalog(region, accountId),
    scripts: new ScriptQueue(),
    requests: [],
    stats: {
      connections: 0,
      streamsStarted: 0,
      streamsCompleted: 0,
      streamsCancelled: 0,
      streamsOpen: 0,
      peakStreamsOpen: 0,
    },
    sockets: new Set(),
    promptCache: new Set(),
  };
}

/** Clears requests, scripts, stats and catalog overrides (the arrays keep their identity). */
export function resetState(state: EmulatorState): void {
  state.catalog.reset();
  state.scripts.clear();
  state.requests.length = 0;
  state.sockets.clear();
  state.promptCache.clear();
  Object.assign(state.stats, {
    connections: 0,
    streamsStarted: 0,
    streamsCompleted: 0,
    streamsCancelled: 0,
    streamsOpen: 0,
    peakStreamsOpen: 0,
  });
}

/** Counts a client connection the first time its remote address:port is seen. */
export function noteSocket(state: EmulatorState, address: string, port: number): void {
  const key = `${address}:${port}`;
  if (state.sockets.has(key)) return;
  state.sockets.add(key);
  state.stats.connections += 1;
}
