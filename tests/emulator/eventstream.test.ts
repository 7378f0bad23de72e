import { describe, expect, test } from "bun:test";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { type Emulator, startEmulator } from "../../src/emulator";
import { encodeFrame, eventFrame, exceptionFrame, padding } from "../../src/emulator/eventstream";
import { SONNET_45_US } from "./helpers";

const codec = new EventStreamCodec(
  (bytes: Uint8Array) => new TextDecoder().decode(bytes),
  (text: string) => new TextEncoder().encode(text),
);

function headerValues(
  headers: Record<string, { type: string; value: unknown }>,
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.value]));
}

describe("event-stream encoder", () => {
  test("an event frame decodes with @smithy/eventstream-codec and re-encodes to the same bytes", () => {
    const frame = eventFrame("messageStart", { role: "assistant" }, 0);
    const message = codec.decode(frame);
    expect(headerValues(message.headers)).toEqual({
      ":event-type": "messageStart",
      ":content-type": "application/json",
      ":message-type": "event",
    });
    expect(Object.values(message.headers).every((h) => h.type === "string")).toBe(true);
    expect(JSON.parse(new TextDecoder().decode(message.body))).toEqual({
      role: "assistant",
      p: padding(0),
    });
    expect(codec.encode(message)).toEqual(frame);
  });

  test("headers keep Bedrock's order", () => {
    const frame = exceptionFrame("throttlingException", { message: "x" });
    expect(Object.keys(codec.decode(frame).headers)).toEqual([
      ":exception-type",
      ":content-type",
      ":message-type",
    ]);
  });

  test("prelude fields match the frame", () => {
    const frame = encodeFrame([["a", "b"]], new TextEncoder().encode("{}"));
    const view = new DataView(frame.buffer);
    expect(view.getUint32(0)).toBe(frame.length);
    expect(view.getUint32(4)).toBe(1 + 1 + 1 + 2 + 1);
    expect(view.getUint32(8)).toBe(Bun.hash.crc32(frame.subarray(0, 8)));
  });

  test("padding is deterministic and varies in length", () => {
    expect(padding(3)).toBe(padding(3));
    expect(new Set([0, 1, 2, 3, 4].map((i) => padding(i).length)).size).toBeGreaterThan(1);
  });

  test("a whole ConverseStream body decodes frame by frame, byte-exact", async () => {
    const emu: Emulator = await startEmulator();
    try {
      const res = await fetch(
        `${emu.url}/model/${encodeURIComponent(SONNET_45_US)}/converse-stream`,
        {
          method: "POST",
          headers: { authorization: "Bearer t", "content-type": "application/json" },
          body: JSON.stringify({
            messages: [{ role: "user", content: [{ text: "hi [emu chunks=3]" }] }],
          }),
        },
      );
      expect(res.headers.get("content-type")).toBe("application/vnd.amazon.eventstream");
      const bytes = new Uint8Array(await res.arrayBuffer());
      const types: unknown[] = [];
      let offset = 0;
      while (offset < bytes.length) {
        const length = new DataView(bytes.buffer, bytes.byteOffset + offset).getUint32(0);
        const frame = bytes.subarray(offset, offset + length);
        const message = codec.decode(frame);
        expect(codec.encode(message)).toEqual(frame);
        expect(JSON.parse(new TextDecoder().decode(message.body)).p).toBe(padding(types.length));
        types.push(message.headers[":event-type"]?.value);
        offset += length;
      }
      expect(types).toEqual([
        "messageStart",
        "contentBlockDelta",
        "contentBlockDelta",
        "contentBlockDelta",
        "contentBlockStop",
        "messageStop",
        "metadata",
      ]);
    } finally {
      await emu.stop();
    }
  });
});
