/**
 * SigV4 header signing for the gateway's own POSTs to bedrock-runtime, the
 * same bytes as `@smithy/signature-v4`'s `sign()` (pinned by
 * tests/unit/sigv4.test.ts against it) at a fraction of its cost: Bun's
 * native SHA-256 and HMAC on strings instead of the SDK's per-call hash
 * objects, byte arrays and hex loops, the signing key derived once per
 * (date, region, service, access key), the date strings once per second
 * (measured in bench/README.md, "Session 3: per-request path").
 *
 * Only what those POSTs need: header signing (no presigning, no query
 * string), the SDK's header rules (generated headers replaced, unsignable
 * ones left out of the signature, values' whitespace folded) and its path
 * canonicalisation (segments normalised, then URI-escaped a second time).
 *
 * @module
 */
/** AWS credentials as the SDK's providers resolve them. */
export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

type Provider<T> = () => Promise<T>;
type AwsCredentialIdentity = AwsCredentials;

const ALGORITHM = "AWS4-HMAC-SHA256";
const SHA256_HEADER = "x-amz-content-sha256";
/** Headers the signer sets itself: dropped from the input, whatever their case. */
const GENERATED = new Set(["authorization", "x-amz-date", "date"]);
/** Never signed (the SDK's ALWAYS_UNSIGNABLE_HEADERS), plus `proxy-*` and `sec-*`. */
const UNSIGNABLE = new Set([
  "authorization",
  "cache-control",
  "connection",
  "expect",
  "from",
  "keep-alive",
  "max-forwards",
  "pragma",
  "referer",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "user-agent",
  "x-amzn-trace-id",
]);

type CredentialSource = AwsCredentialIdentity | Provider<AwsCredentialIdentity>;
type RegionSource = string | Provider<string>;

export interface SigV4Options {
  /** The client's credential chain (called per request: it is memoised and refreshes itself). */
  credentials: CredentialSource;
  region: RegionSource;
  service: string;
}

/** What to sign: a request's method, path (already label-encoded), host and other headers. */
export interface SignInput {
  method: string;
  path: string;
  /** Signed, not returned: the transport sets `host` from the URL. */
  host: string;
  headers: Record<string, string>;
  body: string;
}

/** Signs requests with one service and region. */
export class SigV4 {
  readonly #credentials: Provider<AwsCredentialIdentity>;
  readonly #regionSource: Provider<string>;
  readonly #service: string;
  #region: string | undefined;
  /** The last derived signing key and what it was derived from. */
  #key: { shortDate: string; region: string; id: string; secret: string; key: Buffer } | undefined;
  /** The date strings of the last second signed in. */
  #second = -1;
  #longDate = "";
  #shortDate = "";
  /** Canonical paths by request path (a handful of model ids per process). */
  readonly #paths = new Map<string, string>();

  constructor(opts: SigV4Options) {
    const { credentials, region } = opts;
    this.#credentials = typeof credentials === "function" ? credentials : async () => credentials;
    this.#regionSource = typeof region === "function" ? region : async () => region;
    this.#service = opts.service;
  }

  /**
   * The headers to send: the input's (minus `authorization`, `x-amz-date`
   * and `date`, in their order; `host` is signed but left out) then `x-amz-date`, `x-amz-security-token`
   * (session credentials), `x-amz-content-sha256` and `authorization`, as
   * the SDK's signer returns them.
   */
  async sign(req: SignInput, now: Date = new Date()): Promise<Record<string, string>> {
    const credentials = await this.#credentials();
    if (
      typeof credentials !== "object" ||
      typeof credentials.accessKeyId !== "string" ||
      typeof credentials.secretAccessKey !== "string"
    ) {
      throw new Error("Resolved credential object is not valid");
    }
    this.#region ??= await this.#regionSource();
    const region = this.#region;
    this.#dates(now.getTime());
    const longDate = this.#longDate;
    const shortDate = this.#shortDate;

    const out: Record<string, string> = {};
    let payloadHash: string | undefined;
    for (const name in req.headers) {
      const value = req.headers[name] as string;
      const lower = name.toLowerCase();
      if (GENERATED.has(lower)) continue;
      out[name] = value;
      if (payloadHash === undefined && lower === SHA256_HEADER) payloadHash = value;
    }
    out["x-amz-date"] = longDate;
    if (credentials.sessionToken) out["x-amz-security-token"] = credentials.sessionToken;
    if (payloadHash === undefined) {
      payloadHash = Bun.SHA256.hash(req.body, "hex");
      out[SHA256_HEADER] = payloadHash;
    }

    // Canonical headers: lower-case names, sorted; the SDK sorts the original
    // names and lets a later duplicate (by that order) win.
    const canonical: Record<string, string> = { host: foldValue(req.host) };
    for (const name of Object.keys(out).sort()) {
      const value = out[name];
      if (value == null) continue;
      const lower = name.toLowerCase();
      if (UNSIGNABLE.has(lower) || lower.startsWith("proxy-") || lower.startsWith("sec-")) continue;
      canonical[lower] = foldValue(value);
    }
    const names = Object.keys(canonical).sort();
    let headerBlock = "";
    for (const name of names) headerBlock += `${name}:${canonical[name]}\n`;
    const signedHeaders = names.join(";");

    const scope = `${shortDate}/${region}/${this.#service}/aws4_request`;
    const canonicalRequest = `${req.method}\n${this.#canonicalPath(req.path)}\n\n${headerBlock}\n${signedHeaders}\n${payloadHash}`;
    const stringToSign = `${ALGORITHM}\n${longDate}\n${scope}\n${Bun.SHA256.hash(canonicalRequest, "hex")}`;
    const signature = new Bun.CryptoHasher(
      "sha256",
      this.#signingKey(shortDate, region, credentials),
    )
      .update(stringToSign)
      .digest("hex");
    out.authorization = `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return out;
  }

  /** `YYYYMMDDTHHMMSSZ` and `YYYYMMDD`, recomputed once per second. */
  #dates(ms: number): void {
    const second = Math.floor(ms / 1000);
    if (second === this.#second) return;
    const iso = new Date(second * 1000).toISOString(); // 2026-12-01T20:53:24.000Z
    this.#shortDate = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`;
    this.#longDate = `${this.#shortDate}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
    this.#second = second;
  }

  #signingKey(shortDate: string, region: string, credentials: AwsCredentialIdentity): Buffer {
    const cached = this.#key;
    if (
      cached !== undefined &&
      cached.shortDate === shortDate &&
      cached.region === region &&
      cached.id === credentials.accessKeyId &&
      cached.secret === credentials.secretAccessKey
    ) {
      return cached.key;
    }
    let key: string | Buffer = `AWS4${credentials.secretAccessKey}`;
    for (const part of [shortDate, region, this.#service, "aws4_request"]) {
      key = new Bun.CryptoHasher("sha256", key).update(part).digest();
    }
    const derived = key as Buffer;
    this.#key = {
      shortDate,
      region,
      id: credentials.accessKeyId,
      secret: credentials.secretAccessKey,
      key: derived,
    };
    return derived;
  }

  /** The SDK's canonical path: `.`/`..`/empty segments resolved, then escaped again. */
  #canonicalPath(path: string): string {
    let canonical = this.#paths.get(path);
    if (canonical !== undefined) return canonical;
    const segments: string[] = [];
    for (const segment of path.split("/")) {
      if (segment.length === 0 || segment === ".") continue;
      if (segment === "..") segments.pop();
      else segments.push(segment);
    }
    const normalized = `${path.startsWith("/") ? "/" : ""}${segments.join("/")}${
      segments.length > 0 && path.endsWith("/") ? "/" : ""
    }`;
    canonical = escapeUri(normalized).replace(/%2F/g, "/");
    // Bounded: model ids come from a catalog, but a caller could name many.
    if (this.#paths.size >= 1024) this.#paths.clear();
    this.#paths.set(path, canonical);
    return canonical;
  }
}

/** The SDK's escapeUri: encodeURIComponent plus !'()*. */
function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** A header value as the SDK signs it: line breaks and runs of blanks to one space, one edge space off. */
function foldValue(value: string): string {
  if (!/[\r\n\t]| {2}|^ | $/.test(value)) return value;
  return value
    .replace(/[\r\n]/g, " ")
    .replace(/[ \t]+/g, " ")
    .replace(/^ | $/g, "");
}
