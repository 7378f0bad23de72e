/**
 * The admin API contract and virtual keys on the data plane, on one gateway
 * with the default SQLite store (temp DATA_DIR) and the Bedrock emulator.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startOpsStack } from "../ops/helpers";
import {
  ADMIN_KEY,
  API_KEY,
  EMBED_MODEL,
  MODEL,
  startTeamsStack,
  type TeamsStack,
} from "./helpers";

let s: TeamsStack;
beforeAll(async () => {
  s = await startTeamsStack();
});
afterAll(async () => {
  await s.stop();
});

describe("admin auth", () => {
  test("ADMIN_API_KEY unset: every /admin path is 404", async () => {
    const off = await startOpsStack();
    try {
      for (const path of ["/admin/keys", "/admin/usage", "/admin/keys/key_x", "/admin"]) {
        const r = await fetch(`${off.gw.url}${path}`, {
          headers: { authorization: `Bearer ${API_KEY}` },
        });
        expect(r.status).toBe(404);
      }
    } finally {
      await off.stop();
    }
  });

  test("missing, wrong, static and virtual keys are 401 in OpenAI's shape", async () => {
    const vk = await s.createKey({ name: "not-an-admin" });
    for (const key of ["", "wrong-admin-key-123456", API_KEY, vk.key]) {
      const r = await s.admin("GET", "/admin/keys", undefined, key);
      expect(r.status).toBe(401);
      expect(r.headers.get("x-should-retry")).toBe("false");
      const body = (await r.json()) as { error: { type: string; code: string } };
      expect(body.error.type).toBe("authentication_error");
      expect(typeof body.error.code).toBe("string");
    }
    const x = await fetch(`${s.gw.url}/admin/keys`, { headers: { "x-api-key": ADMIN_KEY } });
    expect(x.status).toBe(401);
  });
});

describe("keys CRUD", () => {
  test("create returns the secret once; list and get never do", async () => {
    const created = await s.createKey({
      name: "team-a",
      models: ["anthropic.*"],
      rpm: 100,
      tpm: 100000,
      budget: { tokens: 5000, period: "month" },
      expires_at: 4_102_444_800,
      metadata: { team: "a" },
    });
    expect(created.id).toMatch(/^key_/);
    expect(created.key).toMatch(/^sk-/);
    expect(created).toMatchObject({
      name: "team-a",
      models: ["anthropic.*"],
      rpm: 100,
      tpm: 100000,
      budget: { tokens: 5000, period: "month" },
      expires_at: 4_102_444_800,
      metadata: { team: "a" },
    });
    expect(typeof created.created_at).toBe("number");
    const list = (await (await s.admin("GET", "/admin/keys")).json()) as {
      object: string;
      data: Array<Record<string, unknown>>;
    };
    expect(list.object).toBe("list");
    const listed = list.data.find((k) => k.id === created.id);
    expect(listed?.name).toBe("team-a");
    expect(listed?.key_hint).toBe(`...${created.key.slice(-4)}`);
    expect(JSON.stringify(list)).not.toContain(created.key);
    const one = await s.admin("GET", `/admin/keys/${created.id}`);
    expect(one.status).toBe(200);
    const oneBody = (await one.json()) as Record<string, unknown>;
    expect(oneBody.key).toBeUndefined();
    expect(oneBody.models).toEqual(["anthropic.*"]);
    expect((await s.admin("GET", "/admin/keys/key_nope")).status).toBe(404);
  });

  test("models absent or null = every model", async () => {
    const a = await s.createKey({ name: "all" });
    expect(a.models).toBeNull();
    const b = await s.createKey({ name: "all2", models: null });
    expect(b.models).toBeNull();
  });

  test("patch changes the given fields only; delete revokes", async () => {
    const k = await s.createKey({ name: "p", rpm: 5 });
    const r = await s.admin("PATCH", `/admin/keys/${k.id}`, {
      name: "p2",
      tpm: 50,
      models: ["x*"],
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ id: k.id, name: "p2", rpm: 5, tpm: 50, models: ["x*"] });
    const cleared = await s.admin("PATCH", `/admin/keys/${k.id}`, { rpm: null });
    expect(((await cleared.json()) as { rpm: unknown }).rpm).toBeNull();
    const del = await s.admin("DELETE", `/admin/keys/${k.id}`);
    expect([200, 204]).toContain(del.status);
    expect((await s.admin("DELETE", `/admin/keys/${k.id}`)).status).toBe(404);
    expect((await s.admin("PATCH", `/admin/keys/${k.id}`, { name: "z" })).status).toBe(404);
    const list = (await (await s.admin("GET", "/admin/keys")).json()) as {
      data: Array<{ id: string }>;
    };
    expect(list.data.map((x) => x.id)).not.toContain(k.id);
  });

  test.each([
    [{}, "name"],
    [{ name: "" }, "name"],
    [{ name: "x", models: [] }, "models"],
    [{ name: "x", models: "anthropic.*" }, "models"],
    [{ name: "x", rpm: 0 }, "rpm"],
    [{ name: "x", tpm: 1.5 }, "tpm"],
    [{ name: "x", budget: { tokens: 10, period: "week" } }, "budget.period"],
    [{ name: "x", budget: { period: "day" } }, "budget.tokens"],
    [{ name: "x", expires_at: "tomorrow" }, "expires_at"],
    [{ name: "x", metadata: [1] }, "metadata"],
    [{ name: "x", colour: "red" }, "colour"],
  ])("invalid body %j → 400 naming %s", async (body, param) => {
    const r = await s.admin("POST", "/admin/keys", body);
    expect(r.status).toBe(400);
    const e = (await r.json()) as { error: { type: string; param: string } };
    expect(e.error.type).toBe("invalid_request_error");
    expect(e.error.param).toBe(param);
  });

  test("patch validates too; a body that is not JSON is a 400", async () => {
    const k = await s.createKey({ name: "v" });
    const r = await s.admin("PATCH", `/admin/keys/${k.id}`, { models: [] });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { param: string } }).error.param).toBe("models");
    const bad = await s.admin("POST", "/admin/keys", "{not json");
    expect(bad.status).toBe(400);
  });
});

describe("virtual keys on the data plane", () => {
  test("Bearer and x-api-key both work; the principal is restricted, the static key is not", async () => {
    const k = await s.createKey({ name: "plane" });
    expect((await s.chatAs(k.key)).status).toBe(200);
    const viaX = await fetch(`${s.gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": k.key },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(viaX.status).toBe(200);
    expect((await s.chat({ messages: [{ role: "user", content: "hi" }] })).status).toBe(200);
  });

  test("unknown key → 401 (OpenAI shape elsewhere, Anthropic's under /v1/messages and /model/)", async () => {
    const openai = await s.chatAs("sk-not-a-key");
    expect(openai.status).toBe(401);
    expect(openai.headers.get("x-should-retry")).toBe("false");
    expect(((await openai.json()) as { error: { type: string } }).error.type).toBe(
      "authentication_error",
    );
    for (const path of ["/v1/messages", "/v1/messages/count_tokens"]) {
      const r = await fetch(`${s.gw.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "sk-bad" },
        body: "{}",
      });
      expect(r.status).toBe(401);
      expect(r.headers.get("x-should-retry")).toBe("false");
      expect(await r.json()).toEqual({
        type: "error",
        error: { type: "authentication_error", message: "Invalid API key." },
      });
    }
    const none = await fetch(`${s.gw.url}/v1/messages`, { method: "POST", body: "{}" });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { type: string }).type).toBe("error");
  });

  test("allow-list: other models are 403 without a Bedrock call; /v1/models lists only allowed", async () => {
    const k = await s.createKey({
      name: "only-titan-and-nova",
      models: ["amazon.titan-embed-*", "*nova-lite*"],
    });
    const before = s.bedrockCalls();
    const r = await s.chatAs(k.key, { model: MODEL });
    expect(r.status).toBe(403);
    const e = (await r.json()) as { error: { type: string; code: string; param: string } };
    expect(e.error).toMatchObject({
      type: "permission_error",
      code: "model_not_allowed",
      param: "model",
    });
    const emb = await fetch(`${s.gw.url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${k.key}` },
      body: JSON.stringify({ model: "cohere.embed-english-v3", input: "x" }),
    });
    expect(emb.status).toBe(403);
    expect(s.bedrockCalls()).toBe(before);
    const ok = await fetch(`${s.gw.url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${k.key}` },
      body: JSON.stringify({ model: EMBED_MODEL, input: "x" }),
    });
    expect(ok.status).toBe(200);
    const models = (await (
      await fetch(`${s.gw.url}/v1/models`, { headers: { authorization: `Bearer ${k.key}` } })
    ).json()) as { data: Array<{ id: string }> };
    expect(models.data.length).toBeGreaterThan(0);
    for (const m of models.data) expect(m.id).toMatch(/titan-embed|nova-lite/);
    const all = (await (await s.get("/v1/models")).json()) as { data: unknown[] };
    expect(all.data.length).toBeGreaterThan(models.data.length);
    const hidden = await fetch(`${s.gw.url}/v1/models/${MODEL}`, {
      headers: { authorization: `Bearer ${k.key}` },
    });
    expect(hidden.status).toBe(404);
  });

  test("wildcards match cross-region profiles: anthropic.* allows us.anthropic…", async () => {
    const k = await s.createKey({ name: "anthropic", models: ["anthropic.*"] });
    expect((await s.chatAs(k.key, { model: MODEL })).status).toBe(200);
  });

  test("rpm: a burst of rpm passes with x-ratelimit headers, the next one is 429", async () => {
    const k = await s.createKey({ name: "rpm", rpm: 3 });
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      // Streams carry the headers too.
      const r = await s.chatAs(k.key, i === 0 ? { stream: true } : {});
      expect(r.status).toBe(200);
      expect(r.headers.get("x-ratelimit-limit-requests")).toBe("3");
      expect(r.headers.get("x-ratelimit-reset-requests")).toMatch(/^\d+(ms|s)$|^\d+m\d+s$/);
      remaining.push(r.headers.get("x-ratelimit-remaining-requests") ?? "");
      expect(r.headers.get("x-ratelimit-limit-tokens")).toBeNull();
      await r.text();
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const before = s.bedrockCalls();
    const over = await s.chatAs(k.key);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(over.headers.get("x-ratelimit-remaining-requests")).toBe("0");
    expect(over.headers.get("x-should-retry")).toBe("true");
    expect(((await over.json()) as { error: unknown }).error).toMatchObject({
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
    });
    expect(s.bedrockCalls()).toBe(before);
  });

  test("tpm: finished requests' tokens count; over the minute's tokens → 429 with the -tokens headers", async () => {
    const k = await s.createKey({ name: "tpm", tpm: 20 });
    const first = await s.chatAs(k.key, {
      messages: [{ role: "user", content: "a long prompt ".repeat(20) }],
    });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-limit-tokens")).toBe("20");
    expect(first.headers.get("x-ratelimit-remaining-tokens")).toBe("20");
    const used = ((await first.json()) as { usage: { total_tokens: number } }).usage.total_tokens;
    expect(used).toBeGreaterThan(20);
    const over = await s.chatAs(k.key);
    expect(over.status).toBe(429);
    expect(over.headers.get("x-ratelimit-remaining-tokens")).toBe("0");
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(((await over.json()) as { error: unknown }).error).toMatchObject({
      type: "rate_limit_error",
      code: "rate_limit_exceeded",
    });
  });

  test("budget: the crossing request is served in full (streamed, no include_usage), then insufficient_quota without Bedrock", async () => {
    const k = await s.createKey({ name: "budget", budget: { tokens: 30, period: "day" } });
    const small = await s.chatAs(k.key, { messages: [{ role: "user", content: "hi" }] });
    expect(small.status).toBe(200);
    const stream = await s.chatAs(k.key, {
      stream: true,
      messages: [{ role: "user", content: "a long prompt ".repeat(20) }],
    });
    expect(stream.status).toBe(200);
    const text = await stream.text();
    expect(text).toContain("data: [DONE]");
    const before = s.bedrockCalls();
    const over = await s.chatAs(k.key);
    expect(over.status).toBe(429);
    expect(over.headers.get("x-should-retry")).toBe("false");
    expect(await over.json()).toMatchObject({
      error: { type: "insufficient_quota", code: "insufficient_quota" },
    });
    expect(s.bedrockCalls()).toBe(before);
    const shown = (await (await s.admin("GET", `/admin/keys/${k.id}`)).json()) as {
      budget_used: number;
    };
    expect(shown.budget_used).toBeGreaterThanOrEqual(30);
    // Raising the budget lets it through again at once.
    await s.admin("PATCH", `/admin/keys/${k.id}`, { budget: { tokens: 100000, period: "day" } });
    expect((await s.chatAs(k.key)).status).toBe(200);
  });

  test("expired and revoked keys are 401", async () => {
    const expired = await s.createKey({ name: "old", expires_at: 1_000_000 });
    const r = await s.chatAs(expired.key);
    expect(r.status).toBe(401);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe("expired_api_key");
    const k = await s.createKey({ name: "soon-revoked" });
    expect((await s.chatAs(k.key)).status).toBe(200);
    await s.admin("DELETE", `/admin/keys/${k.id}`);
    const revoked = await s.chatAs(k.key);
    expect(revoked.status).toBe(401);
    expect(((await revoked.json()) as { error: { code: string } }).error.code).toBe(
      "revoked_api_key",
    );
  });

  test("usage: exact sums per key and model, errors counted, refused requests not", async () => {
    const k = await s.createKey({ name: "usage", models: ["*claude*"] });
    let input = 0;
    let output = 0;
    for (const content of ["one", "two two", "three three three"]) {
      const r = await s.chatAs(k.key, { messages: [{ role: "user", content }] });
      const u = (
        (await r.json()) as { usage: { prompt_tokens: number; completion_tokens: number } }
      ).usage;
      input += u.prompt_tokens;
      output += u.completion_tokens;
    }
    // A stream without include_usage still counts.
    const st = await s.chatAs(k.key, { stream: true, stream_options: { include_usage: true } });
    const chunks = (await st.text()).split("\n").filter((l) => l.startsWith("data: {"));
    const last = JSON.parse(chunks.at(-1)?.slice(6) ?? "{}") as {
      usage: { prompt_tokens: number; completion_tokens: number };
    };
    input += last.usage.prompt_tokens;
    output += last.usage.completion_tokens;
    // A Bedrock failure counts as a request and an error.
    const failed = await s.chatAs(k.key, {
      messages: [{ role: "user", content: "[emu error=ValidationException]" }],
    });
    expect(failed.status).toBe(400);
    // Refused before Bedrock: not counted.
    expect((await s.chatAs(k.key, { model: "amazon.nova-lite-v1:0" })).status).toBe(403);
    const r = await s.admin("GET", `/admin/usage?key_id=${k.id}&group_by=key,model,day`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as { object: string; data: Array<Record<string, unknown>> };
    expect(body.object).toBe("list");
    expect(body.data).toEqual([
      {
        key_id: k.id,
        model: MODEL,
        day: new Date().toISOString().slice(0, 10),
        requests: 5,
        errors: 1,
        input_tokens: input,
        output_tokens: output,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
      },
    ]);
    const total = (await (await s.admin("GET", `/admin/usage?key_id=${k.id}`)).json()) as {
      data: Array<Record<string, unknown>>;
    };
    expect(total.data).toHaveLength(1);
    expect(total.data[0]).not.toHaveProperty("key_id");
    expect(total.data[0]?.requests).toBe(5);
    const today = new Date().toISOString().slice(0, 10);
    const byDate = (await (
      await s.admin("GET", `/admin/usage?key_id=${k.id}&from=${today}&to=${today}`)
    ).json()) as { data: Array<{ requests: number }> };
    expect(byDate.data[0]?.requests).toBe(5);
    const past = (await (
      await s.admin("GET", `/admin/usage?key_id=${k.id}&to=2000-01-01`)
    ).json()) as { data: Array<{ requests: number }> };
    expect(past.data[0]?.requests).toBe(0);
  });

  test("a stream cut short before Bedrock's usage is charged an estimate, not zero", async () => {
    const k = await s.createKey({
      name: "cut-short",
      budget: { tokens: 1_000_000, period: "day" },
    });
    const r = await s.chatAs(k.key, {
      stream: true,
      messages: [
        {
          role: "user",
          content: `[emu chunks=20 midstream=throttlingException] ${"x".repeat(400)}`,
        },
      ],
    });
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('"error"');
    const u = (await (await s.admin("GET", `/admin/usage?key_id=${k.id}`)).json()) as {
      data: Array<{
        requests: number;
        errors: number;
        input_tokens: number;
        output_tokens: number;
      }>;
    };
    expect(u.data[0]).toMatchObject({ requests: 1, errors: 1 });
    // The request body alone is over 100 tokens at 4 characters each.
    expect(u.data[0]?.input_tokens).toBeGreaterThan(100);
    const shown = (await (await s.admin("GET", `/admin/keys/${k.id}`)).json()) as {
      budget_used: number;
    };
    expect(shown.budget_used).toBeGreaterThan(100);
  });

  test("usage query validation names the parameter", async () => {
    for (const [q, param] of [
      ["group_by=team", "group_by"],
      ["from=yesterday", "from"],
      ["to=2026-13", "to"],
    ]) {
      const r = await s.admin("GET", `/admin/usage?${q}`);
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: { param: string } }).error.param).toBe(param as string);
    }
  });

  test("access log carries the key id, never the secret; /metrics has bounded per-key series", async () => {
    const k = await s.createKey({ name: "logged" });
    expect((await s.chatAs(k.key)).status).toBe(200);
    await Bun.sleep(10);
    const line = s.accessLines().find((l) => l.keyId === k.id);
    expect(line?.status).toBe(200);
    expect(s.lines.join("\n")).not.toContain(k.key);
    const metrics = await (await s.get("/metrics")).text();
    expect(metrics).toContain(`gateway_key_requests_total{key_id="${k.id}",outcome="ok"} 1`);
    expect(metrics).toContain(`gateway_key_rejected_total{key_id=`);
  });
});

describe("real clients", () => {
  test("the openai SDK with a virtual key: models, chat, then RateLimitError and insufficient_quota as the SDK sees them", async () => {
    const { default: OpenAI } = await import("openai");
    // Every request counts against rpm, GET /v1/models included.
    const k = await s.createKey({ name: "sdk", rpm: 3, models: ["anthropic.*"] });
    const client = new OpenAI({ apiKey: k.key, baseURL: `${s.gw.url}/v1`, maxRetries: 0 });
    const models = await client.models.list();
    expect(models.data.every((m) => m.id.includes("anthropic."))).toBe(true);
    const done = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "hi" }],
    });
    expect(done.choices[0]?.message.role).toBe("assistant");
    await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "hi" }],
    });
    const err = await client.chat.completions
      .create({ model: MODEL, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).code).toBe("rate_limit_exceeded");

    const b = await s.createKey({ name: "sdk-budget", budget: { tokens: 1, period: "total" } });
    const budgeted = new OpenAI({ apiKey: b.key, baseURL: `${s.gw.url}/v1`, maxRetries: 3 });
    await budgeted.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "hi" }],
    });
    const before = s.bedrockCalls();
    const spent = await budgeted.chat.completions
      .create({ model: MODEL, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(spent).toBeInstanceOf(OpenAI.RateLimitError);
    expect((spent as InstanceType<typeof OpenAI.RateLimitError>).code).toBe("insufficient_quota");
    // x-should-retry: false → the SDK does not retry a spent budget; Bedrock never called.
    expect(s.bedrockCalls()).toBe(before);

    const denied = await new OpenAI({
      apiKey: "sk-nope",
      baseURL: `${s.gw.url}/v1`,
      maxRetries: 0,
    }).chat.completions
      .create({ model: MODEL, messages: [{ role: "user", content: "hi" }] })
      .catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError);
  });
});
