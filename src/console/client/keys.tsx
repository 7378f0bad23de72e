/** Admin: create virtual keys (the secret is shown once), list them, revoke them. */
import { useEffect, useRef, useState } from "preact/hooks";
import {
  type Budget,
  type CreatedKey,
  createKey,
  isRevoked,
  listKeys,
  type NewKey,
  revokeKey,
  type VirtualKey,
} from "./admin-api";
import { ApiError } from "./api";
import { copyText, formatDate, parseOptionalInt } from "./util";

function describe(err: unknown): string {
  return err instanceof ApiError ? err.describe() : String(err);
}

const PERIOD: Record<Budget["period"], string> = {
  day: "per day",
  month: "per month",
  total: "in total",
};

function budgetText(k: VirtualKey): string {
  if (!k.budget) return "—";
  const used = k.budget_used !== null && k.budget_used !== undefined ? `${k.budget_used} of ` : "";
  return `${used}${k.budget.tokens} ${PERIOD[k.budget.period]}`;
}

function NewSecret({ created, onDone }: { created: CreatedKey; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const codeRef = useRef<HTMLElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);
  return (
    <section class="panel secret" aria-labelledby="secret-title">
      <h2 id="secret-title" tabIndex={-1} ref={headingRef}>
        New key for {created.name}
      </h2>
      <p>Copy it now: it is shown only this once and cannot be retrieved later.</p>
      <div class="secret-row">
        <code class="secret-value" ref={codeRef}>
          {created.key}
        </code>
        <button
          type="button"
          onClick={async () => {
            const ok = await copyText(created.key, codeRef.current);
            setCopied(ok ? "Copied." : "Selected: press Ctrl+C to copy.");
          }}
        >
          Copy key
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          Done
        </button>
      </div>
      <p class="muted" role="status">
        {copied ?? ""}
      </p>
    </section>
  );
}

export function KeysView({ apiKey }: { apiKey: string }) {
  const [keys, setKeys] = useState<VirtualKey[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const [busy, setBusy] = useState(false);
  const [showRevoked, setShowRevoked] = useState(false);
  const [form, setForm] = useState({
    name: "",
    models: "",
    rpm: "",
    tpm: "",
    budget: "",
    period: "month" as Budget["period"],
  });

  async function reload() {
    try {
      setKeys(await listKeys(apiKey, showRevoked));
      setLoadError(null);
    } catch (err) {
      setLoadError(describe(err));
    }
  }

  useEffect(() => {
    void reload();
  }, [apiKey, showRevoked]);

  const set = (field: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [field]: (e.currentTarget as HTMLInputElement).value });

  async function create(e: Event) {
    e.preventDefault();
    if (busy) return;
    const body: NewKey = { name: form.name.trim() };
    if (body.name === "") return setFormError("Name is required.");
    const models = form.models
      .split(/[\s,]+/)
      .map((m) => m.trim())
      .filter((m) => m !== "");
    if (models.length > 0) body.models = models;
    const rpm = parseOptionalInt(form.rpm, 1);
    const tpm = parseOptionalInt(form.tpm, 1);
    const budget = parseOptionalInt(form.budget, 1);
    if (rpm === undefined) return setFormError("Requests per minute must be a positive integer.");
    if (tpm === undefined) return setFormError("Tokens per minute must be a positive integer.");
    if (budget === undefined) return setFormError("Token budget must be a positive integer.");
    if (rpm !== null) body.rpm = rpm;
    if (tpm !== null) body.tpm = tpm;
    if (budget !== null) body.budget = { tokens: budget, period: form.period };
    setBusy(true);
    try {
      const made = await createKey(apiKey, body);
      setCreated(made);
      setFormError(null);
      setNotice(null);
      setForm({ ...form, name: "", models: "", rpm: "", tpm: "", budget: "" });
      await reload();
    } catch (err) {
      setFormError(describe(err));
    } finally {
      setBusy(false);
    }
  }

  async function revoke(k: VirtualKey) {
    try {
      await revokeKey(apiKey, k.id);
      setNotice(`Revoked ${k.name} (${k.id}).`);
      await reload();
    } catch (err) {
      setNotice(`Revoking ${k.name} failed: ${describe(err)}`);
    }
  }

  return (
    <div class="admin">
      <form class="panel key-form" onSubmit={create} aria-labelledby="create-title">
        <h2 id="create-title">Create a key</h2>
        <div class="grid-form">
          <div>
            <label for="key-name">Name</label>
            <input
              id="key-name"
              value={form.name}
              onInput={set("name")}
              required
              autocomplete="off"
            />
          </div>
          <div>
            <label for="key-models">Models</label>
            <input
              id="key-models"
              value={form.models}
              onInput={set("models")}
              placeholder="all models; or e.g. anthropic.*, amazon.nova-*"
              aria-describedby="key-models-hint"
              autocomplete="off"
            />
            <span id="key-models-hint" class="hint">
              Comma-separated ids, aliases or wildcards. Empty allows every model.
            </span>
          </div>
          <div>
            <label for="key-rpm">Requests per minute</label>
            <input
              id="key-rpm"
              type="number"
              min={1}
              value={form.rpm}
              onInput={set("rpm")}
              placeholder="no limit"
            />
          </div>
          <div>
            <label for="key-tpm">Tokens per minute</label>
            <input
              id="key-tpm"
              type="number"
              min={1}
              value={form.tpm}
              onInput={set("tpm")}
              placeholder="no limit"
            />
          </div>
          <div>
            <label for="key-budget">Token budget</label>
            <input
              id="key-budget"
              type="number"
              min={1}
              value={form.budget}
              onInput={set("budget")}
              placeholder="no budget"
            />
          </div>
          <div>
            <label for="key-period">Budget period</label>
            <select id="key-period" value={form.period} onChange={set("period")}>
              <option value="day">per day</option>
              <option value="month">per month</option>
              <option value="total">in total</option>
            </select>
          </div>
        </div>
        <div class="panel-actions">
          <button type="submit" disabled={busy}>
            Create
          </button>
          {formError && (
            <div class="alert" role="alert">
              {formError}
            </div>
          )}
        </div>
      </form>
      {created && <NewSecret created={created} onDone={() => setCreated(null)} />}
      <section class="panel" aria-labelledby="keys-title">
        <div class="panel-head">
          <h2 id="keys-title">Keys</h2>
          <div class="panel-tools">
            <label class="check">
              <input
                type="checkbox"
                checked={showRevoked}
                onChange={(e) => setShowRevoked(e.currentTarget.checked)}
              />
              Show revoked keys
            </label>
            <button type="button" class="secondary" onClick={() => void reload()}>
              Refresh
            </button>
          </div>
        </div>
        {notice && (
          <p class="notice" role="status">
            {notice}
          </p>
        )}
        {loadError && (
          <div class="alert" role="alert">
            {loadError}
          </div>
        )}
        {keys && keys.length === 0 && <p class="muted">No keys yet.</p>}
        {keys && keys.length > 0 && (
          <div class="table-wrap">
            <table aria-labelledby="keys-title">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">ID</th>
                  <th scope="col">Models</th>
                  <th scope="col" class="num">
                    Requests per minute
                  </th>
                  <th scope="col" class="num">
                    Tokens per minute
                  </th>
                  <th scope="col">Token budget</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.map((k) => (
                  <tr key={k.id}>
                    <th scope="row">{k.name}</th>
                    <td>
                      <code>{k.id}</code>
                      {k.key_hint && <span class="muted"> {k.key_hint}</span>}
                    </td>
                    <td>{k.models && k.models.length > 0 ? k.models.join(", ") : "all"}</td>
                    <td class="num">{k.rpm ?? "—"}</td>
                    <td class="num">{k.tpm ?? "—"}</td>
                    <td class="nowrap">{budgetText(k)}</td>
                    <td class="nowrap">{formatDate(k.created_at)}</td>
                    <td>
                      {isRevoked(k) ? (
                        <span class="badge">revoked {formatDate(k.revoked_at)}</span>
                      ) : (
                        <button type="button" class="danger small" onClick={() => void revoke(k)}>
                          Revoke
                        </button>
                      )}
                    </td>
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
