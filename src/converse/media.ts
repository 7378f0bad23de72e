/**
 * Fetches http(s) image URLs in a conversation and replaces them by data:
 * URLs, before the (pure) translation passes run.
 *
 * Guarded, because a gateway that fetches any URL a caller names is an SSRF
 * hole into its VPC and the instance metadata service:
 * - every address the hostname resolves to must be public (no loopback,
 *   private, CGNAT, link-local/metadata, multicast, reserved, IPv6 ULA or
 *   link-local, nor IPv4 embedded in mapped/NAT64/6to4 IPv6), unless
 *   IMAGE_FETCH_ALLOW_PRIVATE or the host is in IMAGE_FETCH_ALLOW_HOSTS;
 * - redirects are followed by hand (at most {@link MAX_REDIRECTS}) and each
 *   hop is checked the same way;
 * - one timeout covers the whole fetch, the body is read with a byte cap,
 *   and the format comes from the bytes (png, jpeg, gif, webp).
 * Any failure is a 400 naming the content part, never a 500.
 *
 * Known limit: the address is checked, then fetch resolves the name again,
 * so a DNS-rebinding host with a zero TTL could switch in between.
 *
 * @module
 */
import { lookup as dnsLookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { Conversation, ImagePart, Turn } from "../conversation";
import { InvalidRequestError } from "../errors";
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
}

async function systemLookup(host: string): Promise<string[]> {
  const all = await dnsLookup(host, { all: true, verbatim: true });
  return all.map((a) => a.address);
}

function ipv4Bytes(ip: string): number[] | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : Number.NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : undefined;
}

function blockedV4([a = 0, b = 0, c = 0]: number[]): boolean {
  return (
    a === 0 || // "this" network
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT
    (a === 169 && b === 254) || // link-local, incl. 169.254.169.254 metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && c === 0) || // IETF protocol assignments
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast, reserved, broadcast
  );
}

/** The 8 groups of an IPv6 address (zone id dropped), or undefined. */
function ipv6Groups(ip: string): number[] | undefined {
  let s = ip.split("%")[0] ?? "";
  let tail: number[] = [];
  if (s.includes(".")) {
    // Dotted IPv4 in the last 32 bits (::ffff:1.2.3.4).
    const lastColon = s.lastIndexOf(":");
    const v4 = ipv4Bytes(s.slice(lastColon + 1));
    if (!v4) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = v4;
    tail = [(a << 8) | b, (c << 8) | d];
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith("::")) s = s.slice(0, -1);
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string) =>
    part === ""
      ? []
      : part
          .split(":")
          .map((h) => (/^[0-9a-f]{1,4}$/i.test(h) ? Number.parseInt(h, 16) : Number.NaN));
  const left = parse(halves[0] ?? "");
  let groups = left;
  if (halves.length === 2) {
    const right = parse(halves[1] ?? "");
    const fill = 8 - tail.length - left.length - right.length;
    if (fill < 0) return undefined;
    groups = [...left, ...new Array<number>(fill).fill(0), ...right];
  }
  groups = [...groups, ...tail];
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : undefined;
}

function blockedV6(g: number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff];
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0) {
    if (g5 === 0 && g6 === 0 && (g7 === 0 || g7 === 1)) return true; // :: and ::1
    if (g5 === 0xffff || g5 === 0) return blockedV4(embedded); // mapped / compatible
  }
  if (g0 === 0x64 && g1 === 0xff9b) return blockedV4(embedded); // NAT64
  if (g0 === 0x2002) return blockedV4([g1 >> 8, g1 & 0xff, g2 >> 8, g2 & 0xff]); // 6to4
  if ((g0 & 0xfe00) === 0xfc00) return true; // ULA (incl. fd00:ec2::254 metadata)
  if ((g0 & 0xffc0) === 0xfe80) return true; // link-local
  if ((g0 & 0xff00) === 0xff00) return true; // multicast
  return false;
}

/** True for addresses a gateway must not fetch from by default. */
export function isBlockedAddress(ip: string): boolean {
  const family = isIP(ip.split("%")[0] ?? "");
  if (family === 4) return blockedV4(ipv4Bytes(ip) ?? [0]);
  if (family === 6) {
    const groups = ipv6Groups(ip);
    return groups ? blockedV6(groups) : true;
  }
  return true; // not an address at all: refuse
}

function fail(param: string, message: string, code = "invalid_image_url"): never {
  throw new InvalidRequestError(message, param, code);
}

async function checkHost(url: URL, opts: MediaOptions, param: string): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (opts.allowPrivate || opts.allowHosts.includes(host)) return;
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await (opts.lookup ?? systemLookup)(host);
    } catch {
      fail(param, `The image host '${host}' could not be resolved.`);
    }
  }
  if (addresses.length === 0 || addresses.some(isBlockedAddress)) {
    fail(
      param,
      `The image URL points to a private or reserved address ('${host}'); refused.`,
      "image_url_forbidden",
    );
  }
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
      await checkHost(url, opts, param);
      const res = await fetch(url, {
        redirect: "manual",
        signal,
        headers: { accept: "image/png,image/jpeg,image/gif,image/webp,image/*;q=0.8" },
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
  const jobs = imageParts(conv.turns).filter(
    (p) => p.source.type === "url" && isRemote(p.source.url),
  );
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
