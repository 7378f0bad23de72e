/**
 * The console's admin views in a real headless Chromium, against the real
 * admin API (SQLite store in a temp DATA_DIR) and the Bedrock emulator:
 * create a key, use it from the playground, see its usage, revoke it.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import {
  allProblems,
  type Browser,
  launchBrowser,
  screenshot,
  watchProblems,
} from "../support/browser";
import { type Stack, startStack } from "../support/stack";

const T = 30_000;
const STATIC_KEY = "console-static-key";
const ADMIN_KEY = "console-admin-key-0123456789";
const MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
const OTHER_MODEL = "us.amazon.nova-pro-v1:0";

interface UsageRow {
  key_id: string | null;
  model: string | null;
  requests: number;
  errors: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
}

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({ API_KEY: STATIC_KEY, ADMIN_API_KEY: ADMIN_KEY });
  browser = await launchBrowser();
  await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], {
    origin: stack.url,
  });
}, T);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, T);

async function adminGet<R>(path: string): Promise<R> {
  const res = await fetch(`${stack.url}${path}`, {
    headers: { authorization: `Bearer ${ADMIN_KEY}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as R;
}

async function signIn(key: string, viewport?: { width: number; height: number }) {
  const b = viewport ? await launchBrowser(viewport) : browser;
  const page = await b.context.newPage();
  const problems = watchProblems(page);
  await page.goto(`${stack.url}/`);
  await page.getByRole("textbox", { name: "API key" }).fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  return { page, problems, close: async () => (viewport ? b.close() : page.close()) };
}

async function chatFromPage(page: Page, text: string): Promise<void> {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await page.getByRole("button", { name: "Send" }).click();
  await page.locator('[role="log"] article.msg-streaming').waitFor({ state: "detached" });
}

/** Usage rows by key and model, once `requests` reached `atLeast` in total. */
async function usageRows(atLeast: number, query = ""): Promise<UsageRow[]> {
  for (let i = 0; ; i++) {
    const { data } = await adminGet<{ data: UsageRow[] }>(
      `/admin/usage?group_by=key,model${query}`,
    );
    const total = data.reduce((a, r) => a + r.requests, 0);
    if (total >= atLeast || i > 50) return data;
    await Bun.sleep(100);
  }
}

/** The usage table's body rows as the API's numbers (Key ID, Model, then the 6 counts). */
async function tableRows(page: Page) {
  const table = page.getByRole("table", { name: "Requests and tokens by key and model" });
  await table.waitFor();
  const rows = await table
    .locator("tbody tr")
    .evaluateAll((trs) =>
      trs.map((tr) =>
        [...(tr as unknown as { cells: Iterable<{ textContent: string }> }).cells].map(
          (c) => c.textContent,
        ),
      ),
    );
  return rows.map((cells) => ({
    key_id: cells[1] === "—" ? null : (cells[1] ?? null),
    model: cells[2] === "—" ? null : (cells[2] ?? null),
    requests: Number(cells[3]),
    errors: Number(cells[4]),
    input_tokens: Number(cells[5]),
    output_tokens: Number(cells[6]),
    cache_read_tokens: Number(cells[7]),
    cache_write_tokens: Number(cells[8]),
  }));
}

const byKeyModel = (a: UsageRow, b: UsageRow) =>
  `${a.key_id}|${a.model}`.localeCompare(`${b.key_id}|${b.model}`);

/** Pixels of the chart's canvas drawn in a series colour (#2563eb input, #059669 output). */
const SERIES_PIXELS = `(() => {
  const canvas = document.querySelector("figure canvas");
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  let input = 0, output = 0;
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
    if (a < 200) continue;
    if (Math.abs(r - 37) < 12 && Math.abs(g - 99) < 12 && Math.abs(b - 235) < 12) input++;
    if (Math.abs(r - 5) < 12 && Math.abs(g - 150) < 12 && Math.abs(b - 105) < 12) output++;
  }
  return { input, output };
})()`;

describe("admin views", () => {
  let secret = "";
  let keyId = "";

  test(
    "the admin key opens Keys and Usage; create a key: its secret is shown once, with a copy button",
    async () => {
      const { page, problems, close } = await signIn(ADMIN_KEY);
      await expect(page.getByRole("link", { name: "Keys" }).count()).resolves.toBe(1);
      await expect(page.getByRole("link", { name: "Usage" }).count()).resolves.toBe(1);
      await page.getByRole("link", { name: "Keys" }).click();

      // The form by keyboard alone: Tab from field to field, Enter submits.
      await page.getByRole("textbox", { name: "Name" }).focus();
      await page.keyboard.type("team-a");
      await page.keyboard.press("Tab");
      await page.keyboard.type("us.anthropic.*, us.amazon.nova-*");
      await page.keyboard.press("Tab");
      await page.keyboard.type("100");
      await page.keyboard.press("Tab");
      await page.keyboard.press("Tab");
      await page.keyboard.type("100000");
      await expect(
        page.getByRole("spinbutton", { name: "Token budget" }).inputValue(),
      ).resolves.toBe("100000");
      await page.keyboard.press("Enter");

      const shown = page.getByRole("region", { name: "New key for team-a" });
      await shown.waitFor();
      secret = ((await shown.locator("code").textContent()) ?? "").trim();
      expect(secret).toMatch(/^sk-/);
      await shown.getByRole("button", { name: "Copy key" }).click();
      await shown.getByText("Copied.").waitFor();
      expect(await page.evaluate("navigator.clipboard.readText()")).toBe(secret);
      await screenshot(page, "keys-created");

      // The table lists it with its limits and a Revoke button.
      const { data } = await adminGet<{ data: Array<{ id: string; name: string }> }>("/admin/keys");
      keyId = data.find((k) => k.name === "team-a")?.id ?? "";
      expect(keyId).toMatch(/^key_/);
      const row = page
        .getByRole("table", { name: "Keys" })
        .getByRole("row")
        .filter({ hasText: keyId });
      const cells = (await row.textContent()) ?? "";
      expect(cells).toContain("team-a");
      expect(cells).toContain("us.anthropic.*, us.amazon.nova-*");
      expect(cells).toContain("100");
      expect(cells).toContain("0 of 100000 per month");
      await expect(row.getByRole("button", { name: "Revoke" }).count()).resolves.toBe(1);

      // Shown once: after Done the secret is nowhere on the page, nor in the API's list.
      await shown.getByRole("button", { name: "Done" }).click();
      await expect(page.getByText(secret).count()).resolves.toBe(0);
      expect(JSON.stringify(data)).not.toContain(secret);
      expect(await allProblems(page, problems)).toEqual([]);
      await close();
    },
    T,
  );

  test(
    "the new key signs in to the playground, sees only its models, and chats",
    async () => {
      expect(secret).not.toBe("");
      const { page, problems, close } = await signIn(secret);
      await expect(page.getByRole("link", { name: "Keys" }).count()).resolves.toBe(0);
      const options = await page
        .getByRole("combobox", { name: "Model" })
        .locator("option")
        .evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));
      expect(options.length).toBeGreaterThan(2);
      for (const id of options) expect(id).toMatch(/^us\.(anthropic\.|amazon\.nova-)/);
      await chatFromPage(page, "Hello as team-a");
      await page.getByRole("combobox", { name: "Model" }).selectOption(OTHER_MODEL);
      await chatFromPage(page, "Hello again [emu chunks=5]");
      await expect(page.getByRole("alert").count()).resolves.toBe(0);
      expect(await allProblems(page, problems)).toEqual([]);
      await close();
    },
    T,
  );

  test(
    "Usage: the table equals GET /admin/usage, the chart is drawn, filters by key and model",
    async () => {
      // Some traffic from the static key too, on another model.
      const res = await stack.post(
        "/v1/chat/completions",
        { model: MODEL, messages: [{ role: "user", content: "static traffic" }] },
        { authorization: `Bearer ${STATIC_KEY}` },
      );
      expect(res.status).toBe(200);
      const api = await usageRows(3);
      expect(api.length).toBe(3);

      const { page, problems, close } = await signIn(ADMIN_KEY);
      await page.getByRole("link", { name: "Usage" }).click();
      expect((await tableRows(page)).sort(byKeyModel)).toEqual(
        api.map((r) => ({ ...r })).sort(byKeyModel),
      );
      const chart = page.getByRole("figure", { name: /Usage/ });
      await chart.waitFor();
      await expect(page.getByRole("img", { name: /tokens per day/ }).count()).resolves.toBe(1);
      const pixels = (await page.evaluate(SERIES_PIXELS)) as { input: number; output: number };
      expect(pixels.input).toBeGreaterThan(20);
      expect(pixels.output).toBeGreaterThan(20);
      await screenshot(page, "usage");

      // Filter by key: only that key's rows, equal to the API's answer for that key.
      await page.getByRole("combobox", { name: "Key" }).selectOption(keyId);
      const forKey = await usageRows(2, `&key_id=${keyId}`);
      expect(forKey.length).toBe(2);
      // The table follows the filter (it reloads): wait until it shows that key alone.
      for (let i = 0; i < 50; i++) {
        const rows = await tableRows(page);
        if (rows.length === forKey.length && rows.every((r) => r.key_id === keyId)) break;
        await Bun.sleep(100);
      }
      expect((await tableRows(page)).sort(byKeyModel)).toEqual(forKey.sort(byKeyModel));

      // And by model.
      await page.getByRole("combobox", { name: "Model" }).selectOption(OTHER_MODEL);
      let rows = await tableRows(page);
      for (let i = 0; i < 50 && rows.some((r) => r.model !== OTHER_MODEL); i++) {
        await Bun.sleep(100);
        rows = await tableRows(page);
      }
      expect(rows).toEqual(forKey.filter((r) => r.model === OTHER_MODEL));
      expect(await allProblems(page, problems)).toEqual([]);
      await close();
    },
    T,
  );

  test(
    "Revoke: the row goes, the key stops working in the playground at once",
    async () => {
      const user = await signIn(secret);
      const admin = await signIn(ADMIN_KEY);
      await admin.page.getByRole("link", { name: "Keys" }).click();
      const table = admin.page.getByRole("table", { name: "Keys" });
      const row = table.getByRole("row").filter({ hasText: keyId });
      await row.getByRole("button", { name: "Revoke" }).click();
      await admin.page
        .getByRole("status")
        .filter({ hasText: `Revoked team-a (${keyId})` })
        .waitFor();
      // The list reloads after the status line: wait for the row to go, then pin it gone.
      await row.waitFor({ state: "detached" });
      await expect(row.count()).resolves.toBe(0);
      await admin.page.getByRole("checkbox", { name: "Show revoked keys" }).check();
      await row.getByText("revoked").waitFor();
      await screenshot(admin.page, "keys");

      await chatFromPage(user.page, "Still there?");
      const alert = user.page.getByRole("log").getByRole("alert");
      const text = (await alert.textContent()) ?? "";
      expect(text).toContain("401");
      expect(text).toContain("revoked");
      expect(await allProblems(admin.page, admin.problems)).toEqual([]);
      expect(
        (await allProblems(user.page, user.problems)).filter((p) => !p.includes("status of 401")),
      ).toEqual([]);
      await admin.close();
      await user.close();
    },
    T,
  );

  test(
    "phone width: keys and usage fit, their tables scroll inside their panels",
    async () => {
      const created = await fetch(`${stack.url}/admin/keys`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "team-b", rpm: 60, budget: { tokens: 5000, period: "day" } }),
      });
      expect(created.status).toBe(201);
      const { page, problems, close } = await signIn(ADMIN_KEY, { width: 390, height: 844 });
      for (const view of ["Keys", "Usage"]) {
        await page.getByRole("link", { name: view }).click();
        await page.getByRole("table").first().waitFor();
        const overflow = await page.evaluate(
          "document.documentElement.scrollWidth - document.documentElement.clientWidth",
        );
        expect(overflow).toBe(0);
        await screenshot(page, `phone-${view.toLowerCase()}`);
      }
      expect(await allProblems(page, problems)).toEqual([]);
      await close();
    },
    T,
  );
});
