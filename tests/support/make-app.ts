/**
 * An in-process gateway app on a {@link FakeBedrockRuntime}: `createApp(deps)`
 * with test defaults, for `app.request(...)` tests of routing, auth,
 * validation and errors (no sockets, no emulator).
 */

import { createApp } from "../../src/app";
import { loadConfig } from "../../src/config";
import { silentLogger } from "../../src/log";
import { ModelCatalog } from "../../src/models/catalog";
import { StaticModelResolver } from "../../src/models/resolver";
import { SqliteStore } from "../../src/state/sqlite";
import type { AppDeps } from "../../src/types";
import { FakeBedrockRuntime, type FakeScript } from "../fakes/fake-runtime";

export const TEST_MODEL = "anthropic.claude-3-7-sonnet-20250219-v1:0";

export interface TestApp {
  app: ReturnType<typeof createApp>;
  runtime: FakeBedrockRuntime;
  deps: AppDeps;
  /** POST JSON (`body` as is when a string). */
  post(path: string, body: unknown, headers?: Record<string, string>): Promise<Response>;
}

export function makeTestApp(
  opts: { env?: Record<string, string>; script?: FakeScript; deps?: Partial<AppDeps> } = {},
): TestApp {
  const config = loadConfig({ LOG_LEVEL: "error", DEFAULT_MODEL: TEST_MODEL, ...opts.env });
  const runtime = new FakeBedrockRuntime(opts.script);
  const catalog = new ModelCatalog({
    control: {
      listFoundationModels: async () => [],
      listInferenceProfiles: async () => [],
    },
    region: config.region,
    ttlMs: 60_000,
    logger: silentLogger,
  });
  const deps: AppDeps = {
    config,
    logger: silentLogger,
    runtime,
    catalog,
    models: new StaticModelResolver({
      defaultModel: config.defaultModel,
      defaultEmbeddingModel: config.defaultEmbeddingModel,
      aliases: config.modelAliases,
    }),
    store: new SqliteStore(":memory:"),
    ...opts.deps,
  };
  const app = createApp(deps);
  return {
    app,
    runtime,
    deps,
    post: async (path, body, headers = {}) =>
      app.request(path, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
  };
}
