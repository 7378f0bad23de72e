/**
 * `encoding_format: "base64"`: the vector as little-endian float32 bytes,
 * base64-encoded — what the openai SDKs decode with `Float32Array`.
 *
 * Bedrock sends vectors as JSON numbers. Models compute in float32, so
 * rounding each parsed number to float32 recovers exactly the value the model
 * produced; a DataView with `littleEndian = true` keeps the byte order right
 * on any host.
 *
 * @module
 */

export function toBase64Float32(vector: readonly number[]): string {
  const view = new DataView(new ArrayBuffer(vector.length * 4));
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i] ?? 0, true);
  return Buffer.from(view.buffer).toString("base64");
}

/** The inverse, for tests and the benchmark. */
export function fromBase64Float32(base64: string): number[] {
  const bytes = Buffer.from(base64, "base64");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: number[] = new Array(bytes.byteLength / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
