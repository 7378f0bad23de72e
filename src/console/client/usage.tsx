/**
 * Admin: tokens per day (input / output / cache read / cache write) as a uPlot
 * chart, filtered by key and model, and the usage table per key and model with
 * the numbers exactly as GET /admin/usage returns them.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { listKeys, type UsageRow, usage, type VirtualKey } from "./admin-api";
import { ApiError } from "./api";

const DAY = 86_400;

function isoDay(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(0, 10);
}

function today(): string {
  return isoDay(Math.floor(Date.now() / 1000));
}

function daysAgo(n: number): string {
  return isoDay(Math.floor(Date.now() / 1000) - n * DAY);
}

/** Unix seconds of a YYYY-MM-DD (UTC midnight). */
function dayStart(day: string): number {
  return Date.parse(`${day}T00:00:00Z`) / 1000;
}

interface Series {
  days: number[];
  input: number[];
  output: number[];
  cacheRead: number[];
  cacheWrite: number[];
}

/** Sums rows per day over [from, to], every day present (0 when idle). */
function daySeries(rows: UsageRow[], from: string, to: string): Series {
  const start = dayStart(from);
  const end = dayStart(to);
  const s: Series = { days: [], input: [], output: [], cacheRead: [], cacheWrite: [] };
  const index = new Map<string, number>();
  for (let t = start, i = 0; t <= end && i < 1000; t += DAY, i++) {
    index.set(isoDay(t), i);
    s.days.push(t);
    s.input.push(0);
    s.output.push(0);
    s.cacheRead.push(0);
    s.cacheWrite.push(0);
  }
  for (const r of rows) {
    const i = index.get(r.day ?? "");
    if (i === undefined) continue;
    s.input[i] = (s.input[i] ?? 0) + r.input_tokens;
    s.output[i] = (s.output[i] ?? 0) + r.output_tokens;
    s.cacheRead[i] = (s.cacheRead[i] ?? 0) + r.cache_read_tokens;
    s.cacheWrite[i] = (s.cacheWrite[i] ?? 0) + r.cache_write_tokens;
  }
  return s;
}

/** Input, output, cache read, cache write: stacked bottom to top. */
const SERIES = [
  { name: "Input", color: "#2563eb", field: "input" },
  { name: "Output", color: "#059669", field: "output" },
  { name: "Cache read", color: "#d97706", field: "cacheRead" },
  { name: "Cache write", color: "#9333ea", field: "cacheWrite" },
] as const;

function compact(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/**
 * Tokens per day as stacked bars. uPlot has no stacking of its own: each
 * series is drawn as the running total up to it, the tallest first, so every
 * bar shows through above the ones below it; legend and tooltips read the
 * series' own values.
 */
function UsageChart({ series, label }: { series: Series; label: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const own = SERIES.map((s) => series[s.field]);
    const stacked: number[][] = [];
    own.forEach((values, i) => {
      stacked.push(values.map((v, d) => v + (i > 0 ? (stacked[i - 1]?.[d] ?? 0) : 0)));
    });
    const order = [3, 2, 1, 0];
    const bars = uPlot.paths.bars?.({ size: [0.7, 48], align: 0 });
    const opts: uPlot.Options = {
      width: Math.max(280, el.clientWidth),
      height: 260,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      series: [
        { label: "Day", value: (_u, v) => (v === null ? "" : isoDay(v)) },
        ...order.map((i) => {
          const s = SERIES[i] ?? SERIES[0];
          return {
            label: s.name,
            stroke: s.color,
            fill: s.color,
            width: 0,
            points: { show: false },
            ...(bars ? { paths: bars } : {}),
            value: (_u: uPlot, _v: number | null, _si: number, idx: number | null) =>
              idx === null ? "" : String(own[i]?.[idx] ?? 0),
          };
        }),
      ],
      axes: [
        {
          space: 44,
          values: (_u, ticks) => ticks.map((t) => isoDay(t).slice(5)),
          grid: { show: false },
        },
        { size: 56, grid: { stroke: "#eceff3" }, values: (_u, ticks) => ticks.map(compact) },
      ],
      scales: {
        x: {
          time: true,
          range: (_u, min, max) => [min - DAY / 2, max + DAY / 2],
        },
        y: { range: (_u, _min, max) => [0, Math.max(10, max * 1.1)] },
      },
      cursor: { points: { show: false } },
      // The figure draws its own legend, in stacking order (bottom first).
      legend: { show: false },
    };
    const data: uPlot.AlignedData = [series.days, ...order.map((i) => stacked[i] ?? [])];
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(280, el.clientWidth), height: 260 });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [series]);
  return (
    <figure class="chart" aria-labelledby="usage-chart-title">
      <figcaption id="usage-chart-title">{label}</figcaption>
      <div class="chart-box" ref={box} role="img" aria-label={label} />
      <ul class="legend" aria-hidden="true">
        {SERIES.map((s, i) => (
          <li key={s.name}>
            <span class={`swatch swatch-${i}`} />
            {s.name}
          </li>
        ))}
      </ul>
    </figure>
  );
}

interface Filters {
  keyId: string;
  model: string;
  from: string;
  to: string;
}

function describe(err: unknown): string {
  return err instanceof ApiError ? err.describe() : String(err);
}

export function UsageView({ apiKey }: { apiKey: string }) {
  const [filters, setFilters] = useState<Filters>({
    keyId: "",
    model: "",
    from: daysAgo(13),
    to: today(),
  });
  const [keys, setKeys] = useState<VirtualKey[]>([]);
  // As the API answered; the model filter applies when rendering (the API filters by key only).
  const [allRows, setRows] = useState<UsageRow[] | null>(null);
  const [allDays, setDays] = useState<UsageRow[]>([]);
  const [models, setModels] = useState<string[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [loadedAt, setLoadedAt] = useState(0);
  // Only the latest load may show: an earlier one that answers late is dropped.
  const latest = useRef(0);

  async function load() {
    const seq = ++latest.current;
    const start = dayStart(filters.from);
    const end = dayStart(filters.to);
    if (Number.isNaN(start) || Number.isNaN(end) || start > end) {
      setError("Pick a date range: From on or before To.");
      return;
    }
    try {
      const q = {
        ...(filters.keyId ? { keyId: filters.keyId } : {}),
        // Whole UTC days, as unix seconds: `from` inclusive, `to` exclusive (the day after `to`).
        from: String(start),
        to: String(end + DAY),
      };
      const [byKeyModel, byDayModel, keyList] = await Promise.all([
        usage(apiKey, { ...q, groupBy: "key,model" }),
        usage(apiKey, { ...q, groupBy: "day,model" }),
        listKeys(apiKey, true),
      ]);
      if (seq !== latest.current) return;
      setKeys(keyList);
      setModels([...new Set(byKeyModel.map((r) => r.model ?? "").filter((m) => m !== ""))].sort());
      setRows(byKeyModel);
      setDays(byDayModel);
      setError(null);
      setLoadedAt(Date.now());
    } catch (err) {
      if (seq === latest.current) setError(describe(err));
    }
  }

  useEffect(() => {
    void load();
  }, [apiKey, filters.keyId, filters.from, filters.to]);

  const names = new Map(keys.map((k) => [k.id, k.name]));
  const byModel = (r: UsageRow) => filters.model === "" || r.model === filters.model;
  const rows = allRows?.filter(byModel) ?? null;
  const series = useMemo(
    () => daySeries(allDays.filter(byModel), filters.from, filters.to),
    [allDays, filters.model, filters.from, filters.to],
  );
  const total = (field: keyof Series) => (series[field] as number[]).reduce((a, b) => a + b, 0);
  const set = (field: keyof Filters) => (e: Event) =>
    setFilters({ ...filters, [field]: (e.currentTarget as HTMLInputElement).value });

  return (
    <div class="admin">
      <section class="panel" aria-labelledby="usage-title">
        <div class="panel-head">
          <h2 id="usage-title">Usage</h2>
          <button type="button" class="secondary" onClick={() => void load()}>
            Refresh
          </button>
        </div>
        <fieldset class="filters">
          <legend class="visually-hidden">Filters</legend>
          <div>
            <label for="usage-key">Key</label>
            <select id="usage-key" value={filters.keyId} onChange={set("keyId")}>
              <option value="">All keys</option>
              {keys.map((k) => (
                <option value={k.id} key={k.id}>
                  {k.name} ({k.id})
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="usage-model">Model</label>
            <select id="usage-model" value={filters.model} onChange={set("model")}>
              <option value="">All models</option>
              {[...new Set([...models, ...(filters.model ? [filters.model] : [])])].map((m) => (
                <option value={m} key={m}>
                  {m}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="usage-from">From</label>
            <input
              id="usage-from"
              type="date"
              value={filters.from}
              max={filters.to}
              onChange={set("from")}
            />
          </div>
          <div>
            <label for="usage-to">To</label>
            <input
              id="usage-to"
              type="date"
              value={filters.to}
              min={filters.from}
              onChange={set("to")}
            />
          </div>
        </fieldset>
        {error && (
          <div class="alert" role="alert">
            {error}
          </div>
        )}
        <dl class="totals">
          <div>
            <dt>Input tokens</dt>
            <dd>{total("input")}</dd>
          </div>
          <div>
            <dt>Output tokens</dt>
            <dd>{total("output")}</dd>
          </div>
          <div>
            <dt>Cache read</dt>
            <dd>{total("cacheRead")}</dd>
          </div>
          <div>
            <dt>Cache write</dt>
            <dd>{total("cacheWrite")}</dd>
          </div>
        </dl>
        {loadedAt > 0 && (
          <UsageChart
            series={series}
            label={`Usage: tokens per day, ${filters.from} to ${filters.to} (input, output, cache read, cache write)`}
          />
        )}
      </section>
      <section class="panel" aria-labelledby="usage-table-title">
        <h2 id="usage-table-title">Requests and tokens by key and model</h2>
        {rows && rows.length === 0 && <p class="muted">No requests in this period.</p>}
        {rows && rows.length > 0 && (
          <div class="table-wrap">
            <table aria-labelledby="usage-table-title" class="nowrap">
              <thead>
                <tr>
                  <th scope="col">Key</th>
                  <th scope="col">Key ID</th>
                  <th scope="col">Model</th>
                  <th scope="col" class="num">
                    Requests
                  </th>
                  <th scope="col" class="num">
                    Errors
                  </th>
                  <th scope="col" class="num">
                    Input
                  </th>
                  <th scope="col" class="num">
                    Output
                  </th>
                  <th scope="col" class="num">
                    Cache read
                  </th>
                  <th scope="col" class="num">
                    Cache write
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={`${r.key_id ?? ""}|${r.model ?? ""}`}>
                    <td>{r.key_id ? (names.get(r.key_id) ?? "") : "static key"}</td>
                    <td>
                      <code>{r.key_id ?? "—"}</code>
                    </td>
                    <td>{r.model ?? "—"}</td>
                    <td class="num">{r.requests}</td>
                    <td class="num">{r.errors}</td>
                    <td class="num">{r.input_tokens}</td>
                    <td class="num">{r.output_tokens}</td>
                    <td class="num">{r.cache_read_tokens}</td>
                    <td class="num">{r.cache_write_tokens}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
