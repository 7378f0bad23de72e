/**
 * The console's browser bundle, built by Bun's bundler from `client/` the first
 * time it is asked for (no build step, nothing fetched from the network; a
 * gateway that never serves the console never pays for it). Preact and uPlot
 * are bundled in; the result is kept in memory with a gzip copy and a content
 * hash for the asset URLs, so browsers may cache it for good.
 *
 * @module
 */

export interface Asset {
  body: Uint8Array<ArrayBuffer>;
  gzip: Uint8Array<ArrayBuffer>;
  type: string;
}

export interface ConsoleAssets {
  /** Content hash of the bundle: part of the asset URLs, so a new build busts caches. */
  version: string;
  js: Asset;
  css: Asset;
}

const ENTRY = `${import.meta.dir}/client/main.tsx`;

function asset(body: Uint8Array<ArrayBuffer>, type: string): Asset {
  return { body, gzip: Bun.gzipSync(body), type };
}

/** Bundles the client; throws with the bundler's messages when it fails. */
export async function buildConsoleAssets(): Promise<ConsoleAssets> {
  const result = await Bun.build({
    entrypoints: [ENTRY],
    target: "browser",
    minify: true,
    // The client reads no environment; keep it that way.
    env: "disable",
  });
  if (!result.success) {
    throw new AggregateError(result.logs, "Building the console bundle failed");
  }
  const js = result.outputs.find((o) => o.kind === "entry-point");
  const css = result.outputs.find((o) => o.path.endsWith(".css"));
  if (!js || !css) throw new Error("The console bundle lacks its script or its stylesheet");
  const jsBytes = new Uint8Array(await js.arrayBuffer());
  const cssBytes = new Uint8Array(await css.arrayBuffer());
  const version = Bun.hash(jsBytes).toString(36) + Bun.hash(cssBytes).toString(36);
  return {
    version,
    js: asset(jsBytes, "text/javascript; charset=utf-8"),
    css: asset(cssBytes, "text/css; charset=utf-8"),
  };
}

let pending: Promise<ConsoleAssets> | undefined;

/** The bundle, built once per process; a failed build is retried on the next call. */
export function consoleAssets(): Promise<ConsoleAssets> {
  pending ??= buildConsoleAssets().catch((err: unknown) => {
    pending = undefined;
    throw err;
  });
  return pending;
}
