/**
 * The console's sign-in, chat playground and embeddings tab in a real headless
 * Chromium, against the gateway on the Bedrock emulator. Everything is found
 * by role and accessible name, the contract outside browser tests rely on.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import {
  ARTIFACTS,
  allProblems,
  type Browser,
  launchBrowser,
  screenshot,
  watchProblems,
} from "../support/browser";
import { type Stack, startStack } from "../support/stack";

const KEY = "console-test-key";
const AUTH = { authorization: `Bearer ${KEY}` };
/** Browser tests drive a real Chromium on a shared machine: generous per-test timeouts. */
const T = 30_000;
const DEFAULT_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({ API_KEY: KEY, DEFAULT_MODEL });
  browser = await launchBrowser();
}, 30_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
}, 30_000);

/** A fresh page, signed in with the keyboard alone; returns it with its problem list. */
async function signedIn(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.context.newPage();
  const problems = watchProblems(page);
  await page.goto(`${stack.url}/`);
  const keyBox = page.getByRole("textbox", { name: "API key" });
  await expect(
    keyBox.evaluate(
      (el: { ownerDocument: { activeElement: unknown } }) => el === el.ownerDocument.activeElement,
    ),
  ).resolves.toBe(true);
  await page.keyboard.type(KEY);
  await page.keyboard.press("Enter");
  await page.getByRole("combobox", { name: "Model" }).waitFor();
  return { page, problems };
}

/** Sends a message by typing it and pressing Enter in the Message box. */
async function sendMessage(page: Page, text: string): Promise<void> {
  const box = page.getByRole("textbox", { name: "Message" });
  await box.fill(text);
  await box.press("Enter");
}

/** The last assistant message, once its stream is over. */
async function lastAnswerDone(page: Page) {
  const log = page.getByRole("log");
  const last = log.getByRole("article").last();
  await expect(last.getAttribute("aria-label")).resolves.toMatch(/^Assistant/);
  await page.locator('[role="log"] article.msg-streaming').waitFor({ state: "detached" });
  return last;
}

/**
 * Runs in the page (a string: this file is type-checked without the DOM library):
 * records in window.seen every distinct text the last answer shows.
 */
const RECORD_ANSWER_TEXTS = `(() => {
  const seen = [];
  window.seen = seen;
  const log = document.querySelector('[role="log"]');
  new MutationObserver(() => {
    const answers = log.querySelectorAll('[data-testid="answer"]');
    const text = answers[answers.length - 1]?.textContent ?? "";
    if (text !== "" && text !== seen[seen.length - 1]) seen.push(text);
  }).observe(log, { subtree: true, childList: true, characterData: true });
})()`;

async function nonStreamReply(content: string, extra: Record<string, unknown> = {}) {
  const res = await stack.post(
    "/v1/chat/completions",
    { model: DEFAULT_MODEL, messages: [{ role: "user", content }], ...extra },
    AUTH,
  );
  expect(res.status).toBe(200);
  const body = (await res.json()) as {
    choices: Array<{ message: { content: string; reasoning_content?: string } }>;
  };
  const message = body.choices[0]?.message;
  if (!message) throw new Error("no choice");
  return message;
}

describe("serving the console", () => {
  test(
    "GET / is HTML under a strict CSP, with no inline script, and its assets come from this server",
    async () => {
      const res = await fetch(`${stack.url}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toStartWith("text/html");
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("unsafe");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      const html = await res.text();
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBe(1);
      for (const [, attrs, body] of scripts) {
        expect(attrs).toMatch(/src="\/console\/app-[a-z0-9]+\.js"/);
        expect(body?.trim()).toBe("");
      }
      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? "");
      expect(assets.length).toBe(3);
      for (const path of assets) {
        expect(path).toStartWith("/console/");
        const asset = await fetch(`${stack.url}${path}`, {
          headers: { "accept-encoding": "gzip" },
        });
        expect(asset.status).toBe(200);
        expect(asset.headers.get("content-security-policy")).toBe(csp);
        expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(100);
      }
    },
    T,
  );

  test(
    "the session probe: 401 for a wrong key, what a right key opens otherwise",
    async () => {
      const bad = await fetch(`${stack.url}/console/session`, {
        headers: { authorization: "Bearer nope" },
      });
      expect(bad.status).toBe(401);
      expect(((await bad.json()) as { error: { code: string } }).error.code).toBe(
        "invalid_api_key",
      );
      const good = await fetch(`${stack.url}/console/session`, { headers: AUTH });
      expect(good.status).toBe(200);
      expect(await good.json()).toMatchObject({
        chat: true,
        admin: false,
        default_model: DEFAULT_MODEL,
      });
    },
    T,
  );
});

describe("sign-in", () => {
  test(
    "a wrong key shows 'Invalid API key' with the 401, and stays on the sign-in form",
    async () => {
      const page = await browser.context.newPage();
      const problems = watchProblems(page);
      await page.goto(`${stack.url}/`);
      await page.getByRole("textbox", { name: "API key" }).fill("wrong-key");
      await page.getByRole("button", { name: "Sign in" }).click();
      const alert = page.getByRole("alert");
      await alert.waitFor();
      const text = (await alert.textContent()) ?? "";
      expect(text).toContain("Invalid API key");
      expect(text).toContain("401");
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      await expect(page.getByRole("combobox", { name: "Model" }).count()).resolves.toBe(0);
      await screenshot(page, "signin-invalid-key");
      // The browser reports the refused sign-in request itself; nothing else may go wrong.
      expect(
        (await allProblems(page, problems)).filter((p) => !p.includes("status of 401")),
      ).toEqual([]);
      await page.close();
    },
    T,
  );

  test(
    "a right key (keyboard only) opens the playground, keeps the key in sessionStorage, and survives a reload",
    async () => {
      const { page, problems } = await signedIn();
      expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(KEY);
      // Admin views stay hidden from a data-plane key.
      await expect(page.getByRole("link", { name: "Keys" }).count()).resolves.toBe(0);
      await expect(page.getByRole("link", { name: "Playground" }).count()).resolves.toBe(1);
      await page.reload();
      await page.getByRole("combobox", { name: "Model" }).waitFor();
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("textbox", { name: "API key" }).waitFor();
      expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
      expect(await allProblems(page, problems)).toEqual([]);
      await page.close();
    },
    T,
  );
});

describe("playground", () => {
  test(
    "Model lists the chat models of GET /v1/models, the gateway's default preselected; embeddings have their own tab",
    async () => {
      const res = await fetch(`${stack.url}/v1/models`, { headers: AUTH });
      const ids = ((await res.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
      const embedding = ids.filter((id) => /embed/.test(id));
      const chat = ids.filter((id) => !/embed/.test(id));
      expect(embedding.length).toBeGreaterThan(2);

      const { page, problems } = await signedIn();
      const model = page.getByRole("combobox", { name: "Model" });
      const options = await model
        .locator("option")
        .evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));
      expect(options.sort()).toEqual(chat.sort());
      expect(await model.inputValue()).toBe(DEFAULT_MODEL);

      await page.getByRole("link", { name: "Embeddings" }).click();
      const embModel = page.getByRole("combobox", { name: "Model" });
      const embOptions = await embModel
        .locator("option")
        .evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));
      expect(embOptions.sort()).toEqual(embedding.sort());
      expect(await allProblems(page, problems)).toEqual([]);
      await page.close();
    },
    T,
  );

  test(
    "an answer streams in token by token into the log and ends equal to the emulator's text",
    async () => {
      const prompt = "Tell me a story [emu chunks=12 delay=60]";
      const expected = (await nonStreamReply(prompt)).content;
      expect(expected.split(" ").length).toBeGreaterThan(5);

      const { page, problems } = await signedIn();
      await page.getByRole("spinbutton", { name: "Temperature" }).fill("0.5");
      // Record every text the answer shows while it streams.
      await page.evaluate(RECORD_ANSWER_TEXTS);
      await sendMessage(page, prompt);
      await page.getByRole("button", { name: "Stop" }).waitFor();
      await screenshot(page, "playground-streaming");
      const answer = await lastAnswerDone(page);
      const seen = (await page.evaluate("window.seen")) as string[];
      // Many intermediate states, each a prefix of the next, ending with the whole text.
      expect(seen.length).toBeGreaterThanOrEqual(6);
      for (let i = 1; i < seen.length; i++)
        expect(seen[i]?.startsWith(seen[i - 1] ?? "")).toBe(true);
      expect(seen.at(-1)).toBe(expected);
      expect(await answer.getByTestId("answer").textContent()).toBe(expected);
      // The user's turn is in the log too, and the usage line closes the answer.
      await expect(page.getByRole("log").getByText(prompt).count()).resolves.toBe(1);
      await expect(answer.getByText(/\d+ input · \d+ output tokens/).count()).resolves.toBe(1);
      const sent = stack.emu.requests.at(-1)?.body as {
        inferenceConfig?: { temperature?: number };
      };
      expect(sent.inferenceConfig?.temperature).toBe(0.5);
      expect(await allProblems(page, problems)).toEqual([]);
      await page.close();
    },
    T,
  );

  test(
    "reasoning streams into a collapsible 'Reasoning' section, then the answer",
    async () => {
      const prompt = "Think first [emu reasoning=1 delay=20]";
      const expected = await nonStreamReply(prompt, { reasoning_effort: "low" });
      expect(expected.reasoning_content).toBeTruthy();

      const { page, problems } = await signedIn();
      await page.getByRole("combobox", { name: "Reasoning effort" }).selectOption("low");
      await page.getByRole("textbox", { name: "System prompt" }).fill("You are terse.");
      await page.getByRole("spinbutton", { name: "Max tokens" }).fill("2000");
      await sendMessage(page, prompt);
      const answer = await lastAnswerDone(page);
      const reasoning = answer.getByRole("group", { name: "Reasoning" });
      await expect(reasoning.textContent()).resolves.toContain(expected.reasoning_content ?? "?");
      expect(await answer.getByTestId("answer").textContent()).toBe(expected.content);
      await screenshot(page, "playground");
      // Collapsible: its summary toggles it, from the keyboard too.
      expect(await reasoning.evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(true);
      await reasoning.locator("summary").focus();
      await page.keyboard.press("Enter");
      expect(await reasoning.evaluate((d) => (d as unknown as { open: boolean }).open)).toBe(false);
      // The settings reached Bedrock.
      const sent = stack.emu.requests.at(-1)?.body as {
        system?: Array<{ text: string }>;
        inferenceConfig?: { maxTokens?: number };
        additionalModelRequestFields?: Record<string, unknown>;
      };
      expect(sent.system?.[0]?.text).toBe("You are terse.");
      expect(sent.inferenceConfig?.maxTokens).toBe(2000);
      expect(JSON.stringify(sent.additionalModelRequestFields)).toContain("thinking");
      expect(await allProblems(page, problems)).toEqual([]);
      await page.close();
    },
    T,
  );

  test(
    "tool calls show as such, and the conversation goes on after them",
    async () => {
      const { page, problems } = await signedIn();
      await page.getByRole("button", { name: "Example tool" }).click();
      await sendMessage(page, "Weather in Paris? [emu tool=get_weather]");
      const answer = await lastAnswerDone(page);
      const call = answer.getByRole("region", { name: "Tool call get_weather" });
      await expect(call.textContent()).resolves.toContain('"city": "example_city"');
      await screenshot(page, "playground-tool-call");
      await sendMessage(page, "Thanks");
      const next = await lastAnswerDone(page);
      await expect(next.getByTestId("answer").textContent()).resolves.toContain(
        "The tool returned",
      );
      await expect(page.getByRole("alert").count()).resolves.toBe(0);
      expect(await allProblems(page, problems)).toEqual([]);
      await page.close();
    },
    T,
  );

  test(
    "a Bedrock error shows as a message with its status, in the log",
    async () => {
      const { page, problems } = await signedIn();
      await sendMessage(page, "Busy? [emu error=ThrottlingException]");
      const answer = await lastAnswerDone(page);
      const alert = answer.getByRole("alert");
      const text = (await alert.textContent()) ?? "";
      expect(text).toContain("429");
      expect(text).toContain("rate_limit_error");
      expect(await alert.isVisible()).toBe(true);
      // An error inside a started stream is shown too.
      await sendMessage(page, "Again [emu midstream=throttlingException]");
      const second = await lastAnswerDone(page);
      await expect(second.getByRole("alert").textContent()).resolves.toContain("429");
      await screenshot(page, "playground-error");
      expect(
        (await allProblems(page, problems)).filter((p) => !p.includes("status of 429")),
      ).toEqual([]);
      await page.close();
    },
    T,
  );

  test(
    "Stop aborts the stream: the answer stops growing and Bedrock's stream is cancelled",
    async () => {
      stack.emu.reset();
      const { page, problems } = await signedIn();
      await sendMessage(page, "Go on and on [emu chunks=500 delay=40]");
      const answer = page.getByRole("log").getByRole("article").last();
      await answer.getByTestId("answer").waitFor();
      await page.getByRole("button", { name: "Stop" }).click();
      await answer.getByText("Stopped.").waitFor();
      const after = await answer.getByTestId("answer").textContent();
      const words = (after ?? "").split(" ").length;
      expect(words).toBeLessThan(400);
      // Bedrock's side of the stream was cancelled, not left running.
      for (let i = 0; i < 50 && stack.emu.stats.streamsCancelled === 0; i++) await Bun.sleep(100);
      expect(stack.emu.stats.streamsCancelled).toBe(1);
      expect(await answer.getByTestId("answer").textContent()).toBe(after);
      await expect(page.getByRole("button", { name: "Stop" }).count()).resolves.toBe(0);
      expect(await allProblems(page, problems)).toEqual([]);
      await page.close();
    },
    T,
  );

  test(
    "model output is text, never HTML",
    async () => {
      const { page, problems } = await signedIn();
      const payload = `<img src=x id=injected><script>alert(1)</script> **bold** and \`code\``;
      await sendMessage(page, payload);
      const answer = await lastAnswerDone(page);
      await expect(page.locator("#injected").count()).resolves.toBe(0);
      await expect(answer.locator("img, script").count()).resolves.toBe(0);
      await expect(answer.getByTestId("answer").textContent()).resolves.toContain(
        "<img src=x id=injected>",
      );
      await expect(answer.locator("strong").textContent()).resolves.toBe("bold");
      expect(await allProblems(page, problems)).toEqual([]);
      await page.close();
    },
    T,
  );

  test(
    "the request as curl and as openai JavaScript runs as pasted; the Python snippet is the same request",
    async () => {
      const { page, problems } = await signedIn();
      await page.getByRole("textbox", { name: "Message" }).fill("Snippet check");
      const code = page.locator(".snippet");
      const curl = (await code.textContent()) ?? "";
      expect(curl).toContain(`curl -N ${stack.url}/v1/chat/completions`);
      expect(curl).toContain("Bearer $OPENAI_API_KEY");
      expect(curl).not.toContain(KEY);
      const proc = Bun.spawn(["bash", "-c", curl], {
        env: { ...process.env, OPENAI_API_KEY: KEY },
        stdout: "pipe",
        stderr: "pipe",
      });
      const out = await new Response(proc.stdout).text();
      expect(await proc.exited).toBe(0);
      const frames = out.split("\n\n").filter((f) => f.startsWith("data: "));
      expect(frames.at(-1)).toBe("data: [DONE]");
      const text = frames
        .slice(0, -1)
        .map((f) => JSON.parse(f.slice(6)) as { choices: Array<{ delta: { content?: string } }> })
        .map((c) => c.choices[0]?.delta.content ?? "")
        .join("");
      expect(text).toBe("Hello from the Bedrock emulator. You said: Snippet check");

      await page.getByRole("combobox", { name: "Snippet language" }).selectOption("python");
      const py = (await code.textContent()) ?? "";
      expect(py).toContain(`OpenAI(base_url="${stack.url}/v1")`);
      expect(py).toContain("client.chat.completions.create(");
      expect(py).toContain('"content": "Snippet check"');
      expect(py).toContain("stream=True");
      await page.getByRole("combobox", { name: "Snippet language" }).selectOption("javascript");
      const js = (await code.textContent()) ?? "";
      expect(js).toContain(`new OpenAI({ baseURL: "${stack.url}/v1" })`);
      // The JavaScript runs as pasted, with the real openai package (a dev dependency here).
      mkdirSync(ARTIFACTS, { recursive: true });
      const file = join(ARTIFACTS, "snippet.mjs");
      await Bun.write(file, js);
      const run = Bun.spawn([process.execPath, file], {
        env: { ...process.env, OPENAI_API_KEY: KEY },
        stdout: "pipe",
        stderr: "pipe",
      });
      const printed = await new Response(run.stdout).text();
      expect(await run.exited).toBe(0);
      expect(printed).toBe("Hello from the Bedrock emulator. You said: Snippet check");
      expect(await allProblems(page, problems)).toEqual([]);
      await page.close();
    },
    T,
  );

  test(
    "embeddings: a vector with its size and tokens",
    async () => {
      const { page, problems } = await signedIn();
      await page.getByRole("link", { name: "Embeddings" }).click();
      await page
        .getByRole("combobox", { name: "Model" })
        .selectOption("amazon.titan-embed-text-v2:0");
      await page.getByRole("textbox", { name: "Input" }).fill("Embed this sentence.");
      await page.getByRole("button", { name: "Embed" }).click();
      await page.getByText("1024 dimensions").waitFor();
      await screenshot(page, "embeddings");
      expect(await allProblems(page, problems)).toEqual([]);
      await page.close();
    },
    T,
  );

  test(
    "phone width: the playground fits without horizontal scrolling",
    async () => {
      const phone = await launchBrowser({ width: 390, height: 844 });
      try {
        const page = await phone.context.newPage();
        const problems = watchProblems(page);
        await page.goto(`${stack.url}/`);
        await screenshot(page, "phone-signin");
        await page.getByRole("textbox", { name: "API key" }).fill(KEY);
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.getByRole("combobox", { name: "Model" }).waitFor();
        await sendMessage(page, "Hello from a phone [emu reasoning=1]");
        await lastAnswerDone(page);
        const overflow = await page.evaluate(
          "document.documentElement.scrollWidth - document.documentElement.clientWidth",
        );
        expect(overflow).toBe(0);
        await screenshot(page, "phone-playground");
        expect(await allProblems(page, problems)).toEqual([]);
      } finally {
        await phone.close();
      }
    },
    T,
  );
});
