/**
 * In-process micro-benchmark: decoding a 24-frame ConverseStream body (20 text
 * deltas) with @smithy/eventstream-codec vs src/bedrock/frame-decoder.ts.
 * `bun run bench/frame-decoder-micro.ts`. Not part of `bun run bench`.
 */
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { decodeFrame, readUint32 } from "../src/bedrock/frame-decoder";
import { converseTextFrames } from "./converse-frames";

const enc = new TextEncoder();
const dec = new TextDecoder();
const codec = new EventStreamCodec(
  (b) => dec.decode(b),
  (s) => enc.encode(s),
);
const frames = converseTextFrames(20);
const body = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
let o = 0;
for (const f of frames) {
  body.set(f, o);
  o += f.length;
}

let sink = 0;
function viaCodec(): void {
  for (let at = 0; at < body.length; ) {
    const total = readUint32(body, at);
    const m = codec.decode(body.subarray(at, at + total));
    sink +=
      String(m.headers[":message-type"]?.value).length +
      String(m.headers[":event-type"]?.value).length;
    sink += JSON.parse(dec.decode(m.body)) ? 1 : 0;
    at += total;
  }
}
function viaOwn(): void {
  for (let at = 0; at < body.length; ) {
    const total = readUint32(body, at);
    const m = decodeFrame(body, at, total);
    sink += m.messageType.length + m.eventType.length;
    sink += JSON.parse(dec.decode(m.body)) ? 1 : 0;
    at += total;
  }
}
function time(name: string, fn: () => void): void {
  const n = 20000;
  for (let i = 0; i < 2000; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  const us = ((performance.now() - t0) * 1000) / n;
  console.log(
    `${name}: ${us.toFixed(2)} µs per 24-frame stream (${(us / 24).toFixed(3)} µs/frame, JSON.parse included)`,
  );
}
for (let r = 0; r < 3; r++) {
  time("codec", viaCodec);
  time("own  ", viaOwn);
}
if (sink === 0) console.log(sink);
