/**
 * Anthropic's own model names → the Bedrock model, so Claude Code and the
 * Anthropic SDKs work with the names they know:
 * - dated names (`claude-sonnet-4-20250514`, `claude-3-7-sonnet-20250219`) → the
 *   Bedrock model with that date (`anthropic.claude-sonnet-4-20250514-v1:0`);
 * - undated aliases (`claude-sonnet-4-0`, `claude-sonnet-4-5`, `claude-opus-4-1`,
 *   `claude-3-5-haiku-latest`) → the newest Bedrock model of that name in the catalog;
 * then the catalog resolves it like any id (a profile-only model → the region's
 * inference profile). Never across families: a name that matches nothing stays unknown.
 *
 * @module
 */

/** `anthropic.<base>[-YYYYMMDD][-vN[:M]]` */
const BEDROCK_CLAUDE = /^anthropic\.(claude-[a-z0-9-]+?)(?:-(\d{8}))?(?:-v(\d+)(?::(\d+))?)?$/;

interface Parsed {
  id: string;
  base: string;
  date: string;
  version: number;
  minor: number;
}

function parse(id: string): Parsed | undefined {
  const m = BEDROCK_CLAUDE.exec(id);
  if (!m?.[1]) return undefined;
  return {
    id,
    base: m[1],
    date: m[2] ?? "",
    version: Number(m[3] ?? 0),
    minor: Number(m[4] ?? 0),
  };
}

/** The base name and date an Anthropic name asks for, or undefined if it is not a Claude name. */
function parseRequested(name: string): { base: string; date?: string } | undefined {
  if (!/^claude-[a-z0-9.-]+$/.test(name)) return undefined;
  const dated = /^(claude-[a-z0-9-]+?)-(\d{8})$/.exec(name);
  if (dated?.[1] && dated[2]) return { base: dated[1], date: dated[2] };
  // `-latest` and a `-0` minor (claude-sonnet-4-0 = claude-sonnet-4) name the newest of a base.
  const base = name.replace(/-latest$/, "").replace(/^(claude-(?:opus|sonnet|haiku)-\d+)-0$/, "$1");
  return { base };
}

/**
 * The Bedrock foundation-model id an Anthropic name stands for, among `foundationIds`
 * (the catalog's models), or undefined.
 */
export function mapAnthropicName(
  name: string,
  foundationIds: Iterable<string>,
): string | undefined {
  const want = parseRequested(name);
  if (!want) return undefined;
  const matches: Parsed[] = [];
  for (const id of foundationIds) {
    const p = parse(id);
    if (!p || p.base !== want.base) continue;
    if (want.date !== undefined && p.date !== want.date) continue;
    matches.push(p);
  }
  // Newest first: date, then version (an undated id of a newer generation has no date).
  matches.sort(
    (a, b) =>
      b.date.localeCompare(a.date) ||
      b.version - a.version ||
      b.minor - a.minor ||
      (a.id < b.id ? -1 : 1),
  );
  return matches[0]?.id;
}
