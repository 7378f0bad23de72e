/** The current request as code to paste, with a language picker and a copy button. */
import { useRef, useState } from "preact/hooks";
import { SNIPPET_LANGUAGES, type SnippetLanguage, snippet } from "./snippet";
import { copyText } from "./util";

export function Snippet(props: {
  path: "/chat/completions" | "/embeddings";
  body: Record<string, unknown> | undefined;
  problem?: string | undefined;
}) {
  const [language, setLanguage] = useState<SnippetLanguage>("curl");
  const [copied, setCopied] = useState<string | null>(null);
  const codeRef = useRef<HTMLPreElement>(null);
  const code = props.body ? snippet(language, props.path, props.body, location.origin) : "";
  const id = `snippet-${props.path.replace(/\W/g, "")}`;
  return (
    <section class="panel" aria-labelledby={`${id}-title`}>
      <div class="panel-head">
        <h2 id={`${id}-title`}>Code</h2>
        <label for={`${id}-lang`} class="visually-hidden">
          Snippet language
        </label>
        <select
          id={`${id}-lang`}
          value={language}
          onChange={(e) => setLanguage(e.currentTarget.value as SnippetLanguage)}
        >
          {SNIPPET_LANGUAGES.map(([value, name]) => (
            <option value={value} key={value}>
              {name}
            </option>
          ))}
        </select>
      </div>
      {props.body ? (
        <>
          <pre class="code snippet" ref={codeRef}>
            <code>{code}</code>
          </pre>
          <div class="panel-actions">
            <button
              type="button"
              class="secondary"
              onClick={async () => {
                const ok = await copyText(code, codeRef.current);
                setCopied(ok ? "Copied." : "Selected: press Ctrl+C to copy.");
              }}
            >
              Copy code
            </button>
            <span class="muted" role="status">
              {copied ?? "The key is read from OPENAI_API_KEY."}
            </span>
          </div>
        </>
      ) : (
        <p class="muted">{props.problem}</p>
      )}
    </section>
  );
}
