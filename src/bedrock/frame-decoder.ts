/**
 * Decodes one `application/vnd.amazon.eventstream` frame straight from the
 * buffered bytes, for the raw ConverseStream transport.
 *
 * Why not `@smithy/eventstream-codec`: per frame it builds two DataViews, a
 * Crc32 object fed twice, a header object with one `{type, value}` per header
 * and a TextDecoder call per header name and value; the raw transport reads
 * only `:message-type`, `:event-type`, `:exception-type`, `:error-code` and
 * `:error-message`. This reads exactly those, skips the other headers by their
 * wire size, and checks BOTH CRC32s like the codec (`Bun.hash.crc32` is the
 * zlib/IEEE CRC32 the format uses; tests/unit/frame-decoder.test.ts compares
 * every frame with the codec's decode). Errors carry the codec's messages.
 *
 * Frame: total_len u32 | headers_len u32 | prelude_crc u32 | headers | payload
 * | message_crc u32, big-endian; prelude_crc covers bytes 0..8, message_crc
 * everything before it.
 *
 * @module
 */

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Prelude (12) + message CRC (4): the smallest valid frame. */
export const MINIMUM_FRAME_LENGTH = 16;

export interface Frame {
  /** `:message-type` ("event", "exception", "error"), "" if absent. */
  messageType: string;
  /** `:event-type`, "" if absent. */
  eventType: string;
  /** `:exception-type`, "" if absent. */
  exceptionType: string;
  /** `:error-code` and `:error-message`, undefined if absent. */
  errorCode: string | undefined;
  errorMessage: string | undefined;
  /** The payload, a view into the input (not a copy). */
  body: Uint8Array;
}

const MESSAGE_TYPE = encoder.encode(":message-type");
const EVENT_TYPE = encoder.encode(":event-type");
const EXCEPTION_TYPE = encoder.encode(":exception-type");
const ERROR_CODE = encoder.encode(":error-code");
const ERROR_MESSAGE = encoder.encode(":error-message");
const EVENT = encoder.encode("event");
/**
 * The `:event-type` values Bedrock sends, as bytes and as one shared string
 * each: a match costs a byte compare instead of a TextDecoder call and a new
 * string per frame.
 */
const KNOWN_EVENT_TYPES = [
  "contentBlockDelta",
  "messageStart",
  "contentBlockStart",
  "contentBlockStop",
  "messageStop",
  "metadata",
  "chunk",
].map((name) => ({ name, bytes: encoder.encode(name) }));

function eventTypeAt(buf: Uint8Array, at: number, length: number): string {
  for (const known of KNOWN_EVENT_TYPES)
    if (sameBytes(buf, at, length, known.bytes)) return known.name;
  return decoder.decode(buf.subarray(at, at + length));
}

/** Big-endian u32 at `at` (the caller has checked the bounds). */
export function readUint32(buf: Uint8Array, at: number): number {
  return (
    ((buf[at] as number) * 0x1000000 +
      (((buf[at + 1] as number) << 16) |
        ((buf[at + 2] as number) << 8) |
        (buf[at + 3] as number))) >>>
    0
  );
}

function sameBytes(buf: Uint8Array, at: number, length: number, expected: Uint8Array): boolean {
  if (length !== expected.length) return false;
  for (let i = 0; i < length; i++) if (buf[at + i] !== expected[i]) return false;
  return true;
}

/** Wire size of a fixed-size header value by type tag; -1 for variable (6, 7); undefined if unknown. */
function fixedValueSize(tag: number): number | undefined {
  switch (tag) {
    case 0:
    case 1:
      return 0;
    case 2:
      return 1;
    case 3:
      return 2;
    case 4:
      return 4;
    case 5:
    case 8:
      return 8;
    case 9:
      return 16;
    case 6:
    case 7:
      return -1;
    default:
      return undefined;
  }
}

/**
 * Decodes the frame of `length` bytes at `offset` in `buf` (`length` is its
 * declared total length, already known to be buffered).
 */
export function decodeFrame(buf: Uint8Array, offset: number, length: number): Frame {
  if (length < MINIMUM_FRAME_LENGTH) {
    throw new Error("Provided message too short to accommodate event stream message overhead");
  }
  if (offset + length > buf.length || readUint32(buf, offset) !== length) {
    throw new Error("Reported message length does not match received message length");
  }
  const headersLength = readUint32(buf, offset + 4);
  const preludeCrc = readUint32(buf, offset + 8);
  const preludeActual = Bun.hash.crc32(buf.subarray(offset, offset + 8));
  if (preludeCrc !== preludeActual) {
    throw new Error(
      `The prelude checksum specified in the message (${preludeCrc}) does not match the calculated CRC32 checksum (${preludeActual})`,
    );
  }
  const end = offset + length;
  const messageCrc = readUint32(buf, end - 4);
  const messageActual = Bun.hash.crc32(buf.subarray(offset, end - 4));
  if (messageCrc !== messageActual) {
    throw new Error(
      `The message checksum (${messageActual}) did not match the expected value of ${messageCrc}`,
    );
  }
  const headersEnd = offset + 12 + headersLength;
  if (headersEnd > end - 4) throw new Error("Event stream headers overrun the message");
  const frame: Frame = {
    messageType: "",
    eventType: "",
    exceptionType: "",
    errorCode: undefined,
    errorMessage: undefined,
    body: buf.subarray(headersEnd, end - 4),
  };
  let at = offset + 12;
  while (at < headersEnd) {
    const nameLength = buf[at] as number;
    const nameAt = at + 1;
    at = nameAt + nameLength;
    const tag = buf[at++] as number;
    const size = fixedValueSize(tag);
    if (size === undefined) throw new Error("Unrecognized header type tag");
    if (size >= 0) {
      at += size;
      continue;
    }
    const valueLength = ((buf[at] as number) << 8) | (buf[at + 1] as number);
    const valueAt = at + 2;
    at = valueAt + valueLength;
    if (at > headersEnd) throw new Error("Event stream headers overrun the message");
    if (tag !== 7) continue;
    // Only the string headers the transport reads are decoded (last one wins, as in the codec).
    if (sameBytes(buf, nameAt, nameLength, MESSAGE_TYPE)) {
      frame.messageType = sameBytes(buf, valueAt, valueLength, EVENT)
        ? "event"
        : decoder.decode(buf.subarray(valueAt, at));
    } else if (sameBytes(buf, nameAt, nameLength, EVENT_TYPE)) {
      frame.eventType = eventTypeAt(buf, valueAt, valueLength);
    } else if (sameBytes(buf, nameAt, nameLength, EXCEPTION_TYPE)) {
      frame.exceptionType = decoder.decode(buf.subarray(valueAt, at));
    } else if (sameBytes(buf, nameAt, nameLength, ERROR_CODE)) {
      frame.errorCode = decoder.decode(buf.subarray(valueAt, at));
    } else if (sameBytes(buf, nameAt, nameLength, ERROR_MESSAGE)) {
      frame.errorMessage = decoder.decode(buf.subarray(valueAt, at));
    }
  }
  if (at !== headersEnd) throw new Error("Event stream headers overrun the message");
  return frame;
}
