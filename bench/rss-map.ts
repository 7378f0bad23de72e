/**
 * Where the gateway's resident memory is, by mapping: the gateway as its own
 * process (`src/index.ts`, raw transport, the emulator in another process),
 * /proc/<pid>/smaps summed per mapped file ("bun.exe" is Bun's own code,
 * clean pages shared with the file; "[anon]" is heap, JIT code and buffers),
 * idle after start, then at peak under 256 clients of one mode.
 *
 *   bun run bench/rss-map.ts [--mode=stream200] [--clients=256] [--root=DIR] [--env=K=V,K=V]
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLoad } from "./load";
import { freePort, spawnEmulator, spawnService, statusMiB } from "./procs";
import { gatewaySpec, type Mode } from "./targets";

function flag(name: string): string | undefined {
  const hit = process.argv.find((a) => a.startsWith(`--${name}=`));
  return hit?.slice(name.length + 3);
}
const root = flag("root") ?? join(import.meta.dir, "..");
const mode = (flag("mode") ?? "stream200") as Mode;
const clients = Number(flag("clients") ?? 256);
const extra = Object.fromEntries(
  (flag("env") ?? "")
    .split(",")
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1)]),
);

/** KiB resident per mapping name. */
async function smaps(pid: number): Promise<Map<string, number>> {
  const text = await Bun.file(`/proc/${pid}/smaps`).text();
  const out = new Map<string, number>();
  let name = "";
  for (const line of text.split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      name = head[1]?.split("/").pop() || "[anon]";
      continue;
    }
    const rss = /^Rss:\s+(\d+)/.exec(line);
    if (rss) out.set(name, (out.get(name) ?? 0) + Number(rss[1]));
  }
  return out;
}
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const show = (label: string, m: Map<string, number>) =>
  console.log(
    `${label}: ${(total(m) / 1024).toFixed(1)} MiB = ${[...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([k, v]) => `${k} ${(v / 1024).toFixed(1)}`)
      .join(" + ")} + …`,
  );

const emu = await spawnEmulator();
const port = freePort();
const gw = await spawnService({
  name: "gateway",
  cmd: ["bun", join(root, "src/index.ts")],
  env: {
    PORT: String(port),
    HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    BEDROCK_TRANSPORT: "raw",
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: emu.url,
    AWS_ENDPOINT_URL_BEDROCK: emu.url,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDBENCH",
    AWS_SECRET_ACCESS_KEY: "bench-secret",
    API_KEY: "",
    DATA_DIR: mkdtempSync(join(tmpdir(), "gw-bench-")),
    ...extra,
  },
  url: `http://127.0.0.1:${port}`,
  readyPath: "/health",
});
try {
  await Bun.sleep(500);
  show("idle", await smaps(gw.pid));
  const spec = gatewaySpec(gw.url, mode);
  await runLoad(spec, clients, 1000);
  let peak = new Map<string, number>();
  let done = false;
  const load = runLoad(spec, clients, 3000).then(() => {
    done = true;
  });
  while (!done) {
    const m = await smaps(gw.pid);
    if (total(m) > total(peak)) peak = m;
    await Bun.sleep(100);
  }
  await load;
  show(`peak, ${mode} × ${clients}`, peak);
  console.log(`VmHWM ${(await statusMiB(gw.pid, "VmHWM")).toFixed(1)} MiB`);
} finally {
  await gw.stop();
  await emu.stop();
}
