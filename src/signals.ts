/**
 * What a stop signal means, by when it arrives. One stop must start one
 * drain however it is delivered: `bun run start` forwards the signal it gets
 * to the gateway, so a signal sent to the process group (systemd's default
 * KillMode, a container init that signals the group, Ctrl-C in a terminal)
 * reaches the gateway twice within milliseconds. Only a signal that comes
 * clearly later — a person pressing Ctrl-C again — forces the exit.
 *
 * @module
 */

/** Repeats closer than this to the first signal are the same stop delivered twice. */
export const FORCE_AFTER_MS = 1_000;

export type SignalAction = "drain" | "repeat" | "force";

export class StopSignals {
  #first: number | undefined;

  constructor(
    private readonly gapMs = FORCE_AFTER_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Classifies one received SIGTERM / SIGINT. */
  receive(): SignalAction {
    const t = this.now();
    if (this.#first === undefined) {
      this.#first = t;
      return "drain";
    }
    return t - this.#first < this.gapMs ? "repeat" : "force";
  }
}
