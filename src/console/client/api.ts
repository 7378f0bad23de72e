/**
 * Calls to the gateway's own routes with the signed-in key as a Bearer token,
 * and the errors they answer with (OpenAI's `{error:{message,type,code}}`).
 */

const STORAGE_KEY = "bedrock-gateway.console.key";

export function storedKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function storeKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(STORAGE_KEY);
  else sessionStorage.setItem(STORAGE_KEY, key);
}

/** An error the gateway answered with, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
  }

  /** "429 rate_limit_error: Too many requests…" */
  describe(): string {
    const head = this.status > 0 ? `${this.status}` : "Network error";
    return `${head}${this.type ? ` ${this.type}` : ""}: ${this.message}`;
  }
}

interface ErrorShape {
  error?: { message?: unknown; type?: unknown; code?: unknown } | string;
  message?: unknown;
}

/** The ApiError for an OpenAI-style error object (HTTP body or stream frame). */
export function errorFrom(status: number, body: unknown, fallback: string): ApiError {
  const shape = (body ?? {}) as ErrorShape;
  const err = shape.error;
  if (typeof err === "object" && err !== null) {
    return new ApiError(
      status,
      typeof err.message === "string" ? err.message : fallback,
      typeof err.type === "string" ? err.type : null,
      typeof err.code === "string" ? err.code : null,
    );
  }
  if (typeof err === "string") return new ApiError(status, err);
  if (typeof shape.message === "string") return new ApiError(status, shape.message);
  return new ApiError(status, fallback);
}

export async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text ? { message: text.slice(0, 500) } : null;
  }
  return errorFrom(res.status, body, res.statusText || "Request failed");
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
}

/** fetch with the key; throws ApiError unless 2xx. */
export async function call(
  key: string,
  path: string,
  opts: RequestOptions = {},
): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, {
      method: opts.method ?? "GET",
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, err instanceof Error ? err.message : String(err));
  }
  if (!res.ok) throw await errorOf(res);
  return res;
}

export async function callJson<T>(
  key: string,
  path: string,
  opts: RequestOptions = {},
): Promise<T> {
  const res = await call(key, path, opts);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export interface Session {
  key: string;
  /** The data plane accepts the key: playground and embeddings. */
  chat: boolean;
  /** The admin API accepts the key: keys and usage. */
  admin: boolean;
  /** GET /v1/models for this key (empty without `chat`). */
  models: ModelInfo[];
  /** The gateway's DEFAULT_MODEL and DEFAULT_EMBEDDING_MODEL, preselected when listed. */
  defaultModel: string;
  defaultEmbeddingModel: string;
}

export async function openSession(key: string): Promise<Session> {
  const s = await callJson<{
    chat: boolean;
    admin: boolean;
    models?: ModelInfo[];
    default_model?: string;
    default_embedding_model?: string;
  }>(key, "/console/session");
  return {
    key,
    chat: s.chat,
    admin: s.admin,
    models: s.models ?? [],
    defaultModel: s.default_model ?? "",
    defaultEmbeddingModel: s.default_embedding_model ?? "",
  };
}

export interface ModelInfo {
  id: string;
  owned_by: string;
}

/** Bedrock's embedding model ids all name themselves so (titan-embed, cohere.embed, nova…embeddings). */
export function isEmbeddingModel(id: string): boolean {
  return /embed/i.test(id);
}
