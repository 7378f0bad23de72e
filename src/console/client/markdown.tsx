/**
 * Model output as safe markdown: fenced code blocks, inline code and bold.
 * Everything becomes Preact text nodes and elements, so model output can never
 * inject HTML; the rest stays plain text (white-space is preserved by CSS).
 */
import type { ComponentChildren } from "preact";

function inline(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  const re = /`([^`\n]+)`|\*\*([^*\n]+)\*\*/g;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(m[1] !== undefined ? <code>{m[1]}</code> : <strong>{m[2]}</strong>);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export function Markdown({ text }: { text: string }) {
  const parts: ComponentChildren[] = [];
  // Split on ``` fences; odd parts are code (a fence still streaming in counts as code).
  const chunks = text.split(/^```[^\n]*\n?/m);
  chunks.forEach((chunk, i) => {
    if (i % 2 === 1) {
      parts.push(
        <pre class="code">
          <code>{chunk.replace(/\n$/, "")}</code>
        </pre>,
      );
    } else if (chunk !== "") {
      parts.push(<span>{inline(chunk)}</span>);
    }
  });
  return <div class="md">{parts}</div>;
}
