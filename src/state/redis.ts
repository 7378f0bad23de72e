/**
 * The Redis (Valkey) link of a fleet: one client for the rate-limit scripts
 * and publishing, one subscribed to key changes. Never throws at the caller:
 * while Redis is down the limiter applies RATE_LIMIT_FAIL_MODE and key changes
 * still arrive through the store poll (KEY_REFRESH_MS).
 *
 * @module
 */
import { RedisClient } from "bun";
import type { Logger } from "../log";
import { redactUrl } from "./index";

export const KEYS_CHANNEL = "gw:keys";

/** How often a lost connection is retried once Bun's own reconnects gave up. */
const RECONNECT_MS = 2_000;

function client(url: string): RedisClient {
  return new RedisClient(url, {
    // Fail fast while disconnected instead of queueing behind a dead socket.
    enableOfflineQueue: false,
    connectionTimeout: 2_000,
    autoReconnect: true,
    maxRetries: 5,
  });
}

export class RedisLink {
  readonly commands: RedisClient;
  readonly #sub: RedisClient;
  #timer: ReturnType<typeof setInterval> | undefined;
  #subscribed = false;
  #closed = false;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    private readonly onKeysChanged: () => void,
  ) {
    this.commands = client(url);
    this.#sub = client(url);
    // Bun reports connection loss through onclose and rejected commands; both are handled.
    this.commands.onclose = () => {};
    this.#sub.onclose = () => {
      this.#subscribed = false;
    };
  }

  /** Connects both clients without waiting long; failure is logged, not thrown. */
  async start(): Promise<void> {
    await this.#connect();
    this.#timer = setInterval(() => {
      void this.#connect();
    }, RECONNECT_MS);
    this.#timer.unref?.();
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    try {
      if (!this.commands.connected) await this.commands.connect();
      if (!this.#subscribed) {
        if (!this.#sub.connected) await this.#sub.connect();
        await this.#sub.subscribe(KEYS_CHANNEL, () => this.onKeysChanged());
        this.#subscribed = true;
        // Changes published while we were away: catch up now.
        this.onKeysChanged();
      }
    } catch (err) {
      this.logger.warn("Redis not reachable; retrying", {
        url: redactUrl(this.url),
        cause: err instanceof Error ? err.message : String(err),
      });
    }
  }

  /** Tells every replica a key changed (best effort: the store poll is the backstop). */
  publishKeyChange(id: string): void {
    this.commands.send("PUBLISH", [KEYS_CHANNEL, id]).catch(() => {});
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    this.commands.close();
    this.#sub.close();
  }
}
