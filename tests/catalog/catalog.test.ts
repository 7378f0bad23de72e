/**
 * ModelCatalog against the emulator through the real SDK control client:
 * pagination, TTL refresh (stale-while-revalidate), failures keeping the last
 * good catalog, cold-start retries. The clock is injected, so TTLs need no sleeps.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createControlClient, SdkBedrockControl } from "../../src/bedrock/control";
import {
  type Emulator,
  FOUNDATION_MODELS,
  INFERENCE_PROFILES,
  startEmulator,
} from "../../src/emulator";
import { ModelNotFoundError } from "../../src/errors";
import { createLogger, type Logger } from "../../src/log";
import { ModelCatalog, type ModelCatalogOptions } from "../../src/models/catalog";
import { CatalogModelResolver } from "../../src/models/resolver";
import { EMU_CREDENTIALS } from "../support/stack";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.stop();
});
beforeEach(() => emu.reset());

interface LogLine {
  level: string;
  msg: string;
}

function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger("debug", (line) => {
    const { level, msg } = JSON.parse(line) as LogLine;
    lines.push({ level, msg });
  });
  return { logger, lines };
}

function control(pageSize?: number): SdkBedrockControl {
  const client = createControlClient({
    region: "us-east-1",
    maxAttempts: 1,
    endpoint: emu.url,
    credentials: EMU_CREDENTIALS,
  });
  return new SdkBedrockControl(client, pageSize);
}

/** A catalog on a fake clock; `clock.t` is the current ms. */
function makeCatalog(over: Partial<ModelCatalogOptions> = {}) {
  const clock = { t: 1_000_000 };
  const { logger, lines } = recordingLogger();
  const catalog = new ModelCatalog({
    control: control(),
    region: "us-east-1",
    ttlMs: 60_000,
    logger,
    now: () => clock.t,
    ...over,
  });
  return { catalog, clock, lines };
}

const ops = (name: string) => emu.requests.filter((r) => r.operation === name);

/** Waits for a background promise chain to settle (polls an observable condition). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await Bun.sleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const SYSTEM = INFERENCE_PROFILES.filter((p) => p.type === "SYSTEM_DEFINED");

describe("pagination", () => {
  test("walks every ListInferenceProfiles page with nextToken", async () => {
    const profiles = await control(5).listInferenceProfiles("SYSTEM_DEFINED");
    expect(profiles.map((p) => p.inferenceProfileId)).toEqual(
      SYSTEM.map((p) => p.inferenceProfileId),
    );
    const pages = ops("ListInferenceProfiles");
    expect(pages).toHaveLength(Math.ceil(SYSTEM.length / 5));
    expect(pages[0]?.query).toMatchObject({ type: "SYSTEM_DEFINED", maxResults: "5" });
    expect(pages[0]?.query.nextToken).toBeUndefined();
    expect(pages[1]?.query.nextToken).toBeString();
  });

  test("a catalog built from 1-item pages lists every profile", async () => {
    const { catalog } = makeCatalog({ control: control(1) });
    const snap = await catalog.refresh();
    for (const p of SYSTEM) expect(snap.lookup(p.inferenceProfileId)).toBeDefined();
    expect(snap.lookup("team-alpha-sonnet")).toBeDefined();
    // One profile per page; the last page of each type carries no nextToken.
    expect(ops("ListInferenceProfiles").length).toBe(INFERENCE_PROFILES.length);
    expect(ops("ListFoundationModels")).toHaveLength(1);
  });

  test("foundation models are listed unfiltered, in one call", async () => {
    const models = await control().listFoundationModels();
    expect(models.map((m) => m.modelId)).toEqual(FOUNDATION_MODELS.map((m) => m.modelId));
    expect(ops("ListFoundationModels")[0]?.query).toEqual({});
  });

  test("profile toggles skip the listings they turn off", async () => {
    const { catalog } = makeCatalog({ systemProfiles: false, applicationProfiles: false });
    const snap = await catalog.refresh();
    expect(ops("ListInferenceProfiles")).toHaveLength(0);
    expect(snap.entries.every((e) => e.kind === "foundation")).toBe(true);
  });
});

describe("TTL and stale-while-revalidate", () => {
  test("reads within the TTL cost no AWS call; after it, one background refresh", async () => {
    const { catalog, clock } = makeCatalog();
    const first = await catalog.refresh();
    const calls = emu.requests.length;

    for (let i = 0; i < 50; i++) expect(catalog.current()).toBe(first);
    clock.t += 59_999;
    expect(catalog.current()).toBe(first);
    expect(catalog.status().refreshing).toBe(false);
    expect(emu.requests.length).toBe(calls);

    // A model appears in Bedrock; the stale snapshot keeps answering until the refresh lands.
    const template = FOUNDATION_MODELS.find((m) => m.modelId === "amazon.nova-micro-v1:0");
    if (!template) throw new Error("fixture changed");
    emu.setCatalog({
      foundationModels: [...FOUNDATION_MODELS, { ...template, modelId: "amazon.brand-new-v1:0" }],
    });
    clock.t += 1;
    expect(catalog.current()).toBe(first);
    expect(catalog.status().refreshing).toBe(true);
    expect(catalog.current()).toBe(first); // the second stale read does not start another load
    await until(() => catalog.current() !== first, "the background refresh");
    expect(ops("ListFoundationModels")).toHaveLength(2);
    expect(catalog.current()?.lookup("amazon.brand-new-v1:0")).toBeDefined();
    expect(first.lookup("amazon.brand-new-v1:0")).toBeUndefined();
  });

  test("a request for a model it lacks reloads a catalog older than a minute, at most once a minute", async () => {
    // TTL of an hour: only the miss can trigger these loads.
    const { catalog, clock } = makeCatalog({ ttlMs: 3_600_000 });
    const resolver = new CatalogModelResolver(catalog, {
      defaultModel: "amazon.nova-micro-v1:0",
      defaultEmbeddingModel: "amazon.titan-embed-text-v2:0",
      aliases: {},
    });
    await catalog.refresh();
    const template = FOUNDATION_MODELS.find((m) => m.modelId === "amazon.nova-micro-v1:0");
    if (!template) throw new Error("fixture changed");
    emu.setCatalog({
      foundationModels: [...FOUNDATION_MODELS, { ...template, modelId: "amazon.brand-new-v1:0" }],
    });
    const miss = () =>
      expect(() => resolver.resolve("amazon.brand-new-v1:0", "chat")).toThrow(ModelNotFoundError);

    clock.t += 30_000; // a fresh catalog: a miss is just a miss
    miss();
    expect(catalog.status().refreshing).toBe(false);

    clock.t += 31_000; // over a minute old: the miss reloads it in the background
    miss();
    expect(catalog.status().refreshing).toBe(true);
    await until(() => !catalog.status().refreshing, "the reload");
    expect(resolver.resolve("amazon.brand-new-v1:0", "chat").id).toBe("amazon.brand-new-v1:0");

    // Repeated misses (a typo) cost at most one load per minute.
    clock.t += 61_000;
    expect(() => resolver.resolve("no.such-model", "chat")).toThrow(ModelNotFoundError);
    await until(() => !catalog.status().refreshing, "the reload");
    for (let i = 0; i < 20; i++)
      expect(() => resolver.resolve("no.such-model", "chat")).toThrow(ModelNotFoundError);
    expect(ops("ListFoundationModels")).toHaveLength(3);
  });

  test("concurrent forced refreshes share one load", async () => {
    const { catalog } = makeCatalog();
    const [a, b, c] = await Promise.all([catalog.refresh(), catalog.refresh(), catalog.refresh()]);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(ops("ListFoundationModels")).toHaveLength(1);
  });

  test("created stays stable across refreshes for models Bedrock gives no date", async () => {
    const { catalog, clock } = makeCatalog();
    const before = (await catalog.refresh()).lookup("amazon.nova-micro-v1:0")?.created;
    clock.t += 3_600_000;
    const after = (await catalog.refresh()).lookup("amazon.nova-micro-v1:0")?.created;
    expect(before).toBe(Math.floor(1_000_000 / 1000));
    expect(after).toBe(before);
  });
});

describe("failures", () => {
  test("a failed refresh keeps the last good catalog, logs once, and retries after a backoff", async () => {
    const { catalog, clock, lines } = makeCatalog({ retryMinMs: 10_000 });
    const good = await catalog.refresh();

    emu.enqueue({
      match: { operation: "ListFoundationModels" },
      error: { type: "ThrottlingException", message: "Rate exceeded" },
      times: 2,
    });
    clock.t += 60_000;
    expect(catalog.current()).toBe(good);
    await until(() => catalog.status().failures === 1, "the first failure");
    expect(catalog.current()).toBe(good);
    expect(catalog.status()).toMatchObject({ state: "ready", failures: 1 });
    expect(catalog.status().lastError).toContain("Rate exceeded");

    // Within the backoff no read retries.
    clock.t += 9_999;
    catalog.current();
    expect(catalog.status().refreshing).toBe(false);

    clock.t += 1;
    catalog.current();
    await until(() => catalog.status().failures === 2, "the second failure");
    expect(catalog.current()).toBe(good);

    const warnings = lines.filter((l) => l.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toContain("serving the last good catalog");

    // Backoff doubled: 20 s now.
    clock.t += 20_000;
    catalog.current();
    await until(() => catalog.current() !== good, "recovery");
    expect(catalog.status()).toMatchObject({ state: "ready", failures: 0 });
    expect(lines.some((l) => l.level === "info" && l.msg.includes("after failures"))).toBe(true);
  });

  test("a failed forced refresh rejects and keeps the old snapshot", async () => {
    const { catalog } = makeCatalog();
    const good = await catalog.refresh();
    emu.enqueue({
      match: { operation: "ListInferenceProfiles" },
      error: { type: "AccessDeniedException", message: "not allowed" },
    });
    await expect(catalog.refresh()).rejects.toMatchObject({ name: "AccessDeniedException" });
    expect(catalog.current()).toBe(good);
  });

  test("a cold start that fails retries in the background until it loads", async () => {
    const { catalog, lines } = makeCatalog({ retryMinMs: 5, retryMaxMs: 20 });
    emu.enqueue({
      match: { operation: "ListFoundationModels" },
      error: { type: "ServiceUnavailableException" },
      times: 3,
    });
    expect(await catalog.start(5_000)).toBe(false);
    expect(catalog.current()).toBeUndefined();
    expect(catalog.status().state).toBe("cold");
    await until(() => catalog.current() !== undefined, "the background load");
    expect(ops("ListFoundationModels")).toHaveLength(4);
    expect(lines.filter((l) => l.level === "warn")).toHaveLength(1);
    expect(lines.find((l) => l.level === "warn")?.msg).toContain("503 until it loads");
    catalog.stop();
  });

  test("stop() cancels cold-start retries", async () => {
    const { catalog } = makeCatalog({ retryMinMs: 5, retryMaxMs: 5 });
    emu.enqueue({
      match: { operation: "ListFoundationModels" },
      error: { type: "ServiceUnavailableException" },
      times: 100,
    });
    await catalog.start(5_000);
    catalog.stop();
    const calls = ops("ListFoundationModels").length;
    await Bun.sleep(50);
    expect(ops("ListFoundationModels").length).toBe(calls);
  });

  test("start() gives up waiting after waitMs while the load continues", async () => {
    const { catalog } = makeCatalog();
    emu.enqueue({ match: { operation: "ListFoundationModels" }, delayMs: 200 });
    expect(await catalog.start(20)).toBe(false);
    await until(() => catalog.current() !== undefined, "the slow first load");
  });
});
