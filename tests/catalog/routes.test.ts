/**
 * The catalog through the gateway (emulator + real SDK): /v1/models, model
 * lookups, aliases, allow-list, 404s that never reach Bedrock, and the
 * steady-state promise that no request calls the control plane.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { loadConfig } from "../../src/config";
import { APPLICATION_PROFILE_ARN, startEmulator } from "../../src/emulator";
import { silentLogger } from "../../src/log";
import { startGateway } from "../../src/server";
import { EMU_CREDENTIALS, type Stack, startStack } from "../support/stack";

const SONNET_US = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const SONNET_BARE = "anthropic.claude-sonnet-4-5-20250929-v1:0";
const APP_NAME = "team-alpha-sonnet";
/** A 1×1 PNG. */
const PNG =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

interface ModelList {
  object: string;
  data: Array<{ id: string; object: string; created: number; owned_by: string }>;
}
interface ErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

const chat = (model: string | undefined, content: unknown = "hi") => ({
  ...(model === undefined ? {} : { model }),
  messages: [{ role: "user", content }],
});

/** POST a chat body to a gateway started outside a Stack. */
function postChat(url: string, body: unknown): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

function converseModelIds(s: Stack): string[] {
  return s.emu.requests
    .filter((r) => r.operation === "Converse" || r.operation === "ConverseStream")
    .map((r) => r.modelId ?? "");
}

describe("GET /v1/models", () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({ MODEL_ALIASES: "gpt-4o=us.anthropic.claude-sonnet-4-5-20250929-v1:0" });
  });
  afterAll(() => s.stop());

  test("lists foundation models, system profiles, app profiles by name and embeddings", async () => {
    for (const prefix of ["/v1", "/api/v1"]) {
      const res = await fetch(`${s.url}${prefix}/models`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as ModelList;
      expect(body.object).toBe("list");
      const ids = body.data.map((m) => m.id);
      expect(ids).toContain("amazon.nova-micro-v1:0");
      expect(ids).toContain(SONNET_US);
      expect(ids).toContain("global.anthropic.claude-sonnet-4-5-20250929-v1:0");
      expect(ids).toContain("amazon.titan-embed-text-v2:0");
      expect(ids).toContain(APP_NAME);
      // Not: profile-only bare ids, image generators, provisioned-only variants, raw app ARNs, aliases.
      for (const absent of [
        SONNET_BARE,
        "amazon.nova-canvas-v1:0",
        "anthropic.claude-3-haiku-20240307-v1:0:200k",
        APPLICATION_PROFILE_ARN,
        "gpt-4o",
      ]) {
        expect(ids).not.toContain(absent);
      }
      for (const m of body.data) {
        expect(Object.keys(m).sort()).toEqual(["created", "id", "object", "owned_by"]);
        expect(m.object).toBe("model");
        expect(Number.isInteger(m.created)).toBe(true);
      }
      expect(body.data.find((m) => m.id === SONNET_US)).toEqual({
        id: SONNET_US,
        object: "model",
        created: Date.parse("2025-09-29T00:00:00Z") / 1000,
        owned_by: "anthropic",
      });
    }
  });

  test("is stable across calls", async () => {
    const a = await (await fetch(`${s.url}/v1/models`)).json();
    const b = await (await fetch(`${s.url}/v1/models`)).json();
    expect(b).toEqual(a);
  });

  test.each([
    ["foundation id", "amazon.nova-micro-v1:0", "amazon.nova-micro-v1:0"],
    ["system profile id", SONNET_US, SONNET_US],
    ["app profile name", APP_NAME, APP_NAME],
    [
      "encoded app profile ARN",
      encodeURIComponent(APPLICATION_PROFILE_ARN),
      APPLICATION_PROFILE_ARN,
    ],
    ["raw app profile ARN", APPLICATION_PROFILE_ARN, APPLICATION_PROFILE_ARN],
    ["alias", "gpt-4o", "gpt-4o"],
    ["profile-only bare id", SONNET_BARE, SONNET_BARE],
  ])("GET /v1/models/{%s}", async (_label, path, id) => {
    const res = await fetch(`${s.url}/v1/models/${path}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as ModelList["data"][number];
    expect(body).toMatchObject({ id, object: "model" });
    expect(body.owned_by).toBe(id.startsWith("amazon") ? "amazon" : "anthropic");
  });

  test.each([
    "gpt-4-turbo",
    "anthropic.claude-v2",
    encodeURIComponent("arn:aws:bedrock:us-east-1:1:application-inference-profile/nope"),
  ])("unknown id %s is a 404 model_not_found", async (id) => {
    const res = await fetch(`${s.url}/v1/models/${id}`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.code).toBe("model_not_found");
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toContain(decodeURIComponent(id));
  });

  test("other methods are 405", async () => {
    const res = await fetch(`${s.url}/v1/models`, { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
  });
});

describe("requests resolve through the catalog", () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({
      MODEL_ALIASES: "gpt-4o=team-alpha-sonnet,text-embedding-3-small=amazon.titan-embed-text-v2:0",
      DEFAULT_MODEL: "amazon.nova-micro-v1:0",
    });
  });
  afterAll(() => s.stop());
  beforeEach(() => s.emu.reset());

  test.each([
    ["app profile name → its ARN", APP_NAME, APPLICATION_PROFILE_ARN],
    ["alias → app profile ARN", "gpt-4o", APPLICATION_PROFILE_ARN],
    ["profile-only bare id → regional profile", SONNET_BARE, SONNET_US],
    ["system profile id", SONNET_US, SONNET_US],
    ["foundation id", "meta.llama3-1-8b-instruct-v1:0", "meta.llama3-1-8b-instruct-v1:0"],
    ["omitted model → DEFAULT_MODEL", undefined, "amazon.nova-micro-v1:0"],
  ])("%s", async (_label, model, sent) => {
    const res = await s.post("/v1/chat/completions", chat(model));
    expect(res.status).toBe(200);
    expect(converseModelIds(s)).toEqual([sent]);
  });

  test.each([
    // (gpt-* names now mean DEFAULT_MODEL: tests/compat/reference-guide.test.ts)
    ["unknown id", "anthropic.claude-9"],
    ["end-of-life style typo", "us.anthropic.claude-sonnet-4-5"],
  ])("%s is a 404 that never reaches Converse", async (_label, model) => {
    const res = await s.post("/v1/chat/completions", chat(model));
    expect(res.status).toBe(404);
    const body = (await res.json()) as ErrorBody;
    expect(body.error).toMatchObject({ code: "model_not_found", param: "model" });
    expect(converseModelIds(s)).toEqual([]);
  });

  test("provisioned, custom and imported model ARNs are not listed, so Bedrock judges them", async () => {
    const arn = "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/abc123def456";
    const res = await s.post("/v1/chat/completions", chat(arn));
    expect(converseModelIds(s)).toEqual([arn]);
    // The emulator knows no provisioned models: Bedrock's own 400, not our 404.
    expect(res.status).toBe(400);
  });

  test("streaming requests for unknown models are plain 404s too", async () => {
    const res = await s.post("/v1/chat/completions", { ...chat("nope"), stream: true });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(converseModelIds(s)).toEqual([]);
  });

  test("an embedding model in chat is a 400 naming the right endpoint", async () => {
    const res = await s.post("/v1/chat/completions", chat("text-embedding-3-small"));
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error).toMatchObject({ code: "model_not_supported", param: "model" });
    expect(body.error.message).toContain("/v1/embeddings");
    expect(converseModelIds(s)).toEqual([]);
  });

  test("an image sent to a text-only model is a 400 that says so, without a Bedrock call", async () => {
    const content = [
      { type: "text", text: "what is this?" },
      { type: "image_url", image_url: { url: PNG } },
    ];
    const res = await s.post(
      "/v1/chat/completions",
      chat("meta.llama3-1-8b-instruct-v1:0", content),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error.message).toContain("image");
    expect(body.error.type).toBe("invalid_request_error");
    expect(converseModelIds(s)).toEqual([]);
  });

  test("the same image goes through to a model whose catalog entry takes images", async () => {
    const content = [
      { type: "text", text: "what is this?" },
      { type: "image_url", image_url: { url: PNG } },
    ];
    const res = await s.post("/v1/chat/completions", chat("amazon.nova-lite-v1:0", content));
    expect(res.status).toBe(200);
    expect(converseModelIds(s)).toEqual(["amazon.nova-lite-v1:0"]);
  });
});

describe("steady state costs zero AWS control-plane calls", () => {
  test("no request path calls ListFoundationModels or ListInferenceProfiles", async () => {
    const s = await startStack({
      MODEL_ALIASES: "gpt-4o=us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    });
    try {
      const control = () =>
        s.emu.requests.filter(
          (r) => r.operation === "ListFoundationModels" || r.operation === "ListInferenceProfiles",
        ).length;
      // The startup load happened before startGateway resolved.
      expect(s.emu.requests.filter((r) => r.operation === "ListFoundationModels")).toHaveLength(1);
      const atStart = control();

      for (let i = 0; i < 5; i++) {
        await fetch(`${s.url}/v1/models`);
        await fetch(`${s.url}/api/v1/models`);
        await fetch(`${s.url}/v1/models/${encodeURIComponent(APPLICATION_PROFILE_ARN)}`);
        await fetch(`${s.url}/v1/models/does-not-exist`);
        await s.post("/v1/chat/completions", chat("gpt-4o"));
        await s
          .post("/v1/chat/completions", { ...chat(SONNET_US), stream: true })
          .then((r) => r.text());
        await s.post("/v1/chat/completions", chat("unknown-model"));
        await s.post("/v1/embeddings", { model: "amazon.titan-embed-text-v2:0", input: "x" });
      }
      expect(control()).toBe(atStart);
      expect(converseModelIds(s).length).toBe(10);
    } finally {
      await s.stop();
    }
  });
});

describe("allow-list", () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack({
      MODEL_ALLOW_LIST: "us.anthropic.*, amazon.titan-embed-text-v2:0",
      MODEL_ALIASES: "cheap=amazon.nova-micro-v1:0",
      DEFAULT_MODEL: SONNET_US,
    });
  });
  afterAll(() => s.stop());
  beforeEach(() => s.emu.reset());

  test("only allowed models are listed", async () => {
    const body = (await (await fetch(`${s.url}/v1/models`)).json()) as ModelList;
    const ids = body.data.map((m) => m.id);
    expect(ids).toContain(SONNET_US);
    expect(ids).toContain("amazon.titan-embed-text-v2:0");
    expect(
      ids.every((id) => id.startsWith("us.anthropic.") || id === "amazon.titan-embed-text-v2:0"),
    ).toBe(true);
  });

  test.each([
    ["a listed-but-not-allowed model", "amazon.nova-micro-v1:0"],
    ["an alias to a model outside the list", "cheap"],
    ["an app profile outside the list", APP_NAME],
  ])("%s is a 404", async (_label, model) => {
    const res = await s.post("/v1/chat/completions", chat(model));
    expect(res.status).toBe(404);
    expect(converseModelIds(s)).toEqual([]);
    expect((await fetch(`${s.url}/v1/models/${model}`)).status).toBe(404);
  });

  test("allowed models are served", async () => {
    expect((await s.post("/v1/chat/completions", chat(SONNET_US))).status).toBe(200);
    expect((await s.post("/v1/chat/completions", chat(SONNET_BARE))).status).toBe(200);
    expect(converseModelIds(s)).toEqual([SONNET_US, SONNET_US]);
  });
});

describe("POST /v1/models/refresh", () => {
  let s: Stack;
  const auth = { authorization: "Bearer sk-test" };
  beforeAll(async () => {
    s = await startStack({ API_KEY: "sk-test", MODEL_REFRESH_MIN_INTERVAL_SECONDS: "0" });
  });
  afterAll(() => s.stop());

  test("needs the API key", async () => {
    const res = await s.post("/v1/models/refresh", {});
    expect(res.status).toBe(401);
  });

  test("reloads the catalog now: a model enabled in Bedrock appears", async () => {
    const before = s.emu.requests.filter((r) => r.operation === "ListFoundationModels").length;
    s.emu.setCatalog({
      inferenceProfiles: [
        {
          inferenceProfileName: "team-beta-micro",
          inferenceProfileArn:
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/beta1",
          inferenceProfileId: "beta1",
          models: [
            { modelArn: "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0" },
          ],
          status: "ACTIVE",
          type: "APPLICATION",
        },
      ],
    });
    expect((await fetch(`${s.url}/v1/models/team-beta-micro`, { headers: auth })).status).toBe(404);
    const res = await s.post("/v1/models/refresh", {}, auth);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; models: number };
    expect(body.status).toBe("refreshed");
    expect(s.emu.requests.filter((r) => r.operation === "ListFoundationModels").length).toBe(
      before + 1,
    );
    const model = await fetch(`${s.url}/v1/models/team-beta-micro`, { headers: auth });
    expect(model.status).toBe(200);
    expect(((await model.json()) as { owned_by: string }).owned_by).toBe("amazon");
    // Profiles were replaced wholesale: the old app profile is gone.
    expect((await fetch(`${s.url}/v1/models/${APP_NAME}`, { headers: auth })).status).toBe(404);
    s.emu.reset();
  });

  test("a failed refresh is a 502 and the previous catalog stays", async () => {
    await s.post("/v1/models/refresh", {}, auth);
    s.emu.enqueue({
      match: { operation: "ListFoundationModels" },
      error: { type: "ThrottlingException" },
    });
    const res = await s.post("/v1/models/refresh", {}, auth);
    expect(res.status).toBe(502);
    expect(((await res.json()) as ErrorBody).error.code).toBe("catalog_refresh_failed");
    expect((await fetch(`${s.url}/v1/models/${APP_NAME}`, { headers: auth })).status).toBe(200);
  });
});

describe("POST /v1/models/refresh is coalesced and rate-limited", () => {
  test("20 calls, sequential and concurrent, cost one catalog load", async () => {
    const s = await startStack({ API_KEY: "sk-test" });
    const auth = { authorization: "Bearer sk-test" };
    try {
      const loads = () =>
        s.emu.requests.filter((r) => r.operation === "ListFoundationModels").length;
      const before = loads();
      const statuses: string[] = [];
      for (let i = 0; i < 10; i++) {
        const res = await s.post("/v1/models/refresh", {}, auth);
        expect(res.status).toBe(200);
        statuses.push(((await res.json()) as { status: string }).status);
      }
      const concurrent = await Promise.all(
        Array.from({ length: 10 }, () => s.post("/v1/models/refresh", {}, auth)),
      );
      expect(concurrent.every((r) => r.status === 200)).toBe(true);
      // The catalog loaded at startup is fresh: answered as it is, no control-plane call.
      expect(statuses.every((st) => st === "fresh")).toBe(true);
      expect(loads()).toBe(before);
    } finally {
      await s.stop();
    }
  });

  test("concurrent forced reloads share one load; a failure is not retried at once", async () => {
    const s = await startStack({ API_KEY: "sk-test", MODEL_REFRESH_MIN_INTERVAL_SECONDS: "1" });
    const auth = { authorization: "Bearer sk-test" };
    try {
      await Bun.sleep(1100);
      const loads = () =>
        s.emu.requests.filter((r) => r.operation === "ListFoundationModels").length;
      const before = loads();
      const all = await Promise.all(
        Array.from({ length: 10 }, () => s.post("/v1/models/refresh", {}, auth)),
      );
      expect(all.every((r) => r.status === 200)).toBe(true);
      expect(loads()).toBe(before + 1);
      await Bun.sleep(1100);
      s.emu.enqueue({
        match: { operation: "ListFoundationModels" },
        error: { type: "ThrottlingException" },
      });
      expect((await s.post("/v1/models/refresh", {}, auth)).status).toBe(502);
      const again = await s.post("/v1/models/refresh", {}, auth);
      expect(again.status).toBe(429);
      expect(again.headers.get("retry-after")).toBe("1");
      expect(((await again.json()) as ErrorBody).error.code).toBe("refresh_rate_limited");
      expect(loads()).toBe(before + 2);
    } finally {
      await s.stop();
    }
  });
});

describe("cold start without AWS", () => {
  test("the gateway starts and answers: /health 200, the model list 503 with retry-after", async () => {
    // A port that refuses connections: bind one, then free it.
    const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    const deadUrl = `http://127.0.0.1:${probe.port}`;
    await probe.stop(true);

    const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", AWS_MAX_ATTEMPTS: "1" });
    const gw = await startGateway(config, {
      endpoint: deadUrl,
      credentials: { accessKeyId: "AKID", secretAccessKey: "x" },
      logger: silentLogger,
    });
    try {
      expect(gw.deps.catalog.status().state).toBe("cold");
      expect((await fetch(`${gw.url}/health`)).status).toBe(200);
      for (const res of [
        await fetch(`${gw.url}/v1/models`),
        await fetch(`${gw.url}/v1/models/${SONNET_US}`),
      ]) {
        expect(res.status).toBe(503);
        expect(res.headers.get("retry-after")).toBe("5");
        const body = (await res.json()) as ErrorBody;
        expect(body.error.code).toBe("model_catalog_unavailable");
      }
      // A chat request is still tried (Bedrock decides); here Bedrock is unreachable too.
      const res = await postChat(gw.url, chat(SONNET_US));
      expect(res.status).toBe(502);
      expect(((await res.json()) as ErrorBody).error.code).toBe("upstream_unreachable");
    } finally {
      await gw.stop();
    }
  });

  test("an empty inventory (never a real one) is treated like none: requests reach Bedrock", async () => {
    const emu = await startEmulator();
    emu.setCatalog({ foundationModels: [], inferenceProfiles: [] });
    const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", AWS_MAX_ATTEMPTS: "1" });
    const gw = await startGateway(config, {
      endpoint: emu.url,
      credentials: EMU_CREDENTIALS,
      logger: silentLogger,
    });
    try {
      const res = await postChat(gw.url, chat("amazon.nova-micro-v1:0"));
      // Not our 404: the request reached Bedrock (whose emptied emulator then rejects the id).
      expect(res.status).not.toBe(404);
      expect(
        emu.requests.some(
          (r) => r.operation === "Converse" && r.modelId === "amazon.nova-micro-v1:0",
        ),
      ).toBe(true);
    } finally {
      await gw.stop();
      await emu.stop();
    }
  });

  test("without permission to list models, requests are still served, unverified", async () => {
    const emu = await startEmulator();
    // The role may only invoke: every control-plane call is denied.
    emu.enqueue({
      match: { operation: ["ListFoundationModels", "ListInferenceProfiles"] },
      times: 1000,
      error: {
        type: "AccessDeniedException",
        message: "not authorized to perform bedrock:ListFoundationModels",
      },
    });
    const config = loadConfig({ PORT: "0", HOST: "127.0.0.1", AWS_MAX_ATTEMPTS: "1" });
    const gw = await startGateway(config, {
      endpoint: emu.url,
      credentials: EMU_CREDENTIALS,
      logger: silentLogger,
    });
    try {
      expect(gw.deps.catalog.status().state).toBe("cold");
      expect((await fetch(`${gw.url}/health`)).status).toBe(200);
      const ok = await postChat(gw.url, chat(SONNET_US));
      expect(ok.status).toBe(200);
      expect(emu.requests.some((r) => r.operation === "Converse" && r.modelId === SONNET_US)).toBe(
        true,
      );
      // Bedrock still judges ids it does not know.
      const bad = await postChat(gw.url, chat("no.such-model-v1:0"));
      expect(bad.status).toBe(400);
      // The family table still tells chat from embedding models.
      const wrongKind = await postChat(gw.url, chat("amazon.titan-embed-text-v2:0"));
      expect(((await wrongKind.json()) as ErrorBody).error.code).toBe("model_not_supported");
    } finally {
      await gw.stop();
      await emu.stop();
    }
  });
});
