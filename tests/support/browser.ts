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

/**
 * Page errors, console errors and warnings, and any request that leaves the
 * page's own origin (the console fetches nothing from the network) seen on a
 * page; tests assert it ends empty.
 */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("request", (req) => {
    const url = new URL(req.url());
    const here = new URL(page.url() === "about:blank" ? req.url() : page.url());
    if (url.origin !== here.origin) problems.push(`request elsewhere: ${req.url()}`);
  });
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") {
      problems.push(`console.${msg.type()}: ${msg.text()}`);
    }
  });
  return problems;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: false });
}
