/**
 * `reasoning.encrypted_content`: the opaque string on a reasoning output item
 * that brings Claude's thinking back when the client returns the item
 * (`store: false` clients such as Codex, or any replica of a fleet).
 *
 * Self-contained: the sealed value holds the thinking text and its signature
 * (or the redacted bytes), so no server state is needed. Bedrock verifies the
 * signature itself; the rest is ours, so it is encrypted and authenticated
 * (encrypt-then-MAC: AES-256-CTR, then HMAC-SHA256 over version, IV and
 * ciphertext, separate keys derived from one deployment secret with HKDF).
 * A client cannot forge or alter it, and cannot read the thinking of a
 * redacted block. Format: `gw1.` + base64url(iv ‖ ciphertext ‖ tag).
 *
 * @module
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from "node:crypto";
import type { ReasoningPart, RedactedReasoningPart } from "../../conversation";
import { InvalidRequestError } from "../../errors";

/** What a reasoning item carries: signed thinking and redacted blocks, in order. */
export type SealedReasoning = ReasoningPart | RedactedReasoningPart;

const VERSION = "gw1.";
const IV_BYTES = 16;
const TAG_BYTES = 32;

export class ReasoningSealer {
  readonly #encKey: Buffer;
  readonly #macKey: Buffer;

  /** @param secret the deployment secret (RESPONSES_SECRET); random when absent */
  constructor(secret: string | undefined) {
    const ikm = secret === undefined ? randomBytes(32) : Buffer.from(secret, "utf8");
    const salt = Buffer.from("bedrock-gateway responses", "utf8");
    this.#encKey = Buffer.from(hkdfSync("sha256", ikm, salt, "encrypted_content enc", 32));
    this.#macKey = Buffer.from(hkdfSync("sha256", ikm, salt, "encrypted_content mac", 32));
  }

  seal(blocks: readonly SealedReasoning[]): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-ctr", this.#encKey, iv);
    const plain = Buffer.from(JSON.stringify(blocks), "utf8");
    const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
    const tag = this.#mac(iv, ct);
    return VERSION + Buffer.concat([iv, ct, tag]).toString("base64url");
  }

  /**
   * @throws InvalidRequestError (naming `param`) when the value was not sealed by
   *   this deployment's secret or was altered
   */
  open(sealed: string, param: string): SealedReasoning[] {
    const fail = (): never => {
      throw new InvalidRequestError(
        "encrypted_content could not be verified: it was not produced by this gateway deployment (or RESPONSES_SECRET differs between replicas).",
        param,
        "invalid_encrypted_content",
      );
    };
    if (!sealed.startsWith(VERSION)) return fail();
    const raw = Buffer.from(sealed.slice(VERSION.length), "base64url");
    if (raw.length < IV_BYTES + TAG_BYTES) return fail();
    const iv = raw.subarray(0, IV_BYTES);
    const ct = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
    const tag = raw.subarray(raw.length - TAG_BYTES);
    if (!timingSafeEqual(tag, this.#mac(iv, ct))) return fail();
    const decipher = createDecipheriv("aes-256-ctr", this.#encKey, iv);
    const plain = Buffer.concat([decipher.update(ct), decipher.final()]).toString("utf8");
    try {
      const blocks = JSON.parse(plain) as unknown;
      if (Array.isArray(blocks) && blocks.every(isReasoning)) return blocks;
    } catch {
      // Authenticated but not ours in shape: treated like a forgery.
    }
    return fail();
  }

  #mac(iv: Buffer, ct: Buffer): Buffer {
    return createHmac("sha256", this.#macKey).update(VERSION).update(iv).update(ct).digest();
  }
}

function isReasoning(v: unknown): v is SealedReasoning {
  if (typeof v !== "object" || v === null) return false;
  const p = v as Record<string, unknown>;
  return (
    (p.type === "reasoning" && typeof p.text === "string") ||
    (p.type === "redacted-reasoning" && typeof p.data === "string")
  );
}
