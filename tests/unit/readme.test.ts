/**
 * The README is the front door: its configuration table must list every
 * variable the config schema reads, and its commands must exist.
 */
import { describe, expect, test } from "bun:test";
import { CONFIG_VARIABLES } from "../../src/config";

const readme = await Bun.file(`${import.meta.dir}/../../README.md`).text();
const pkg = (await Bun.file(`${import.meta.dir}/../../package.json`).json()) as {
  scripts: Record<string, string>;
};

function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  const end = readme.indexOf("\n## ", start + 4);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe("README", () => {
  const table = section("Configuration")
    .split("\n")
    .filter((l) => l.startsWith("| `"));

  test.each(CONFIG_VARIABLES)("the configuration table lists %s", (name) => {
    expect(table.some((row) => row.split("|")[1]?.includes(`\`${name}\``))).toBe(true);
  });

  test("every `bun run <script>` it shows exists in package.json", () => {
    const scripts = [...readme.matchAll(/bun run ([a-z:-]+)(?![\w./])/g)].map((m) => m[1] ?? "");
    expect(scripts.length).toBeGreaterThan(3);
    for (const s of new Set(scripts)) expect(Object.keys(pkg.scripts)).toContain(s);
  });
});
