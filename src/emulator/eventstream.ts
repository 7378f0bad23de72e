/**
 * @module
 * A minimal `application/vnd.amazon.eventstream` encoder, written from the wire format
 * rather than borrowed from @smithy/eventstream-codec so the tests can use that codec as an
 * independent oracle.
 *
 * Frame: total_len u32 | headers_len u32 | prelude_crc u32 | headers | payload | message_crc u32
 * (big-endian; prelude_crc covers bytes 0..8, message_crc everything before it). Headers are
 * all type 7 (string): name_len u8 | name | 7 | value_len u16 | value.
 */

const encoder = new TextEncoder();
const HEADER_TYPE_STRING = 7;
const PADDING_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** Encodes one frame. Header order is preserved, because Bedrock's order is part of the format. */
export function encodeFrame(
  headers: ReadonlyArray<[string, string]>,
  payload: Uint8Array,
): Uint8Array {
  const encodedHeaders = headers.map(
    ([name, value]) => [encoder.encode(name), encoder.encode(value)] as const,
  );
  const headersLength = encodedHeaders.reduce(
    (n, [name, value]) => n + 1 + name.length + 1 + 2 + value.length,
    0,
  );
  const totalLength = 12 + headersLength + payload.length + 4;
  const frame = new Uint8Array(totalLength);
  const view = new DataView(frame.buffer);
  view.setUint32(0, totalLength);
  view.setUint32(4, headersLength);
  view.setUint32(8, Bun.hash.crc32(frame.subarray(0, 8)));
  let offset = 12;
  for (const [name, value] of encodedHeaders) {
    frame[offset] = name.length;
    frame.set(name, offset + 1);
    offset += 1 + name.length;
    frame[offset] = HEADER_TYPE_STRING;
    view.setUint16(offset + 1, value.length);
    frame.set(value, offset + 3);
    offset += 3 + value.length;
  }
  frame.set(payload, offset);
  view.setUint32(totalLength - 4, Bun.hash.crc32(frame.subarray(0, totalLength - 4)));
  return frame;
}

/**
 * Bedrock pads every streamed payload with a random-length `"p"` field so payload sizes do
 * not leak token lengths. Ours is deterministic: its length depends only on the frame index.
 */
export function padding(index: number): string {
  const length = 1 + ((index * 7 + 3) % PADDING_ALPHABET.length);
  return PADDING_ALPHABET.slice(0, length);
}

/** An event frame: `:event-type`, `:content-type`, `:message-type` (Bedrock's order), padded payload. */
export function eventFrame(
  eventType: string,
  payload: Record<string, unknown>,
  index: number,
): Uint8Array {
  const body = JSON.stringify({ ...payload, p: padding(index) });
  return encodeFrame(
    [
      [":event-type", eventType],
      [":content-type", "application/json"],
      [":message-type", "event"],
    ],
    encoder.encode(body),
  );
}

/** An exception frame (`:exception-type` is the lowerCamel union member, e.g. throttlingException). */
export function exceptionFrame(
  exceptionType: string,
  payload: Record<string, unknown>,
): Uint8Array {
  return encodeFrame(
    [
      [":exception-type", exceptionType],
      [":content-type", "application/json"],
      [":message-type", "exception"],
    ],
    encoder.encode(JSON.stringify(payload)),
  );
}
