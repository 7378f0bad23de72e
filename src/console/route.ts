/**
 * The web console: `GET /` (the page), `/console/*` (its script, stylesheet and
 * icon, built by {@link consoleAssets}) and `GET /console/session` (what a key
 * may do). Everything is served by the gateway itself, under a strict
 * Content-Security-Policy: scripts and styles only from this origin, no inline
 * code, no frames, fetches only to this origin.
 *
 * The page holds no secret: the key lives in the browser's sessionStorage and
 * goes to the gateway's own routes as a Bearer token.
 *
 * @module
 */
import { Hono } from "hono";
import { GatewayError } from "../errors";
import { type Asset, consoleAssets } from "./assets";

/** Sends a request through the whole gateway app (auth included), as the browser would. */
export type Dispatch = (request: Request) => Promise<Response>;

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CONSOLE_CSP,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
};

const ICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="#1f4e8c"/><path d="M9 22V10h7a4 4 0 0 1 0 8h-7m7 0 5 4" fill="none" stroke="#fff" stroke-width="3" stroke-linecap="round" stroke-linejoin="round"/></svg>`;

function page(version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bedrock gateway console</title>
<link rel="icon" href="/console/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/console/app-${version}.css">
<script type="module" src="/console/app-${version}.js"></script>
</head>
<body>
<div id="app"><noscript>The console needs JavaScript.</noscript></div>
</body>
</html>
`;
}

function serve(asset: Asset, acceptEncoding: string, immutable: boolean): Response {
  const gzip = /\bgzip\b/.test(acceptEncoding);
  return new Response(gzip ? asset.gzip : asset.body, {
    headers: {
      ...SECURITY_HEADERS,
      "content-type": asset.type,
      "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      vary: "accept-encoding",
      ...(gzip ? { "content-encoding": "gzip" } : {}),
    },
  });
}

export interface ConsoleDefaults {
  /** Preselected in the playground when the key may use it. */
  model: string;
  embeddingModel: string;
}

/**
 * @param dispatch the gateway app's own fetch, used by /console/session to ask
 *   the data plane and the admin API whether they accept a key
 */
export function consoleRoute(dispatch: Dispatch, defaults: ConsoleDefaults): Hono {
  const app = new Hono();

  app.get("/", async (c) => {
    const { version } = await consoleAssets();
    return c.html(page(version), 200, { ...SECURITY_HEADERS, "cache-control": "no-cache" });
  });

  app.get("/console/icon.svg", (c) =>
    c.body(ICON, 200, {
      ...SECURITY_HEADERS,
      "content-type": "image/svg+xml",
      "cache-control": "public, max-age=86400",
    }),
  );

  app.get("/console/:file{app-[a-z0-9]+\\.(js|css)}", async (c) => {
    const assets = await consoleAssets();
    const file = c.req.param("file");
    const dot = file.lastIndexOf(".");
    const version = file.slice("app-".length, dot);
    const asset = file.endsWith(".js") ? assets.js : assets.css;
    return serve(asset, c.req.header("accept-encoding") ?? "", version === assets.version);
  });

  // One call tells the console what a key opens: the playground (the data plane
  // accepts it; its GET /v1/models answer comes along, so signing in costs a
  // virtual key one request of its rate limit, not two) and/or the admin views
  // (the admin API accepts it). Asking here rather than from the browser keeps
  // the expected 401/404 of a probe off the page.
  app.get("/console/session", async (c) => {
    const authorization = c.req.header("authorization");
    if (!authorization) {
      throw new GatewayError(401, "Missing API key: send 'Authorization: Bearer <key>'.", {
        code: "missing_api_key",
      });
    }
    const origin = new URL(c.req.url).origin;
    const ask = (path: string) =>
      dispatch(new Request(`${origin}${path}`, { headers: { authorization } }));
    const [chat, admin] = await Promise.all([ask("/v1/models"), ask("/admin/keys")]);
    if (chat.ok || admin.ok) {
      await admin.body?.cancel();
      const models = chat.ok ? ((await chat.json()) as { data: unknown[] }).data : [];
      if (!chat.ok) await chat.body?.cancel();
      return c.json(
        {
          chat: chat.ok,
          admin: admin.ok,
          models,
          default_model: defaults.model,
          default_embedding_model: defaults.embeddingModel,
        },
        200,
        { "cache-control": "no-store" },
      );
    }
    await admin.body?.cancel();
    // The data plane's own refusal (401 invalid key, 503 catalog not loaded, …).
    return new Response(chat.body, { status: chat.status, headers: chat.headers });
  });

  return app;
}
