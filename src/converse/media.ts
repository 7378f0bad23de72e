/**
 * Fetches http(s) image URLs in a conversation and replaces them by data:
 * URLs, before the (pure) translation passes run.
 *
 * Guarded, because a gateway that fetches any URL a caller names is an SSRF
 * hole into its VPC and the instance metadata service:
 * - every address the hostname resolves to must be globally routable unicast
 *   (src/net/addresses.ts, ipaddr.js's range tables), unless
 *   IMAGE_FETCH_ALLOW_PRIVATE or the host is in IMAGE_FETCH_ALLOW_HOSTS;
 * - the name is resolved once and the connection goes to the address that
 *   was checked (Host header and TLS SNI keep the name), so DNS rebinding
 *   cannot switch it to an internal address between check and connect;
 * - redirects are followed by hand (at most {@link MAX_REDIRECTS}) and each
 *   hop is checked the same way;
 * - one timeout covers the whole fetch, the body is read with a byte cap,
 *   and the format comes from the bytes (png, jpeg, gif, webp).
 * - data: URLs are held to the same size cap as fetched images.
 * Any failure is a 400 naming the content part, never a 500.
 *
 * @module
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Conversation, ImagePart, Turn } from "../conversation";
import { InvalidRequestError } from "../errors";
import { isGloballyRoutable } from "../net/addresses";
import { sniffImageFormat } from "./images";

export const MAX_REDIRECTS = 3;
/** Remote images per request; each costs a fetch. */
export const MAX_REMOTE_IMAGES = 20;

export interface MediaOptions {
  timeoutMs: number;
  maxBytes: number;
  allowPrivate: boolean;
  /** Hostnames (lower case) exempt from the address check. */
  allowHosts: string[];
  /** Resolves a hostname to all its addresses; tests may inject one. */
  lookup?: (host: string) => Promise<string[]>;
  /** Which resolved addresses may be fetched; tests may inject one (default: globally routable). */
  allowAddress?: (ip: string) => boolean;
}

async function systemLookup(host: string): Promise<string[]> {
  const all = await dnsLookup(host, { all: true, verbatim: true });
  return all.map((a) => a.address);
}

/** True for addresses a gateway must not fetch from by default (see net/addresses.ts). */
export function isBlockedAddress(ip: string): boolean {
  return !isGloballyRoutable(ip);
}

function fail(param: string, message: string, code = "invalid_image_url"): never {
  throw new InvalidRequestError(message, param, code);
}

/**
 * Resolves the URL's host once and checks every address it has. Returns the
 * address to connect to (pinned: fetch never resolves the name again, so a
 * zero-TTL name cannot switch to an internal address in between), or
 * undefined when the guard is off for this host (fetch resolves as usual).
 */
async function checkHost(url: URL, opts: MediaOptions, param: string): Promise<string | undefined> {
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (opts.allowPrivate || opts.allowHosts.includes(host)) return undefined;
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await (opts.lookup ?? systemLookup)(host);
    } catch {
      fail(param, `The image host '${host.slice(0, 100)}' could not be resolved.`);
    }
  }
  const allowed = opts.allowAddress ?? isGloballyRoutable;
  if (addresses.length === 0 || !addresses.every(allowed)) {
    fail(
      param,
      `The image URL points to a private or reserved address ('${host.slice(0, 100)}'); refused.`,
      "image_url_forbidden",
    );
  }
  return addresses[0];
}

/** The request for `url`, sent to `address` when pinned, with the URL's own Host and SNI. */
function pinnedRequest(
  url: URL,
  address: string | undefined,
): { target: string; init: RequestInit & BunFetchRequestInit } {
  if (address === undefined || isIP(url.hostname.replace(/^\[|\]$/g, ""))) {
    return { target: url.href, init: {} };
  }
  const pinned = new URL(url.href);
  pinned.hostname = isIP(address) === 6 ? `[${address}]` : address;
  return {
    target: pinned.href,
    init: {
      headers: { host: url.host },
      ...(url.protocol === "https:" ? { tls: { serverName: url.hostname } } : {}),
    },
  };
}

async function readCapped(res: Response, maxBytes: number, param: string): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    fail(param, `The image is larger than ${maxBytes} bytes.`, "image_too_large");
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      fail(param, `The image is larger than ${maxBytes} bytes.`, "image_too_large");
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** Fetches one image URL under the guard; returns it as a data: URL. */
export async function fetchImage(raw: string, param: string, opts: MediaOptions): Promise<string> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    fail(param, "The image URL is not a valid URL.");
  }
  try {
    for (let hop = 0; ; hop++) {
      if (url.protocol !== "http:" && url.protocol !== "https:")
        fail(param, `Image URLs must use http, https or data, not '${url.protocol}'.`);
      if (url.username || url.password) fail(param, "Image URLs may not carry credentials.");
      const address = await checkHost(url, opts, param);
      const { target, init } = pinnedRequest(url, address);
      const res = await fetch(target, {
        ...init,
        redirect: "manual",
        signal,
        headers: {
          ...(init.headers as Record<string, string> | undefined),
          accept: "image/png,image/jpeg,image/gif,image/webp,image/*;q=0.8",
        },
      });
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        if (hop >= MAX_REDIRECTS)
          fail(param, `The image URL redirected more than ${MAX_REDIRECTS} times.`);
        url = new URL(location, url);
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        fail(param, `The image could not be fetched: HTTP ${res.status}.`, "image_fetch_failed");
      }
      const bytes = await readCapped(res, opts.maxBytes, param);
      const format = sniffImageFormat(bytes);
      if (!format) {
        const type = res.headers.get("content-type") ?? "unknown";
        fail(
          param,
          `The URL did not return a png, jpeg, gif or webp image (content-type ${type}).`,
          "invalid_image_format",
        );
      }
      return `data:image/${format};base64,${Buffer.from(bytes).toString("base64")}`;
    }
  } catch (err) {
    if (err instanceof InvalidRequestError) throw err;
    if (signal.aborted)
      fail(
        param,
        `Fetching the image timed out after ${opts.timeoutMs} ms.`,
        "image_fetch_timeout",
      );
    fail(param, "The image could not be fetched.", "image_fetch_failed");
  }
}

/** An inline image's decoded size (data: URL, base64 or bytes), held to the per-image cap. */
function checkInlineSize(p: ImagePart, maxBytes: number): void {
  const src = p.source;
  if (src.type === "bytes") {
    if (src.data.byteLength > maxBytes) tooLarge(p.param, maxBytes);
    return;
  }
  if (src.type === "base64") {
    if (Math.floor((src.data.length * 3) / 4) > maxBytes) tooLarge(p.param, maxBytes);
    return;
  }
  checkDataUrlSize(src.url, maxBytes, p.param);
}

function tooLarge(param: string, maxBytes: number): never {
  fail(param, `The image is larger than ${maxBytes} bytes.`, "image_too_large");
}

/** A data: URL's decoded size, from its base64 length, held to the per-image cap. */
function checkDataUrlSize(url: string, maxBytes: number, param: string): void {
  if (!/^data:/i.test(url)) return;
  const comma = url.indexOf(",");
  const payload = comma < 0 ? 0 : url.length - comma - 1;
  const base64 = /;base64$/i.test(url.slice(0, Math.max(0, comma)));
  const bytes = base64 ? Math.floor((payload * 3) / 4) : payload;
  if (bytes > maxBytes)
    fail(param, `The image is larger than ${maxBytes} bytes.`, "image_too_large");
}

function isRemote(url: string): boolean {
  return /^https?:/i.test(url);
}

/** Every image part of user turns and tool results, in order. */
function imageParts(turns: readonly Turn[]): ImagePart[] {
  const out: ImagePart[] = [];
  for (const turn of turns) {
    if (turn.role !== "user") continue;
    for (const part of turn.content) {
      if (part.type === "image") out.push(part);
      else if (part.type === "tool-result")
        for (const item of part.content) if (item.type === "image") out.push(item);
    }
  }
  return out;
}

/**
 * Fetches every http(s) image URL of user turns and tool results
 * concurrently. Returns a conversation whose image parts carry data: URLs
 * instead (the given one is left as it is).
 */
export async function resolveMedia(conv: Conversation, opts: MediaOptions): Promise<Conversation> {
  const images = imageParts(conv.turns);
  // Inline images are held to the same per-image cap as fetched ones.
  for (const p of images) checkInlineSize(p, opts.maxBytes);
  const jobs = images.filter((p) => p.source.type === "url" && isRemote(p.source.url));
  if (jobs.length === 0) return conv;
  if (jobs.length > MAX_REMOTE_IMAGES) {
    throw new InvalidRequestError(
      `At most ${MAX_REMOTE_IMAGES} image URLs per request are fetched; send more as data: URLs.`,
      "messages",
      "too_many_images",
    );
  }
  const urls = await Promise.all(
    jobs.map((p) => fetchImage(p.source.type === "url" ? p.source.url : "", p.param, opts)),
  );
  const fetched = new Map<ImagePart, string>();
  jobs.forEach((p, k) => {
    const url = urls[k];
    if (url) fetched.set(p, url);
  });
  const swap = (p: ImagePart): ImagePart => {
    const url = fetched.get(p);
    return url ? { ...p, source: { type: "url", url } } : p;
  };
  const turns = conv.turns.map((turn): Turn => {
    if (turn.role !== "user") return turn;
    return {
      role: "user",
      content: turn.content.map((part) => {
        if (part.type === "image") return swap(part);
        if (part.type === "tool-result")
          return {
            ...part,
            content: part.content.map((item) => (item.type === "image" ? swap(item) : item)),
          };
        return part;
      }),
    };
  });
  return { ...conv, turns };
}
