/**
 * Regenerates the README's console screenshots (docs/console-*.png):
 * `bun run scripts/console-screenshots.ts`. A gateway on the emulator, a few
 * keys, two weeks of usage written straight into the store (the admin API has
 * no way to backdate), a short chat, then headless Chromium at 1280×800.
 */
import { join } from "node:path";
import { launchBrowser } from "../tests/support/browser";
import { startStack } from "../tests/support/stack";

const ADMIN = "screenshot-admin-key-0123456789";
const DOCS = join(import.meta.dir, "..", "docs");
const stack = await startStack({ API_KEY: ADMIN, ADMIN_API_KEY: ADMIN });

async function createKey(body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${stack.url}/admin/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return ((await res.json()) as { id: string }).id;
}

const keys = [
  await createKey({ name: "search-team", models: ["us.anthropic.*"], rpm: 120 }),
  await createKey({ name: "support-bot", rpm: 60, budget: { tokens: 5_000_000, period: "month" } }),
  await createKey({ name: "data-science", models: ["us.amazon.nova-*", "*embed*"] }),
];
// Each key's model, within its allow-list.
const models = [
  "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
  "us.anthropic.claude-haiku-4-5-20251001-v1:0",
  "us.amazon.nova-pro-v1:0",
];
// Deterministic, gently varying traffic over the last 14 days.
const now = Date.now();
const batch = [];
for (let day = 13; day >= 0; day--) {
  for (const [k, keyId] of keys.entries()) {
    const model = models[k] ?? "";
    const scale = 1 + Math.sin(day / 2 + k) * 0.4 + (13 - day) * 0.05;
    batch.push({
      ts: now - day * 86_400_000 - 3_600_000,
      keyId,
      model,
      error: day % 5 === k,
      inputTokens: Math.round(42_000 * scale * (k + 1)),
      outputTokens: Math.round(13_000 * scale * (k + 1)),
      cacheReadTokens: Math.round(k === 0 ? 30_000 * scale : 0),
      cacheWriteTokens: Math.round(k === 0 ? 6_000 * scale : 0),
    });
  }
}
await stack.gw.deps.store.addUsage(batch);

const browser = await launchBrowser();
try {
  const page = await browser.context.newPage();
  await page.goto(`${stack.url}/`);
  await page.getByRole("textbox", { name: "API key" }).fill(ADMIN);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "Playground" }).click();
  await page.getByRole("combobox", { name: "Reasoning effort" }).selectOption("low");
  await page.getByRole("textbox", { name: "System prompt" }).fill("You are a concise assistant.");
  const message = page.getByRole("textbox", { name: "Message" });
  await message.fill("What does this gateway do? [emu reasoning=1]");
  await message.press("Enter");
  await page.locator('[role="log"] article.msg-streaming').waitFor({ state: "detached" });
  await page.getByRole("button", { name: "Example tool" }).click();
  await message.fill("And the weather in Paris? [emu tool=get_weather]");
  await message.press("Enter");
  await page.locator('[role="log"] article.msg-streaming').waitFor({ state: "detached" });
  await message.fill("Summarise that for me");
  await page.screenshot({ path: join(DOCS, "console-playground.png") });

  await page.getByRole("link", { name: "Usage" }).click();
  await page.getByRole("table", { name: "Requests and tokens by key and model" }).waitFor();
  await page.getByRole("figure").waitFor();
  await page.screenshot({ path: join(DOCS, "console-usage.png") });
} finally {
  await browser.close();
  await stack.stop();
}
console.log(`wrote ${DOCS}/console-playground.png and console-usage.png`);
