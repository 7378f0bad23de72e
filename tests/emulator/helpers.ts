/**
 * Shared test setup: an in-process emulator on an ephemeral port and the REAL SDK clients,
 * over HTTP/1.1 (FetchHttpHandler), with retries off so request counts are exact.
 */
import { BedrockClient } from "@aws-sdk/client-bedrock";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { FetchHttpHandler } from "@smithy/fetch-http-handler";
import type { Emulator } from "../../src/emulator";

export const SONNET_45_US = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
export const HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0";

function common(emu: Emulator) {
  return {
    region: "us-east-1",
    endpoint: emu.url,
    credentials: { accessKeyId: "AKIDEMU", secretAccessKey: "emu" },
    maxAttempts: 1,
    requestHandler: new FetchHttpHandler(),
  };
}

export function runtimeClient(emu: Emulator): BedrockRuntimeClient {
  return new BedrockRuntimeClient(common(emu));
}

export function controlClient(emu: Emulator): BedrockClient {
  return new BedrockClient(common(emu));
}

/** A single-turn user message. */
export function userSays(text: string) {
  return [{ role: "user" as const, content: [{ text }] }];
}

/** Collects every event of a ConverseStream / IMWRS response. */
export async function collect<T>(stream: AsyncIterable<T> | undefined): Promise<T[]> {
  const out: T[] = [];
  if (!stream) return out;
  for await (const event of stream) out.push(event);
  return out;
}

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await fn();
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error("expected a rejection");
}

/** Waits until a condition holds (event-driven assertions, not timing assertions). */
export async function until(condition: () => boolean, what: string, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}
