/** Token buckets and allow-lists, with an explicit clock (no timing in tests). */
import { describe, expect, test } from "bun:test";
import { ModelMatcher } from "../../src/state/keys";
import { formatReset, LocalLimiter, rateLimitHeaders } from "../../src/state/limits";

const T0 = 1_700_000_000_000;

describe("rpm bucket", () => {
  test("a burst of rpm passes, rpm+1 is refused with a retry-after of one refill", () => {
    const l = new LocalLimiter();
    const spec = { keyId: "k", rpm: 6, tpm: null };
    for (let i = 0; i < 6; i++) expect(l.admit(spec, T0).ok).toBe(true);
    const over = l.admit(spec, T0);
    expect(over).toMatchObject({ ok: false, limit: "requests", retryAfter: 10 });
    // One request's worth refills in 60/rpm = 10 s.
    expect(l.admit(spec, T0 + 9_999).ok).toBe(false);
    expect(l.admit(spec, T0 + 10_000).ok).toBe(true);
  });

  test("no clock-minute boundary lets 2×rpm through", () => {
    const l = new LocalLimiter();
    const spec = { keyId: "k", rpm: 10, tpm: null };
    // 10 at 0:59.9, then as many as possible at 1:00.1 (a fixed window would allow 10 more).
    const before = T0 + 59_900;
    for (let i = 0; i < 10; i++) expect(l.admit(spec, before).ok).toBe(true);
    let after = 0;
    for (let i = 0; i < 20; i++) if (l.admit(spec, before + 200).ok) after++;
    expect(after).toBe(0);
    // Over any 60 s, at most rpm + the refill of those 60 s (= 2×rpm only at a full minute's distance).
    let inMinute = 0;
    for (let t = 0; t < 60_000; t += 500) if (l.admit(spec, before + 200 + t).ok) inMinute++;
    expect(inMinute).toBeLessThanOrEqual(10);
  });

  test("headers: limit, remaining, reset in OpenAI's format", () => {
    const l = new LocalLimiter();
    const spec = { keyId: "k", rpm: 60, tpm: 1000 };
    const a = l.admit(spec, T0);
    expect(rateLimitHeaders(spec, a)).toEqual({
      "x-ratelimit-limit-requests": "60",
      "x-ratelimit-remaining-requests": "59",
      "x-ratelimit-reset-requests": "1s",
      "x-ratelimit-limit-tokens": "1000",
      "x-ratelimit-remaining-tokens": "1000",
      "x-ratelimit-reset-tokens": "0ms",
    });
    expect(formatReset(20)).toBe("20ms");
    expect(formatReset(6_000)).toBe("6s");
    expect(formatReset(360_000)).toBe("6m0s");
    expect(formatReset(61_500)).toBe("1m2s");
  });
});

describe("tpm bucket", () => {
  test("admits while tokens remain, charges finished requests, debt blocks until refilled", () => {
    const l = new LocalLimiter();
    const spec = { keyId: "k", rpm: null, tpm: 600 };
    expect(l.admit(spec, T0).ok).toBe(true);
    l.charge(spec, 900, T0);
    const over = l.admit(spec, T0);
    // 300 tokens of debt (+1) at 10 tokens/s.
    expect(over).toMatchObject({ ok: false, limit: "tokens", retryAfter: 31 });
    expect(l.admit(spec, T0 + 30_000).ok).toBe(false);
    expect(l.admit(spec, T0 + 30_200).ok).toBe(true);
    // Debt is capped at one minute's worth.
    l.charge(spec, 1_000_000, T0 + 30_200);
    expect(l.admit(spec, T0 + 30_200 + 60_200).ok).toBe(true);
  });

  test("a refused token check does not consume a request", () => {
    const l = new LocalLimiter();
    const spec = { keyId: "k", rpm: 2, tpm: 10 };
    l.charge(spec, 20, T0);
    expect(l.admit(spec, T0).ok).toBe(false);
    expect(l.admit(spec, T0).ok).toBe(false);
    // After the token debt refills (10 tokens/min: 60 s), both requests are still there.
    expect(l.admit(spec, T0 + 60_100).ok).toBe(true);
    expect(l.admit(spec, T0 + 60_100).ok).toBe(true);
    expect(l.admit(spec, T0 + 60_100).ok).toBe(false);
  });
});

describe("allow-lists", () => {
  test("ids, wildcards, aliases and cross-region prefixes", () => {
    const m = new ModelMatcher(["anthropic.claude-*", "fast", "amazon.titan-embed-text-v2:0"], {
      fast: "amazon.nova-lite-v1:0",
    });
    expect(m.allows("anthropic.claude-3-haiku-20240307-v1:0")).toBe(true);
    expect(m.allows("us.anthropic.claude-sonnet-4-5-20250929-v1:0")).toBe(true);
    expect(m.allows("global.anthropic.claude-sonnet-4-5-20250929-v1:0")).toBe(true);
    expect(m.allows("amazon.nova-lite-v1:0")).toBe(true);
    expect(m.allows("us.amazon.nova-lite-v1:0")).toBe(true);
    expect(m.allows("amazon.titan-embed-text-v2:0")).toBe(true);
    expect(m.allows("amazon.titan-embed-text-v1")).toBe(false);
    expect(m.allows("meta.llama3-70b-instruct-v1:0")).toBe(false);
    // Regex characters in ids are literal.
    expect(new ModelMatcher(["a.b"]).allows("axb")).toBe(false);
    // Any of several names may match (requested name, id, catalog name).
    expect(m.allows(undefined, "x", "fast")).toBe(true);
  });
});

describe("per-key metrics", () => {
  test('the first MAX_KEY_SERIES keys get their own series, later ones share key_id="other"', async () => {
    const { GatewayMetrics, MAX_KEY_SERIES } = await import("../../src/observability/metrics");
    const m = new GatewayMetrics();
    const u = {
      error: false,
      inputTokens: 1,
      outputTokens: 1,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    };
    for (let i = 0; i < MAX_KEY_SERIES + 50; i++) m.keyRequest(`key_${i}`, u);
    m.keyRequest("key_0", u);
    const text = (await m.render()).body;
    const series = text.split("\n").filter((l) => l.startsWith("gateway_key_requests_total{"));
    expect(series).toHaveLength(MAX_KEY_SERIES + 1);
    expect(text).toContain('gateway_key_requests_total{key_id="other",outcome="ok"} 50');
    expect(text).toContain('gateway_key_requests_total{key_id="key_0",outcome="ok"} 2');
  });
});
