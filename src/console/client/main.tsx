/**
 * The console's shell: sign-in, then the views a key opens (chat and
 * embeddings for any valid key; keys and usage for the admin key), switched by
 * the URL hash so the browser's back button and links work.
 */
import "uplot/dist/uPlot.min.css";
import "./app.css";
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, isEmbeddingModel, openSession, type Session, storedKey, storeKey } from "./api";
import { ChatView } from "./chat";
import { EmbeddingsView } from "./embeddings";
import { KeysView } from "./keys";
import { UsageView } from "./usage";

type View = "chat" | "embeddings" | "keys" | "usage";

const VIEWS: Array<{ view: View; name: string; admin: boolean }> = [
  { view: "chat", name: "Playground", admin: false },
  { view: "embeddings", name: "Embeddings", admin: false },
  { view: "keys", name: "Keys", admin: true },
  { view: "usage", name: "Usage", admin: true },
];

function viewOfHash(): View {
  const v = location.hash.replace(/^#\/?/, "");
  return VIEWS.some((x) => x.view === v) ? (v as View) : "chat";
}

function SignIn({ onSession }: { onSession: (s: Session) => void }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  async function submit(e: Event) {
    e.preventDefault();
    const k = key.trim();
    if (k === "" || busy) return;
    setBusy(true);
    try {
      const session = await openSession(k);
      storeKey(k);
      onSession(session);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        // The gateway's own words when they add something (e.g. "This API key has been revoked.").
        const detail = /^invalid api key\.?$/i.test(err.message) ? "" : `: ${err.message}`;
        setError(`Invalid API key (401)${detail}`);
      } else {
        setError(`Sign-in failed: ${err instanceof ApiError ? err.describe() : String(err)}`);
      }
      input.current?.select();
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="signin">
      <form class="panel signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">Bedrock gateway console</h1>
        <p class="muted">
          Sign in with a gateway API key to try models. Sign in with the admin key to manage keys
          and see usage.
        </p>
        <label for="signin-key">API key</label>
        <input
          id="signin-key"
          ref={input}
          class="masked"
          type="text"
          autocomplete="off"
          autocapitalize="off"
          spellcheck={false}
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-invalid={error !== null}
          aria-describedby={error ? "signin-error" : undefined}
        />
        <button type="submit" disabled={busy || key.trim() === ""}>
          Sign in
        </button>
        {error && (
          <div class="alert" role="alert" id="signin-error">
            {error}
          </div>
        )}
        <p class="hint">
          The key stays in this browser tab (sessionStorage) and is sent only to this gateway.
        </p>
      </form>
    </main>
  );
}

function Shell({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const [view, setView] = useState<View>(viewOfHash);
  const ids = session.models.map((m) => m.id);
  const chatModels = ids.filter((id) => !isEmbeddingModel(id));
  const embeddingModels = ids.filter(isEmbeddingModel);

  useEffect(() => {
    const onHash = () => setView(viewOfHash());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  const allowed = VIEWS.filter((v) => (v.admin ? session.admin : session.chat));
  const current = allowed.some((v) => v.view === view) ? view : (allowed[0]?.view ?? "chat");
  const title = VIEWS.find((v) => v.view === current)?.name ?? "";
  useEffect(() => {
    document.title = `${title} · Bedrock gateway console`;
  }, [title]);

  return (
    <>
      <header class="topbar">
        <span class="brand">Bedrock gateway</span>
        <nav aria-label="Console">
          {allowed.map((v) => (
            <a
              href={`#/${v.view}`}
              key={v.view}
              aria-current={v.view === current ? "page" : undefined}
            >
              {v.name}
            </a>
          ))}
        </nav>
        <span class="who muted">{session.admin ? "admin" : "API key"}</span>
        <button type="button" class="secondary small" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main class="content">
        <h1 class="visually-hidden">{title}</h1>
        {current === "chat" && chatModels && (
          <ChatView apiKey={session.key} models={chatModels} preferred={session.defaultModel} />
        )}
        {current === "embeddings" && (
          <EmbeddingsView
            apiKey={session.key}
            models={embeddingModels}
            preferred={session.defaultEmbeddingModel}
          />
        )}
        {current === "keys" && <KeysView apiKey={session.key} />}
        {current === "usage" && <UsageView apiKey={session.key} />}
        {allowed.length === 0 && <p>This key opens nothing here.</p>}
      </main>
    </>
  );
}

function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(() => storedKey() !== null);

  useEffect(() => {
    const key = storedKey();
    if (key === null) return;
    openSession(key).then(
      (s) => {
        setSession(s);
        setRestoring(false);
      },
      () => {
        storeKey(null);
        setRestoring(false);
      },
    );
  }, []);

  if (restoring) return <p class="muted center">Signing in…</p>;
  if (!session) return <SignIn onSession={setSession} />;
  return (
    <Shell
      session={session}
      onSignOut={() => {
        storeKey(null);
        setSession(null);
        history.replaceState(null, "", location.pathname);
      }}
    />
  );
}

const root = document.getElementById("app");
if (root) {
  root.textContent = "";
  render(<App />, root);
}
