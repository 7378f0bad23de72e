/** The admin API (issue 14's contract): virtual keys and usage. */
import { callJson } from "./api";

export interface Budget {
  tokens: number;
  period: "day" | "month" | "total";
}

export interface VirtualKey {
  id: string;
  name: string;
  models?: string[] | null;
  rpm?: number | null;
  tpm?: number | null;
  budget?: Budget | null;
  expires_at?: number | null;
  created_at?: number | null;
  /** Non-secret hint: the last characters of the secret, e.g. "...a1b2". */
  key_hint?: string | null;
  /** Tokens counted against `budget` in its current period. */
  budget_used?: number | null;
  revoked_at?: number | null;
}

export interface CreatedKey extends VirtualKey {
  key: string;
}

export interface NewKey {
  name: string;
  models?: string[];
  rpm?: number;
  tpm?: number;
  budget?: Budget;
}

export interface UsageRow {
  key_id?: string | null;
  model?: string | null;
  day?: string | null;
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}

export interface UsageQuery {
  keyId?: string;
  from?: string;
  to?: string;
  groupBy: string;
}

export async function listKeys(key: string, includeRevoked = false): Promise<VirtualKey[]> {
  const path = includeRevoked ? "/admin/keys?include_revoked=true" : "/admin/keys";
  return (await callJson<{ data: VirtualKey[] }>(key, path)).data;
}

export function createKey(key: string, body: NewKey): Promise<CreatedKey> {
  return callJson<CreatedKey>(key, "/admin/keys", { method: "POST", body });
}

export async function revokeKey(key: string, id: string): Promise<void> {
  await callJson<unknown>(key, `/admin/keys/${encodeURIComponent(id)}`, { method: "DELETE" });
}

export async function usage(key: string, q: UsageQuery): Promise<UsageRow[]> {
  const params = new URLSearchParams({ group_by: q.groupBy });
  if (q.keyId) params.set("key_id", q.keyId);
  if (q.from) params.set("from", q.from);
  if (q.to) params.set("to", q.to);
  return (await callJson<{ data: UsageRow[] }>(key, `/admin/usage?${params}`)).data;
}

export function isRevoked(k: VirtualKey): boolean {
  return k.revoked_at !== null && k.revoked_at !== undefined;
}
