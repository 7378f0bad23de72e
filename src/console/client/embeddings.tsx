/** Embeddings playground: one input, one vector, its size and token count. */
import { useEffect, useState } from "preact/hooks";
import { ApiError, callJson } from "./api";
import { Snippet } from "./snippet-view";

interface EmbeddingResult {
  model: string;
  data: Array<{ embedding: number[] | string }>;
  usage?: { prompt_tokens: number; total_tokens: number };
}

export function EmbeddingsView(props: { apiKey: string; models: string[]; preferred: string }) {
  const { apiKey, models } = props;
  const [model, setModel] = useState(
    models.includes(props.preferred) ? props.preferred : (models[0] ?? ""),
  );
  const [input, setInput] = useState("");
  const [dimensions, setDimensions] = useState("");
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<EmbeddingResult | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!models.includes(model) && models[0]) setModel(models[0]);
  }, [models, model]);

  const body: Record<string, unknown> = { model, input: input || "Hello!" };
  const dims = Number(dimensions);
  if (dimensions.trim() !== "" && Number.isInteger(dims) && dims > 0) body.dimensions = dims;

  async function embed(e: Event) {
    e.preventDefault();
    if (input.trim() === "" || busy) return;
    setBusy(true);
    setError(null);
    try {
      setResult(
        await callJson<EmbeddingResult>(apiKey, "/v1/embeddings", {
          method: "POST",
          body: { ...body, input },
        }),
      );
    } catch (err) {
      setResult(null);
      setError(err instanceof ApiError ? err.describe() : String(err));
    } finally {
      setBusy(false);
    }
  }

  const vector = result?.data[0]?.embedding;
  return (
    <div class="playground">
      <section class="chat" aria-label="Embeddings">
        <form class="panel" onSubmit={embed}>
          <h2>Embeddings</h2>
          {models.length === 0 ? (
            <p class="muted">This gateway serves no embedding models.</p>
          ) : null}
          <label for="emb-model">Model</label>
          <select id="emb-model" value={model} onChange={(e) => setModel(e.currentTarget.value)}>
            {models.map((m) => (
              <option value={m} key={m}>
                {m}
              </option>
            ))}
          </select>
          <label for="emb-input">Input</label>
          <textarea
            id="emb-input"
            rows={4}
            value={input}
            onInput={(e) => setInput(e.currentTarget.value)}
          />
          <label for="emb-dimensions">Dimensions</label>
          <input
            id="emb-dimensions"
            type="number"
            min={1}
            placeholder="model default"
            value={dimensions}
            onInput={(e) => setDimensions(e.currentTarget.value)}
          />
          <div class="panel-actions">
            <button type="submit" disabled={busy || input.trim() === "" || model === ""}>
              Embed
            </button>
          </div>
          {error && (
            <div class="alert" role="alert">
              <strong>Error </strong>
              {error}
            </div>
          )}
        </form>
        {result && vector && (
          <section class="panel" aria-label="Embedding">
            <h2>Result</h2>
            <p>
              {typeof vector === "string" ? "base64-encoded vector" : `${vector.length} dimensions`}
              {result.usage ? ` · ${result.usage.prompt_tokens} input tokens` : ""} ·{" "}
              <code>{result.model}</code>
            </p>
            <pre class="code">
              <code>
                {typeof vector === "string"
                  ? `${vector.slice(0, 200)}…`
                  : `[${vector
                      .slice(0, 12)
                      .map((v) => v.toFixed(5))
                      .join(", ")}${vector.length > 12 ? ", …" : ""}]`}
              </code>
            </pre>
          </section>
        )}
      </section>
      <aside class="side" aria-label="Request">
        <Snippet path="/embeddings" body={body} />
      </aside>
    </div>
  );
}
