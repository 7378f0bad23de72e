/**
 * @module
 * Turns a list of stream events into an `application/vnd.amazon.eventstream` HTTP response,
 * with pacing and failure injection (exception frame, clean early end, abrupt reset).
 * Frames are produced on demand (`pull`), so a client that aborts stops production: the
 * stream's `cancel` fires, and the emulator counts it.
 */
import type { StreamEvent } from "./converse";
import { eventFrame, exceptionFrame } from "./eventstream";
import type { StreamControl } from "./types";

export interface StreamHooks {
  onStart(): void;
  /** The emulator closed the body itself (normal end, exception frame or endAfter). */
  onComplete(): void;
  /** The client went away (abort / disconnect). */
  onCancel(): void;
  /** The emulator dropped the connection on purpose (resetAfter). */
  onReset(): void;
}

/** Extra fields the SDK expects on some exception members. */
function exceptionPayload(
  control: NonNullable<StreamControl["exceptionAfter"]>,
): Record<string, unknown> {
  const message = control.message ?? `Emulated ${control.type}`;
  const defaults: Record<string, unknown> =
    control.type === "modelStreamErrorException"
      ? { originalStatusCode: 500, originalMessage: message }
      : {};
  return { message, ...defaults, ...(control.extra ?? {}) };
}

type Step =
  | { kind: "event"; frame: Uint8Array }
  | { kind: "exception"; frame: Uint8Array }
  | { kind: "end" }
  | { kind: "reset" };

/** The frame sequence after applying the failure-injection controls. */
function planSteps(events: StreamEvent[], control: StreamControl): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i <= events.length; i++) {
    if (control.exceptionAfter && control.exceptionAfter.events === i) {
      steps.push({
        kind: "exception",
        frame: exceptionFrame(
          control.exceptionAfter.type,
          exceptionPayload(control.exceptionAfter),
        ),
      });
      return steps;
    }
    if (control.resetAfter === i) return [...steps, { kind: "reset" }];
    if (control.endAfter === i) return [...steps, { kind: "end" }];
    const event = events[i];
    if (event) steps.push({ kind: "event", frame: eventFrame(event.type, event.payload, i) });
  }
  return [...steps, { kind: "end" }];
}

/** Builds the streaming HTTP response. `contentType` differs per operation only in header name. */
export function eventStreamResponse(
  events: StreamEvent[],
  control: StreamControl,
  hooks: StreamHooks,
  headers: Record<string, string>,
): Response {
  const steps = planSteps(events, control);
  let position = 0;
  let finished = false;
  hooks.onStart();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const delay = position === 0 ? control.firstEventDelayMs : control.eventDelayMs;
      if (delay) await Bun.sleep(delay);
      if (finished) return; // cancelled while sleeping
      const step = steps[position++];
      if (!step || step.kind === "end" || step.kind === "exception") {
        if (step?.kind === "exception") controller.enqueue(step.frame);
        finished = true;
        controller.close();
        hooks.onComplete();
        return;
      }
      if (step.kind === "reset") {
        // Erroring the body makes Bun abort the chunked response mid-stream: the client
        // sees a dropped connection rather than a clean end. Bun logs this error; it is expected.
        finished = true;
        hooks.onReset();
        controller.error(
          new Error("Bedrock emulator: resetAfter, dropping this connection on purpose"),
        );
        return;
      }
      controller.enqueue(step.frame);
    },
    cancel() {
      if (finished) return;
      finished = true;
      hooks.onCancel();
    },
  });
  return new Response(body, {
    status: 200,
    headers: { "content-type": "application/vnd.amazon.eventstream", ...headers },
  });
}
