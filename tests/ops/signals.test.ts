/**
 * One stop, one drain, however the signal arrives. `bun run start` forwards
 * the signals it receives to the gateway, so a signal sent to the process group
 * (systemd's default KillMode, a container init, Ctrl-C) reaches the gateway
 * twice at once; that must still be one drain in which live streams finish.
 * Only a signal clearly later forces the exit.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { type Emulator, startEmulator } from "../../src/emulator";
import { StopSignals } from "../../src/signals";
import { spawnStart } from "../support/process";
import { parseSse } from "../support/sse";
import { openStream } from "./helpers";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.stop());
beforeEach(() => emu.reset());

const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

function env(): Record<string, string> {
  return {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDSIGNALS",
    AWS_SECRET_ACCESS_KEY: "secret",
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emu.url,
    AWS_ENDPOINT_URL_BEDROCK: emu.url,
    SHUTDOWN_DRAIN_MS: "20000",
    LOG_LEVEL: "info",
  };
}

async function liveStreams(url: string, n: number) {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: MODEL,
          stream: true,
          // ~1.5 s of stream: 15 deltas, 100 ms apart.
          messages: [{ role: "user", content: `[emu chunks=15 delay=100] story ${i}` }],
        }),
      });
      expect(res.status).toBe(200);
      return openStream(res);
    }),
  );
}

describe("StopSignals", () => {
  test("the first signal drains, repeats within the gap are the same stop, a later one forces", () => {
    let now = 0;
    const s = new StopSignals(1000, () => now);
    expect(s.receive()).toBe("drain");
    now = 5;
    expect(s.receive()).toBe("repeat");
    now = 999;
    expect(s.receive()).toBe("repeat");
    now = 1000;
    expect(s.receive()).toBe("force");
  });
});

describe("bun run start", () => {
  type Started = Awaited<ReturnType<typeof spawnStart>>;
  /** The app got the group's copy and is draining: the copy `bun run` forwards lands now. */
  const forwardedCopy = async (p: Started, signal: NodeJS.Signals) => {
    while (!p.output().includes('"msg":"draining"')) await Bun.sleep(5);
    process.kill(p.appPid, signal);
  };
  const deliveries: Array<[string, (p: Started) => unknown]> = [
    ["to the process group", (p) => process.kill(-p.wrapperPid, "SIGTERM")],
    [
      "to the process group, the forwarded copy handled separately",
      (p) => {
        process.kill(-p.wrapperPid, "SIGTERM");
        return forwardedCopy(p, "SIGTERM");
      },
    ],
    ["to the app's PID", (p) => process.kill(p.appPid, "SIGTERM")],
    ["to `bun run`, which forwards it", (p) => process.kill(p.wrapperPid, "SIGTERM")],
    [
      "as Ctrl-C (SIGINT to the group, and its forwarded copy)",
      (p) => {
        process.kill(-p.wrapperPid, "SIGINT");
        return forwardedCopy(p, "SIGINT");
      },
    ],
  ];
  for (const [label, deliver] of deliveries) {
    test(`a stop ${label} drains: live streams end with [DONE], exit 0`, async () => {
      const gw = await spawnStart(env());
      const streams = await liveStreams(gw.url, 3);
      await deliver(gw);
      const bodies = await Promise.all(streams.map((s) => s.rest()));
      for (const body of bodies) {
        const events = parseSse(body);
        expect(events.data.at(-1)).toBe("[DONE]");
        expect(events.data.some((d) => typeof d === "object" && d !== null && "error" in d)).toBe(
          false,
        );
      }
      expect(await gw.exited).toBe(0);
      expect(gw.output().match(/"msg":"draining"/g)).toHaveLength(1);
      expect(gw.output()).not.toContain("exiting without waiting");
    }, 30_000);
  }

  test("a second signal clearly later forces the exit (status 1) and cuts the stream", async () => {
    const gw = await spawnStart(env());
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: MODEL,
        stream: true,
        messages: [{ role: "user", content: "[emu chunks=200 delay=100] a long story" }],
      }),
    });
    const live = await openStream(res);
    process.kill(gw.appPid, "SIGTERM");
    // Wait until the drain is visibly under way, then let more than the gap pass.
    while (!gw.output().includes('"msg":"draining"')) await Bun.sleep(20);
    await Bun.sleep(1200);
    process.kill(gw.appPid, "SIGTERM");
    expect(await gw.exited).toBe(1);
    expect(parseSse(await live.rest().catch(() => "")).data).not.toContain("[DONE]");
    expect(gw.output()).toContain("exiting without waiting");
  }, 30_000);
});
