/**
 * The model catalog: what this gateway serves, built from Bedrock's own
 * inventory (ListFoundationModels + ListInferenceProfiles), cached in memory
 * and refreshed in the background.
 *
 * Two halves:
 * - {@link buildSnapshot}: a pure function from the listings to an immutable
 *   {@link CatalogSnapshot} (what is listed, how every accepted name resolves,
 *   each entry's capabilities).
 * - {@link ModelCatalog}: owns the current snapshot. Requests read it
 *   synchronously and never wait on AWS; a stale snapshot triggers one
 *   background refresh (stale-while-revalidate); a failed refresh keeps the
 *   last good snapshot and is logged once per failure streak; a cold start
 *   that fails retries on a backoff timer.
 *
 * @module
 */
import type { BedrockControl, FoundationModelInfo, InferenceProfileInfo } from "../bedrock/control";
import type { Logger } from "../log";
import { capabilitiesOf, type ModelCapabilities, withMetadata } from "./capabilities";

export type EntryKind = "foundation" | "system-profile" | "application-profile";
export type ModelType = "chat" | "embedding";

/** One servable model, under the id /v1/models lists. */
export interface CatalogEntry {
  /** Listed id: foundation id, system profile id (us.…, global.…) or application profile name. */
  id: string;
  /** What is sent to Bedrock as modelId (application profiles: their ARN). */
  invokeId: string;
  arn: string;
  kind: EntryKind;
  type: ModelType;
  /** The foundation model that answers (for profiles: the source-region model). */
  foundationModelId: string;
  /** OpenAI's `owned_by`: the provider name, lowercased. */
  ownedBy: string;
  /** Unix seconds: from Bedrock when it says, else the catalog's first load time. */
  created: number;
  caps: ModelCapabilities;
}

export interface CatalogSnapshot {
  /** Listed entries, sorted by id. */
  readonly entries: readonly CatalogEntry[];
  /** Wall-clock ms of the load that produced this snapshot. */
  readonly loadedAt: number;
  /**
   * The entry a name stands for: a listed id, an ARN, an application
   * profile's short id, or a profile-only foundation id (→ its system profile).
   */
  lookup(name: string): CatalogEntry | undefined;
}

export interface BuildInput {
  foundationModels: readonly FoundationModelInfo[];
  systemProfiles: readonly InferenceProfileInfo[];
  applicationProfiles: readonly InferenceProfileInfo[];
}

export interface BuildOptions {
  /** The gateway's region: picks us./eu./apac.… profiles for profile-only ids. */
  region: string;
  /** Patterns (`*` wildcard) of ids or ARNs to serve; empty serves everything. */
  allowList: readonly string[];
  /** Unix seconds used as `created` when Bedrock gives none. */
  fallbackCreated: number;
  /** Wall-clock ms recorded as the snapshot's load time. */
  loadedAt: number;
}

/** Lifecycle states Bedrock still serves (LEGACY models answer until their end of life). */
const SERVED_LIFECYCLE = new Set(["ACTIVE", "LEGACY"]);

/**
 * Profile id prefixes for a region, most local first. Profiles are listed
 * per region, so any profile in the listing is callable; this only picks
 * which one a bare profile-only foundation id means.
 */
export function profilePrefixes(region: string): string[] {
  const rules: Array<[RegExp, string[]]> = [
    [/^us-gov-/, ["us-gov"]],
    [/^us-/, ["us"]],
    [/^eu-/, ["eu"]],
    [/^ap-northeast-1$/, ["jp", "apac"]],
    [/^ap-southeast-(2|4)$/, ["au", "apac"]],
    [/^ap-/, ["apac"]],
    [/^ca-/, ["ca"]],
  ];
  const local = rules.find(([re]) => re.test(region))?.[1] ?? [];
  return [...local, "global"];
}

/** `arn:…:foundation-model/<id>` → `<id>`. */
function modelIdOfArn(arn: string): string {
  const slash = arn.lastIndexOf("/");
  return slash >= 0 ? arn.slice(slash + 1) : arn;
}

/** What a foundation model is served as, or undefined if it is not served at all. */
function modelTypeOf(m: FoundationModelInfo): ModelType | undefined {
  if (m.lifecycleStatus !== undefined && !SERVED_LIFECYCLE.has(m.lifecycleStatus)) return undefined;
  if (m.outputModalities.includes("EMBEDDING")) return "embedding";
  // Text models that cannot stream are rerankers and legacy completion-only
  // models: Converse does not serve them (the reference filters them the same way).
  if (m.outputModalities.includes("TEXT") && m.responseStreamingSupported !== false) return "chat";
  return undefined;
}

/** `*` matches any run of characters; everything else is literal. */
function compilePattern(pattern: string): RegExp {
  const body = pattern
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`);
}

function toUnixSeconds(d: Date | undefined): number | undefined {
  if (!d || Number.isNaN(d.getTime())) return undefined;
  return Math.floor(d.getTime() / 1000);
}

interface Served {
  model: FoundationModelInfo;
  type: ModelType;
  caps: ModelCapabilities;
}

/** Builds an immutable snapshot from Bedrock's listings. Pure. */
export function buildSnapshot(input: BuildInput, opts: BuildOptions): CatalogSnapshot {
  const served = new Map<string, Served>();
  for (const model of input.foundationModels) {
    const type = modelTypeOf(model);
    if (!type) continue;
    const caps = withMetadata(capabilitiesOf(model.modelId), model);
    served.set(model.modelId, { model, type, caps });
  }

  const entries: CatalogEntry[] = [];
  const keys = new Map<string, CatalogEntry>();
  const patterns = opts.allowList.map(compilePattern);
  const allowed = (...names: string[]) =>
    patterns.length === 0 || names.some((n) => patterns.some((p) => p.test(n)));

  const add = (entry: CatalogEntry, extraKeys: string[] = []) => {
    if (!allowed(entry.id, entry.invokeId, entry.arn)) return;
    entries.push(entry);
    for (const key of [entry.id, entry.invokeId, entry.arn, ...extraKeys]) {
      if (!keys.has(key)) keys.set(key, entry);
    }
  };

  const common = (s: Served) => ({
    type: s.type,
    foundationModelId: s.model.modelId,
    ownedBy: (s.model.providerName ?? s.model.modelId.split(".")[0] ?? "bedrock").toLowerCase(),
    caps: s.caps,
  });

  for (const s of served.values()) {
    if (!s.model.inferenceTypesSupported.includes("ON_DEMAND")) continue;
    add({
      id: s.model.modelId,
      invokeId: s.model.modelId,
      arn: s.model.modelArn,
      kind: "foundation",
      created: toUnixSeconds(s.model.startOfLifeTime) ?? opts.fallbackCreated,
      ...common(s),
    });
  }

  /** The foundation model a profile runs on, if the catalog serves it. */
  const sourceOf = (p: InferenceProfileInfo): Served | undefined => {
    if (p.status !== undefined && p.status !== "ACTIVE") return undefined;
    const first = p.modelArns[0];
    return first ? served.get(modelIdOfArn(first)) : undefined;
  };

  const systemByModel = new Map<string, CatalogEntry[]>();
  for (const p of input.systemProfiles) {
    const s = sourceOf(p);
    if (!s) continue;
    const entry: CatalogEntry = {
      id: p.inferenceProfileId,
      invokeId: p.inferenceProfileId,
      arn: p.inferenceProfileArn,
      kind: "system-profile",
      created: toUnixSeconds(p.createdAt) ?? opts.fallbackCreated,
      ...common(s),
    };
    const before = entries.length;
    add(entry);
    if (entries.length > before) {
      const list = systemByModel.get(s.model.modelId) ?? [];
      list.push(entry);
      systemByModel.set(s.model.modelId, list);
    }
  }

  for (const p of input.applicationProfiles) {
    const s = sourceOf(p);
    if (!s) continue;
    // Listed by name (what people recognise); by ARN if the name is taken.
    const name = p.inferenceProfileName;
    const id = name && !keys.has(name) && !served.has(name) ? name : p.inferenceProfileArn;
    add(
      {
        id,
        invokeId: p.inferenceProfileArn,
        arn: p.inferenceProfileArn,
        kind: "application-profile",
        created: toUnixSeconds(p.createdAt) ?? opts.fallbackCreated,
        ...common(s),
      },
      [p.inferenceProfileId],
    );
  }

  // A bare id of a profile-only model (Claude 4.x, Nova Premier…) means its
  // system profile in the gateway's geography, then global, then any listed one.
  const prefixes = profilePrefixes(opts.region);
  for (const [modelId, profiles] of systemByModel) {
    if (keys.has(modelId)) continue;
    const rank = (e: CatalogEntry) => {
      const i = prefixes.indexOf(e.id.slice(0, e.id.indexOf(".")));
      return i < 0 ? prefixes.length : i;
    };
    const best = [...profiles].sort((a, b) => rank(a) - rank(b))[0];
    const model = served.get(modelId)?.model;
    if (!best || !model) continue;
    keys.set(modelId, best);
    if (!keys.has(model.modelArn)) keys.set(model.modelArn, best);
  }

  entries.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    entries,
    loadedAt: opts.loadedAt,
    lookup: (name) => keys.get(name),
  };
}

export interface ModelCatalogOptions {
  control: BedrockControl;
  region: string;
  /** How long a snapshot is fresh; after that the next read refreshes in the background. */
  ttlMs: number;
  allowList?: readonly string[];
  /** List SYSTEM_DEFINED (cross-region) profiles. */
  systemProfiles?: boolean;
  /** List APPLICATION profiles. */
  applicationProfiles?: boolean;
  logger: Logger;
  /** Wall clock in ms; tests move it. */
  now?: () => number;
  /** First retry delay after a failure; doubles up to {@link retryMaxMs}. */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export interface CatalogStatus {
  state: "cold" | "ready";
  models: number;
  loadedAt?: number;
  /** Consecutive failed loads. */
  failures: number;
  /** A load is in flight. */
  refreshing: boolean;
  lastError?: string;
}

function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** The live catalog. See the module comment for the refresh policy. */
export class ModelCatalog {
  readonly #opts: Required<Omit<ModelCatalogOptions, "allowList">> & {
    allowList: readonly string[];
  };
  #snapshot: CatalogSnapshot | undefined;
  #inflight: Promise<CatalogSnapshot> | undefined;
  #nextRefreshAt = 0;
  #failures = 0;
  #lastError: string | undefined;
  #firstLoadedAt: number | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  /** Run after every successful load (the resolver checks its defaults and aliases). */
  #listeners: Array<(s: CatalogSnapshot) => void> = [];

  constructor(opts: ModelCatalogOptions) {
    this.#opts = {
      allowList: [],
      systemProfiles: true,
      applicationProfiles: true,
      now: Date.now,
      retryMinMs: 1_000,
      retryMaxMs: 60_000,
      ...opts,
    };
  }

  /**
   * The current snapshot, or undefined before the first successful load.
   * Never waits: when the snapshot is stale it starts one background refresh.
   */
  current(): CatalogSnapshot | undefined {
    if (
      this.#snapshot &&
      !this.#inflight &&
      !this.#stopped &&
      this.#opts.now() >= this.#nextRefreshAt
    ) {
      // Errors are logged inside; the stale snapshot keeps serving.
      this.refresh().catch(() => {});
    }
    return this.#snapshot;
  }

  /**
   * First load, for startup. Resolves true once loaded, false when the first
   * attempt failed or `waitMs` passed (loading then continues in the background).
   */
  async start(waitMs: number): Promise<boolean> {
    const first = this.refresh().then(
      () => true,
      () => false,
    );
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), waitMs);
    });
    try {
      return await Promise.race([first, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #lastMissRefreshAt = Number.NEGATIVE_INFINITY;

  /**
   * A request named a model the catalog does not have: it may have been enabled
   * or released since the last load. Starts one background refresh, at most one
   * per `minIntervalMs` and only when the snapshot is that old, so a client
   * repeating a typo costs at most one control-plane load per interval.
   */
  refreshAfterMiss(minIntervalMs: number): void {
    const now = this.#opts.now();
    const loadedAt = this.#snapshot?.loadedAt ?? Number.NEGATIVE_INFINITY;
    if (this.#inflight || this.#stopped) return;
    if (now - loadedAt < minIntervalMs || now - this.#lastMissRefreshAt < minIntervalMs) return;
    this.#lastMissRefreshAt = now;
    // Errors are logged inside; the current snapshot keeps serving.
    this.refresh().catch(() => {});
  }

  /** Loads now (joining a load in flight). Rejects on failure; the last good snapshot stays. */
  refresh(): Promise<CatalogSnapshot> {
    if (this.#inflight) return this.#inflight;
    const run = this.#load().finally(() => {
      this.#inflight = undefined;
    });
    this.#inflight = run;
    return run;
  }

  /** Called with each new snapshot. */
  onLoad(listener: (s: CatalogSnapshot) => void): void {
    this.#listeners.push(listener);
  }

  status(): CatalogStatus {
    const s = this.#snapshot;
    return {
      state: s ? "ready" : "cold",
      models: s?.entries.length ?? 0,
      ...(s ? { loadedAt: s.loadedAt } : {}),
      failures: this.#failures,
      refreshing: this.#inflight !== undefined,
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
    };
  }

  /** Stops background retries and refreshes (shutdown). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
  }

  async #fetch(): Promise<BuildInput> {
    const { control } = this.#opts;
    const none = Promise.resolve<InferenceProfileInfo[]>([]);
    const [foundationModels, systemProfiles, applicationProfiles] = await Promise.all([
      control.listFoundationModels(),
      this.#opts.systemProfiles ? control.listInferenceProfiles("SYSTEM_DEFINED") : none,
      this.#opts.applicationProfiles ? control.listInferenceProfiles("APPLICATION") : none,
    ]);
    return { foundationModels, systemProfiles, applicationProfiles };
  }

  async #load(): Promise<CatalogSnapshot> {
    const { now, logger } = this.#opts;
    try {
      const input = await this.#fetch();
      const loadedAt = now();
      this.#firstLoadedAt ??= Math.floor(loadedAt / 1000);
      const snapshot = buildSnapshot(input, {
        region: this.#opts.region,
        allowList: this.#opts.allowList,
        fallbackCreated: this.#firstLoadedAt,
        loadedAt,
      });
      this.#snapshot = snapshot;
      this.#nextRefreshAt = loadedAt + this.#opts.ttlMs;
      if (this.#failures > 0) {
        logger.info("model catalog loaded after failures", { failures: this.#failures });
      }
      this.#failures = 0;
      this.#lastError = undefined;
      logger.debug("model catalog loaded", { models: snapshot.entries.length });
      for (const listener of this.#listeners) listener(snapshot);
      return snapshot;
    } catch (err) {
      this.#onFailure(err);
      throw err;
    }
  }

  #onFailure(err: unknown): void {
    const { now, logger, retryMinMs, retryMaxMs } = this.#opts;
    this.#failures += 1;
    this.#lastError = describeError(err);
    const delay = Math.min(retryMaxMs, retryMinMs * 2 ** (this.#failures - 1));
    // One warning per failure streak; the rest go to debug so an outage does not flood logs.
    const level = this.#failures === 1 ? "warn" : "debug";
    logger[level](
      this.#snapshot
        ? "model catalog refresh failed; serving the last good catalog"
        : "model catalog load failed; model requests get 503 until it loads",
      { error: this.#lastError, retryInMs: delay },
    );
    this.#nextRefreshAt = now() + delay;
    // Warm: the next read after the delay retries. Cold: nobody may read, so a timer does.
    if (!this.#snapshot && !this.#stopped) {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = setTimeout(() => {
        if (!this.#stopped) this.refresh().catch(() => {});
      }, delay);
      this.#retryTimer.unref?.();
    }
  }
}
