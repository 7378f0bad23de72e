/**
 * Headless Chromium for the console tests: Debian's `chromium` driven by
 * playwright-core (which never downloads a browser), a fresh profile per
 * launch, and flags that keep the browser off the network: the only traffic
 * is to the loopback gateway under test.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Screenshots land here (gitignored); CI keeps them as artifacts. */
export const ARTIFACTS = join(import.meta.dir, "..", "..", "artifacts", "console");

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(viewport = { width: 1280, height: 800 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "console-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Page errors and console errors and warnings seen on a page, as they happen. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") {
      problems.push(`console.${msg.type()}: ${msg.text()}`);
    }
  });
  return problems;
}

/**
 * The problems seen so far plus every resource the page loaded from another
 * origin than its own (the console fetches nothing from the network). Read
 * from the page's resource timing rather than by listening to network events,
 * which makes playwright-core under Bun trip over its own response objects.
 */
export async function allProblems(page: Page, problems: string[]): Promise<string[]> {
  const elsewhere = (await page.evaluate(
    "performance.getEntriesByType('resource').map((e) => e.name).filter((n) => new URL(n).origin !== location.origin)",
  )) as string[];
  return [...problems, ...elsewhere.map((url) => `request elsewhere: ${url}`)];
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });
}
