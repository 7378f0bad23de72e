/**
 * File parts → Converse document (or image) blocks. Pure.
 *
 * The data may be a data: URL or raw base64 (OpenAI's SDKs send either).
 * The format comes from the filename's extension, then the media type, then
 * the bytes; binary formats must carry their magic bytes so a mislabelled
 * upload is a clear 400 here rather than a Bedrock error. `file_id` has no
 * meaning without a files API and is rejected.
 *
 * @module
 */
import type { ContentBlock, DocumentFormat } from "@aws-sdk/client-bedrock-runtime";
import type { FilePart } from "../conversation";
import { InvalidRequestError } from "../errors";
import type { ModelCapabilities } from "../models/capabilities";
import { parseDataUrl, sniffImageFormat } from "./images";

const BY_EXTENSION: Record<string, DocumentFormat> = {
  pdf: "pdf",
  csv: "csv",
  doc: "doc",
  docx: "docx",
  xls: "xls",
  xlsx: "xlsx",
  html: "html",
  htm: "html",
  txt: "txt",
  text: "txt",
  md: "md",
  markdown: "md",
};

const BY_MIME: Record<string, DocumentFormat> = {
  "application/pdf": "pdf",
  "text/csv": "csv",
  "application/msword": "doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.ms-excel": "xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  "text/html": "html",
  "text/plain": "txt",
  "text/markdown": "md",
  "text/x-markdown": "md",
};

const MAGIC: Partial<Record<DocumentFormat, number[]>> = {
  pdf: [0x25, 0x50, 0x44, 0x46], // %PDF
  docx: [0x50, 0x4b, 0x03, 0x04], // zip
  xlsx: [0x50, 0x4b, 0x03, 0x04],
  doc: [0xd0, 0xcf, 0x11, 0xe0], // OLE2
  xls: [0xd0, 0xcf, 0x11, 0xe0],
};

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
/** Longest document name we send; Bedrock's own limit is higher. */
const MAX_NAME = 100;

/**
 * Bedrock allows only alphanumerics, single whitespace, hyphens, parentheses
 * and square brackets in a document name. The extension is dropped (it is the
 * format), other characters become spaces.
 */
export function documentName(filename: string | undefined, fallback: string): string {
  const stem = (filename ?? "").replace(/\.[A-Za-z0-9]{1,8}$/, "");
  const clean = stem
    .replace(/[^A-Za-z0-9\s\-()[\]]/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, MAX_NAME)
    .trim();
  return clean === "" ? fallback : clean;
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

function decodeFileData(data: string, param: string): { mime: string; bytes: Uint8Array } {
  const url = parseDataUrl(data, param);
  if (url) return url;
  const compact = data.replace(/\s+/g, "");
  if (!BASE64.test(compact)) {
    throw new InvalidRequestError(
      "file_data must be a base64 data: URL or base64 text.",
      param,
      "invalid_file_data",
    );
  }
  const bytes = Buffer.from(compact, "base64");
  if (bytes.length === 0)
    throw new InvalidRequestError("The file is empty.", param, "invalid_file_data");
  return { mime: "", bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/** Names already used in one request, so repeated filenames stay distinct (Bedrock requires it). */
export type DocumentNames = Set<string>;

function uniqueName(base: string, used: DocumentNames): string {
  let name = base;
  for (let n = 2; used.has(name); n++) name = `${base} (${n})`;
  used.add(name);
  return name;
}

/**
 * @param used document names taken so far in this request (updated)
 */
export function fileBlock(
  part: FilePart,
  caps: ModelCapabilities,
  used: DocumentNames,
): ContentBlock {
  const { param, fieldParam, fileId: id, filename } = part;
  const data =
    part.text !== undefined
      ? `data:text/plain;base64,${Buffer.from(part.text, "utf8").toString("base64")}`
      : part.data;
  if (id != null && data == null) {
    throw new InvalidRequestError(
      "file_id is not supported: this gateway has no files API. Send the file inline as file_data.",
      `${fieldParam}.file_id`,
      "unsupported_parameter",
    );
  }
  if (data == null || data === "") {
    throw new InvalidRequestError("A file part needs file_data.", fieldParam, "invalid_value");
  }
  const { mime, bytes } = decodeFileData(data, `${fieldParam}.file_data`);
  const image = sniffImageFormat(bytes);
  if (image && (mime === "" || mime.startsWith("image/"))) {
    if (!caps.imageInput) {
      throw new InvalidRequestError(
        "This model does not accept image input.",
        param,
        "unsupported_content",
      );
    }
    return { image: { format: image, source: { bytes } } };
  }
  if (!caps.documents) {
    throw new InvalidRequestError(
      "This model does not accept documents.",
      param,
      "unsupported_content",
    );
  }
  const ext = /\.([A-Za-z0-9]+)$/.exec(filename ?? "")?.[1]?.toLowerCase();
  const format =
    (ext ? BY_EXTENSION[ext] : undefined) ??
    BY_MIME[mime] ??
    (startsWith(bytes, MAGIC.pdf ?? []) ? "pdf" : undefined);
  if (!format) {
    throw new InvalidRequestError(
      `Unsupported file type '${ext ?? (mime || "unknown")}': use pdf, csv, doc, docx, xls, xlsx, html, txt or md.`,
      fieldParam,
      "unsupported_file_type",
    );
  }
  const magic = MAGIC[format];
  if (magic && !startsWith(bytes, magic)) {
    throw new InvalidRequestError(
      `The file content is not a valid ${format} file.`,
      `${fieldParam}.file_data`,
      "invalid_file_data",
    );
  }
  const name = uniqueName(documentName(filename, "document"), used);
  return { document: { format, name, source: { bytes } } };
}
