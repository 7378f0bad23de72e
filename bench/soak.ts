/**
 * `bun run soak`: the long reliability probes, kept out of the test suite.
 * Runs the emulator and the gateway (`bun run src/index.ts`) as separate
 * processes on loopback and drives, one after the other:
 *
 * 1. abort storm: streams aborted at random points (before the first byte,
 *    mid-stream); afterwards no upstream stream may be left open, nothing
 *    may count as a 5xx or a Bedrock error, and every abort is `cancelled`;
 * 2. soak: a steady mixed load (streamed and not) for --soak-seconds, with
 *    the gateway's RSS sampled; the slope over the second half (after
 *    warm-up) says whether memory grows;
 * 3. slow readers: streams whose clients stop reading for a while (the
 *    socket fills; back-pressure must hold the stream, not buffer it), then
 *    read to the end: all must complete, and the RSS added is reported;
 * 4. slowloris: connections that send a request's headers a byte at a time;
 *    meanwhile normal requests must still be served, and the idle timeout
 *    must close the trickling sockets.
 *
 * Bounded (counts and durations below, all overridable) and loopback only.
 * Figures go to bench/soak-results.md (--out=FILE; --out= to skip), quoted in
 * the README's Operations section. Like the benchmark, nothing here is a test
 * assertion on time; the run exits 1 if a correctness figure is off (a stream
 * left open, a silent truncation, a 5xx from an abort).
 *
 * @module
 */
import { connect, type Socket } from "node:net";
import { freePort, type Proc, spawnEmulator, spawnService, statusMiB } from "./procs";
import { BENCH_MODEL } from "./targets";

function flag(name: string, def: string): string {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit ? hit.slice(hit.indexOf("=") + 1) : def;
}
const ABORTS = Number(flag("aborts", "2000"));
const SOAK_SECONDS = Number(flag("soak-seconds", "60"));
const SOAK_CLIENTS = Number(flag("soak-clients", "32"));
const SLOW_READERS = Number(flag("slow-readers", "50"));
const SLOWLORIS = Number(flag("slowloris", "300"));
const OUT = flag("out", "bench/soak-results.md");

interface Figures {
  [section: string]: Record<string, string | number>;
}
const figures: Figures = {};
const failures: string[] = [];
function check(ok: boolean, what: string): void {
  if (!ok) failures.push(what);
}

async function metric(gw: Proc, name: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}

async function metricMatching(gw: Proc, name: string, labelRe: RegExp): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) && labelRe.test(line)) {
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
    }
  }
  return sum;
}

async function emuStats(emu: Proc): Promise<Record<string, number>> {
  return (await (await fetch(`${emu.url}/__emulator/stats`)).json()) as Record<string, number>;
}

function chatBody(content: string, stream: boolean): string {
  return JSON.stringify({ model: BENCH_MODEL, stream, messages: [{ role: "user", content }] });
}

async function settle(cond: () => Promise<boolean>, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await Bun.sleep(50);
  }
  return cond();
}

/** Runs `jobs` with at most `limit` at once. */
async function pool<T>(count: number, limit: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await job(i);
      }
    }),
  );
  return out;
}

function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function abortStorm(gw: Proc, emu: Proc): Promise<void> {
  const rand = seeded(17);
  const t0 = performance.now();
  await pool(ABORTS, 100, async (i) => {
    const controller = new AbortController();
    // Half abort before the first upstream byte (first=200), half mid-stream.
    const beforeFirst = i % 2 === 0;
    const content = beforeFirst
      ? `[emu first=200 chunks=5 delay=20] abort ${i}`
      : `[emu chunks=40 delay=10] abort ${i}`;
    const after = beforeFirst ? 20 + rand() * 100 : 50 + rand() * 200;
    const timer = setTimeout(() => controller.abort(), after);
    try {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: chatBody(content, true),
        signal: controller.signal,
      });
      await res.text();
    } catch {
      // aborted, as intended
    } finally {
      clearTimeout(timer);
    }
  });
  const seconds = (performance.now() - t0) / 1000;
  const closed = await settle(async () => (await emuStats(emu)).streamsOpen === 0);
  const stats = await emuStats(emu);
  // The chat route only: /health answers 503 while the gateway starts (the readiness poll).
  const fiveXx = await metricMatching(
    gw,
    "gateway_requests_total",
    /route="\/v1\/chat\/completions".*status="5\d\d"/,
  );
  const reached = await metricMatching(
    gw,
    "gateway_requests_total",
    /route="\/v1\/chat\/completions"/,
  );
  const bedrockErrors = await metric(gw, "gateway_bedrock_errors_total");
  const cancelled = await metric(gw, "gateway_requests_cancelled_total");
  const upstreamOpen = await metric(gw, "gateway_upstream_requests_in_flight");
  const streamsOpen = await metric(gw, "gateway_streams_in_flight");
  figures["Abort storm"] = {
    "streams aborted by the client (half before the first upstream byte, half mid-stream)": ABORTS,
    seconds: seconds.toFixed(1),
    "requests that reached the gateway before their abort": reached,
    "upstream streams started at the emulator": stats.streamsStarted ?? 0,
    "upstream streams cancelled by the gateway": stats.streamsCancelled ?? 0,
    "upstream streams that ended before the cancel reached them": stats.streamsCompleted ?? 0,
    "upstream streams left open afterwards": stats.streamsOpen ?? 0,
    "gateway: streams in flight afterwards": streamsOpen,
    "gateway: upstream calls in flight afterwards": upstreamOpen,
    "requests counted cancelled": cancelled,
    "5xx responses": fiveXx,
    "Bedrock errors counted": bedrockErrors,
  };
  check(closed && stats.streamsOpen === 0, "abort storm left upstream streams open");
  check(streamsOpen === 0 && upstreamOpen === 0, "abort storm left gateway streams in flight");
  check(fiveXx === 0, "aborts counted as 5xx");
  check(bedrockErrors === 0, "aborts counted as Bedrock errors");
}

/** Least-squares slope of y over x. */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function soak(gw: Proc): Promise<void> {
  const samples: Array<[number, number]> = [];
  const t0 = performance.now();
  const end = t0 + SOAK_SECONDS * 1000;
  let requests = 0;
  let errors = 0;
  let truncated = 0;
  const sampler = (async () => {
    while (performance.now() < end) {
      samples.push([(performance.now() - t0) / 60_000, await statusMiB(gw.pid, "VmRSS")]);
      await Bun.sleep(1000);
    }
  })();
  await Promise.all(
    Array.from({ length: SOAK_CLIENTS }, async (_, c) => {
      for (let i = 0; performance.now() < end; i++) {
        const stream = (c + i) % 2 === 0;
        const res = await fetch(`${gw.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: chatBody(`[emu chunks=20 delay=2] soak ${c}-${i}`, stream),
        });
        const text = await res.text();
        requests++;
        if (res.status !== 200) errors++;
        else if (stream && !text.endsWith("data: [DONE]\n\n")) truncated++;
      }
    }),
  );
  await sampler;
  const second = samples.filter(([m]) => m >= SOAK_SECONDS / 120);
  const rss = samples.map(([, r]) => r);
  figures.Soak = {
    seconds: SOAK_SECONDS,
    clients: SOAK_CLIENTS,
    requests,
    "requests per second": (requests / SOAK_SECONDS).toFixed(0),
    errors: errors,
    "streams without [DONE]": truncated,
    "RSS at start (MiB)": (rss[0] ?? 0).toFixed(1),
    "RSS at end (MiB)": (rss.at(-1) ?? 0).toFixed(1),
    "RSS peak (MiB)": Math.max(...rss).toFixed(1),
    "RSS slope over the second half (MiB/min)": slope(second).toFixed(2),
  };
  check(errors === 0 && truncated === 0, "soak had errors or truncated streams");
}

/** A raw HTTP/1.1 client whose reading can be paused (node:net). */
function rawRequest(
  port: number,
  payload: string,
): { socket: Socket; text: () => string; done: Promise<void> } {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  socket.setEncoding("utf8");
  socket.on("data", (d: string) => {
    received += d;
  });
  const done = new Promise<void>((resolve) => {
    socket.on("close", () => resolve());
    socket.on("error", () => resolve());
  });
  socket.write(payload);
  return { socket, text: () => received, done };
}

async function slowReaders(gw: Proc): Promise<void> {
  const port = Number(new URL(gw.url).port);
  const body = chatBody("[emu chunks=2000 chunk=200] a very long answer", true);
  const before = await statusMiB(gw.pid, "VmRSS");
  const conns = Array.from({ length: SLOW_READERS }, () =>
    rawRequest(
      port,
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    ),
  );
  // Read a little, then stop reading for 5 s: the sockets fill and back-pressure holds.
  await Bun.sleep(300);
  for (const c of conns) c.socket.pause();
  await Bun.sleep(5000);
  const held = await statusMiB(gw.pid, "VmRSS");
  for (const c of conns) c.socket.resume();
  await Promise.all(conns.map((c) => c.done));
  const complete = conns.filter((c) => c.text().includes("data: [DONE]")).length;
  figures["Slow readers"] = {
    "streams (2,000 deltas of 200 chars, ~400 KB each)": SLOW_READERS,
    "paused for (s)": 5,
    "RSS before (MiB)": before.toFixed(1),
    "RSS while paused (MiB)": held.toFixed(1),
    "RSS added per paused stream (KiB)": (((held - before) * 1024) / SLOW_READERS).toFixed(0),
    "completed with [DONE] after resuming": complete,
  };
  check(complete === SLOW_READERS, "slow readers did not all complete");
}

async function slowloris(gw: Proc): Promise<void> {
  const port = Number(new URL(gw.url).port);
  const header =
    "POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n";
  let closedByServer = 0;
  const sockets: Socket[] = [];
  for (let i = 0; i < SLOWLORIS; i++) {
    const s = connect(port, "127.0.0.1");
    s.on("close", () => {
      closedByServer++;
    });
    s.on("error", () => {});
    sockets.push(s);
  }
  // Trickle one header byte per socket per second for 12 s.
  let at = 0;
  const trickle = setInterval(() => {
    for (const s of sockets) if (!s.destroyed) s.write(header[at % header.length] as string);
    at++;
  }, 1000);
  // Meanwhile normal traffic must go on.
  let served = 0;
  let failed = 0;
  const latencies: number[] = [];
  const end = Date.now() + 12_000;
  while (Date.now() < end) {
    const t = performance.now();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chatBody("hello during slowloris", false),
    }).catch(() => undefined);
    if (res?.status === 200) served++;
    else failed++;
    await res?.arrayBuffer();
    latencies.push(performance.now() - t);
    await Bun.sleep(100);
  }
  clearInterval(trickle);
  const stillOpen = sockets.filter((s) => !s.destroyed && s.readyState === "open").length;
  for (const s of sockets) s.destroy();
  latencies.sort((a, b) => a - b);
  figures.Slowloris = {
    "trickling connections (1 header byte/s each)": SLOWLORIS,
    seconds: 12,
    "normal requests served meanwhile": served,
    "normal requests failed": failed,
    "normal request p50 (ms)": (latencies[Math.floor(latencies.length / 2)] ?? 0).toFixed(1),
    "trickling connections closed by the gateway": closedByServer,
    "trickling connections still open at the end": stillOpen,
  };
  check(failed === 0, "normal requests failed during slowloris");
}

async function main(): Promise<void> {
  const emu = await spawnEmulator();
  const port = freePort();
  const gw = await spawnService({
    name: "gateway",
    cmd: ["bun", "run", "src/index.ts"],
    env: {
      PORT: String(port),
      HOST: "127.0.0.1",
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIDSOAK",
      AWS_SECRET_ACCESS_KEY: "soak-secret",
      AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emu.url,
      AWS_ENDPOINT_URL_BEDROCK: emu.url,
      LOG_LEVEL: "warn",
      // Slowloris: sockets that trickle get closed after this much idle time.
      HTTP_IDLE_TIMEOUT_SECONDS: "5",
      MAX_CONCURRENT_REQUESTS: "1000",
    },
    url: `http://127.0.0.1:${port}`,
    readyPath: "/health",
  });
  const started = new Date();
  try {
    for (const [name, run] of [
      ["abort storm", () => abortStorm(gw, emu)],
      ["soak", () => soak(gw)],
      ["slow readers", () => slowReaders(gw)],
      ["slowloris", () => slowloris(gw)],
    ] as const) {
      process.stdout.write(`== ${name}\n`);
      await run();
    }
  } finally {
    await gw.stop();
    await emu.stop();
  }
  const lines = [
    "# Soak results",
    "",
    `\`bun run soak\` on ${started.toISOString().slice(0, 16).replace("T", " ")} UTC, Bun ${Bun.version}, ${navigator.hardwareConcurrency} cores; gateway and emulator as separate processes on loopback.`,
    "",
  ];
  for (const [section, rows] of Object.entries(figures)) {
    lines.push(`## ${section}`, "", "| Figure | Value |", "|---|---|");
    for (const [k, v] of Object.entries(rows)) lines.push(`| ${k} | ${v} |`);
    lines.push("");
  }
  lines.push(
    failures.length === 0 ? "All correctness figures held." : `FAILED: ${failures.join("; ")}`,
    "",
  );
  const text = lines.join("\n");
  process.stdout.write(`${text}\n`);
  if (OUT) await Bun.write(OUT, text);
  process.exit(failures.length === 0 ? 0 : 1);
}

await main();
