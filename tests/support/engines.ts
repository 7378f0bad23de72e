/**
 * Real PostgreSQL and Redis servers for tests, each on an ephemeral loopback
 * port in a temp dir, stopped by the returned handle. Debian's binaries:
 * /usr/lib/postgresql/<v>/bin (package postgresql) and redis-server.
 *
 * initdb and postgres refuse to run as root (CI runs as root), so as root both
 * run as the `postgres` system user (created by the Debian package) through
 * `runuser`; as anyone else they run as that user.
 */
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./process";

export interface Engine {
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Stops the server, keeping its data (PostgreSQL). */
  pause?(): Promise<void>;
  /** Starts it again on the same port with the same data (PostgreSQL). */
  resume?(): Promise<void>;
}

function pgBin(name: string): string {
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, "bin", name)))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(root, versions[0], "bin", name);
  }
  return name;
}

const isRoot = process.getuid?.() === 0;

function asPostgresUser(cmd: string[]): string[] {
  return isRoot ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd;
}

async function run(cmd: string[]): Promise<void> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const code = await p.exited;
  if (code !== 0) {
    const out = (await new Response(p.stdout).text()) + (await new Response(p.stderr).text());
    throw new Error(`${cmd.join(" ")} exited ${code}:\n${out}`);
  }
}

/** initdb + pg_ctl start on 127.0.0.1:<free port>; trust auth for loopback only. */
export async function startPostgres(): Promise<Engine> {
  const dir = mkdtempSync(join(tmpdir(), "gw-pg-"));
  chmodSync(dir, 0o700);
  if (isRoot) {
    const pw = await Bun.$`id -u postgres`.quiet().nothrow();
    const gid = await Bun.$`id -g postgres`.quiet().nothrow();
    if (pw.exitCode !== 0) throw new Error("no 'postgres' user: install the postgresql package");
    chownSync(dir, Number(pw.stdout.toString().trim()), Number(gid.stdout.toString().trim()));
  }
  const data = join(dir, "data");
  await run(
    asPostgresUser([
      pgBin("initdb"),
      "-D",
      data,
      "-U",
      "postgres",
      "--auth=trust",
      "--no-sync",
      "-E",
      "UTF8",
    ]),
  );
  const port = freePort();
  const start = () =>
    run(
      asPostgresUser([
        pgBin("pg_ctl"),
        "-D",
        data,
        "-l",
        join(dir, "log"),
        "-w",
        "-t",
        "30",
        "-o",
        `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=200`,
        "start",
      ]),
    );
  await start();
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    pause: () => run(asPostgresUser([pgBin("pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"])),
    resume: start,
    stop: async () => {
      await run(
        asPostgresUser([pgBin("pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]),
      ).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh database on a running server, so test files can share one server. */
export async function createDatabase(pg: Engine, name: string): Promise<string> {
  const { SQL } = await import("bun");
  const sql = new SQL(pg.url);
  await sql.unsafe(`CREATE DATABASE ${name}`);
  await sql.close();
  return pg.url.replace(/\/postgres$/, `/${name}`);
}

/** redis-server on 127.0.0.1:<free port>, no persistence. */
export async function startRedis(port = freePort()): Promise<Engine> {
  const dir = mkdtempSync(join(tmpdir(), "gw-redis-"));
  const proc = Bun.spawn(
    [
      "redis-server",
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
    ],
    { stdout: "ignore", stderr: "ignore" },
  );
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ok = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        data() {},
        open(s) {
          s.end();
        },
      },
    }).then(
      () => true,
      () => false,
    );
    if (ok) break;
    await Bun.sleep(50);
  }
  return {
    port,
    url,
    stop: async () => {
      proc.kill("SIGKILL");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
