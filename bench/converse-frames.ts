/**
 * The ConverseStream body the micro benches feed the gateway's stream path: a
 * text answer of `n` deltas (messageStart, n contentBlockDelta, contentBlockStop,
 * messageStop, metadata), one event-stream frame each, encoded by the emulator.
 * Wire bytes, not code under test: checkouts compared with `--against` get the
 * same frames.
 *
 * @module
 */
import { eventFrame } from "../src/emulator/eventstream";

export function converseTextFrames(n: number): Uint8Array[] {
  const frames: Uint8Array[] = [eventFrame("messageStart", { role: "assistant" }, 0)];
  for (let i = 0; i < n; i++)
    frames.push(
      eventFrame(
        "contentBlockDelta",
        { contentBlockIndex: 0, delta: { text: `word${i} ` } },
        i + 1,
      ),
    );
  frames.push(eventFrame("contentBlockStop", { contentBlockIndex: 0 }, n + 1));
  frames.push(eventFrame("messageStop", { stopReason: "end_turn" }, n + 2));
  frames.push(
    eventFrame(
      "metadata",
      { usage: { inputTokens: 1, outputTokens: n, totalTokens: n + 1 }, metrics: { latencyMs: 1 } },
      n + 3,
    ),
  );
  return frames;
}
