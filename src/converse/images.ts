/**
 * Image parts → Converse image blocks. Pure: data: URLs, base64 and bytes;
 * http(s) URLs are fetched beforehand by `media.ts` and arrive here as
 * data: URLs.
 *
 * @module
 */
import type { ContentBlock, ImageFormat } from "@aws-sdk/client-bedrock-runtime";
import type { ImagePart } from "../conversation";
import { InvalidRequestError } from "../errors";

/** Content types clients send for the four formats Bedrock accepts (parameters stripped first). */
const IMAGE_FORMATS: Record<string, ImageFormat> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/pjpeg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
};

/** `image/PNG; charset=binary` → `image/png`. */
export function bareMime(contentType: string): string {
  return (contentType.split(";")[0] ?? "").trim().toLowerCase();
}

/** The format a content type names, if Bedrock accepts it. */
export function formatOfMime(contentType: string): ImageFormat | undefined {
  return IMAGE_FORMATS[bareMime(contentType)];
}

/** Detects png/jpeg/gif/webp from the bytes themselves. */
export function sniffImageFormat(b: Uint8Array): ImageFormat | undefined {
  if (b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return "png";
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) return "gif";
  if (
    b[0] === 0x52 &&
    b[1] === 0x49 &&
    b[2] === 0x46 &&
    b[3] === 0x46 &&
    b[8] === 0x57 &&
    b[9] === 0x45 &&
    b[10] === 0x42 &&
    b[11] === 0x50
  ) {
    return "webp";
  }
  return undefined;
}

export interface DataUrl {
  /** Lower-cased media type without parameters ("" when absent). */
  mime: string;
  bytes: Uint8Array;
}

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*),(.*)$/s;

/**
 * Parses a base64 `data:` URL.
 * @returns undefined when `url` is not a data: URL at all
 * @throws InvalidRequestError when it is one but not base64 or empty
 */
export function parseDataUrl(url: string, param: string): DataUrl | undefined {
  const m = DATA_URL.exec(url);
  if (!m) return undefined;
  if (!(m[2] ?? "").toLowerCase().includes(";base64")) {
    throw new InvalidRequestError("Data URLs must be base64-encoded.", param, "invalid_data_url");
  }
  const bytes = Buffer.from((m[3] ?? "").replace(/\s+/g, ""), "base64");
  if (bytes.length === 0)
    throw new InvalidRequestError("The data URL is empty.", param, "invalid_data_url");
  return {
    mime: bareMime(m[1] ?? ""),
    bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  };
}

/** Parses `data:image/png;base64,…`; the format comes from the bytes. */
export function decodeDataUrl(
  url: string,
  param: string,
): { format: ImageFormat; bytes: Uint8Array } {
  const data = parseDataUrl(url, param);
  if (!data) {
    throw new InvalidRequestError(
      "Image URLs must be http(s) URLs or base64 data: URLs (png, jpeg, gif or webp).",
      param,
      "invalid_image_url",
    );
  }
  // The bytes decide: a declared type that the bytes contradict would only earn a
  // Bedrock error later, so an unrecognisable image is a clear 400 here.
  const format = sniffImageFormat(data.bytes);
  if (!format) {
    const declared = IMAGE_FORMATS[data.mime] ? `bytes that are not ${data.mime}` : data.mime;
    throw new InvalidRequestError(
      `Unsupported image (${declared || "unknown type"}); use png, jpeg, gif or webp.`,
      param,
      "invalid_image_format",
    );
  }
  return { format, bytes: data.bytes };
}

/** An image part as a Converse image block; the format comes from the bytes. */
export function imageBlock(part: ImagePart): ContentBlock {
  const { source, param } = part;
  if (source.type === "url") {
    const image = decodeDataUrl(source.url, param);
    return { image: { format: image.format, source: { bytes: image.bytes } } };
  }
  const bytes =
    source.type === "bytes" ? source.data : new Uint8Array(Buffer.from(source.data, "base64"));
  const format = sniffImageFormat(bytes);
  if (!format) {
    throw new InvalidRequestError(
      `Unsupported image (${source.mediaType || "unknown type"}); use png, jpeg, gif or webp.`,
      param,
      "invalid_image_format",
    );
  }
  return { image: { format, source: { bytes } } };
}
