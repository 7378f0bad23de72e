import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../../src/config";

describe("config", () => {
  test("defaults need no variable at all", () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.apiKeys).toEqual([]);
    expect(c.logLevel).toBe("info");
    expect(c.region).toBe("us-east-1");
    expect(c.maxAttempts).toBe(2);
  });

  test("API_KEY takes several comma-separated keys; blanks dropped", () => {
    expect(loadConfig({ API_KEY: " a, b ,,c " }).apiKeys).toEqual(["a", "b", "c"]);
  });

  test("AWS_REGION, then AWS_DEFAULT_REGION; AWS_MAX_ATTEMPTS is honoured", () => {
    expect(loadConfig({ AWS_DEFAULT_REGION: "eu-west-1" }).region).toBe("eu-west-1");
    expect(loadConfig({ AWS_REGION: "us-west-2", AWS_DEFAULT_REGION: "eu-west-1" }).region).toBe(
      "us-west-2",
    );
    expect(loadConfig({ AWS_MAX_ATTEMPTS: "5" }).maxAttempts).toBe(5);
  });

  test("MODEL_ALIASES parses name=target pairs", () => {
    expect(
      loadConfig({ MODEL_ALIASES: "gpt-4o=us.anthropic.x:0, small = amazon.nova-micro-v1:0" })
        .modelAliases,
    ).toEqual({
      "gpt-4o": "us.anthropic.x:0",
      small: "amazon.nova-micro-v1:0",
    });
  });

  test("booleans accept true/false/1/0/yes/no and nothing else", () => {
    expect(loadConfig({ ENABLE_PROMPT_CACHING: "yes" }).enablePromptCaching).toBe(true);
    expect(loadConfig({ ENABLE_PROMPT_CACHING: "0" }).enablePromptCaching).toBe(false);
    expect(() => loadConfig({ ENABLE_PROMPT_CACHING: "maybe" })).toThrow(ConfigError);
  });

  test("every problem is listed at once, by variable name", () => {
    let message = "";
    try {
      loadConfig({ PORT: "http", LOG_LEVEL: "loud", MODEL_ALIASES: "broken" });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    expect(message).toContain("PORT");
    expect(message).toContain("LOG_LEVEL");
    expect(message).toContain("MODEL_ALIASES");
  });
});

test("DATABASE_PASSWORD goes into DATABASE_URL, URL-encoded", () => {
  const c = loadConfig({
    DATABASE_URL: "postgres://gateway@db.internal:5432/gateway?sslmode=require",
    DATABASE_PASSWORD: "p@ss/w:rd",
  });
  expect(c.databaseUrl).toBe(
    "postgres://gateway:p%40ss%2Fw%3Ard@db.internal:5432/gateway?sslmode=require",
  );
  expect(() => loadConfig({ DATABASE_URL: "mysql://x" })).toThrow("DATABASE_URL");
  expect(() => loadConfig({ ADMIN_API_KEY: "short" })).toThrow("ADMIN_API_KEY");
  expect(loadConfig({}).dataDir).toBe("./data");
});
