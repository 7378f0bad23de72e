/** A gateway with the admin API on, plus helpers to create and use virtual keys. */
import { expect } from "bun:test";
import { API_KEY, MODEL, type OpsStack, startOpsStack } from "../ops/helpers";

export { API_KEY, MODEL };
export const ADMIN_KEY = "admin-test-key-0123456789";
export const EMBED_MODEL = "amazon.titan-embed-text-v2:0";

export interface TeamsStack extends OpsStack {
  admin(method: string, path: string, body?: unknown, key?: string): Promise<Response>;
  /** Creates a key (201 checked) and returns the answer. */
  createKey(
    body: Record<string, unknown>,
  ): Promise<{ id: string; key: string } & Record<string, unknown>>;
  /** POST /v1/chat/completions with a virtual key. */
  chatAs(
    key: string,
    body?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<Response>;
  /** Bedrock runtime calls the emulator received so far. */
  bedrockCalls(): number;
}

export async function startTeamsStack(env: Record<string, string> = {}): Promise<TeamsStack> {
  const s = await startOpsStack({ ADMIN_API_KEY: ADMIN_KEY, ...env });
  const admin = (method: string, path: string, body?: unknown, key = ADMIN_KEY) =>
    fetch(`${s.gw.url}${path}`, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined
        ? { body: typeof body === "string" ? body : JSON.stringify(body) }
        : {}),
    });
  return {
    ...s,
    admin,
    createKey: async (body) => {
      const r = await admin("POST", "/admin/keys", body);
      expect(r.status).toBe(201);
      return (await r.json()) as { id: string; key: string };
    },
    chatAs: (key, body = {}, headers = {}) =>
      fetch(`${s.gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}`, ...headers },
        body: JSON.stringify({
          model: MODEL,
          messages: [{ role: "user", content: "hello there" }],
          ...body,
        }),
      }),
    bedrockCalls: () =>
      s.emu.requests.filter(
        (r) =>
          r.operation === "Converse" ||
          r.operation === "ConverseStream" ||
          r.operation === "InvokeModel",
      ).length,
  };
}
