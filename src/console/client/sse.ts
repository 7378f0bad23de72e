/**
 * Reads a `text/event-stream` body into its `data:` payloads, as they arrive.
 * Comments (`: keep-alive`) and other fields are skipped; `[DONE]` ends it.
 */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (;;) {
        const end = buffer.search(/\r?\n\r?\n/);
        if (end < 0) break;
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
        const data = event
          .split(/\r?\n/)
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        if (data === "") continue;
        if (data === "[DONE]") return;
        yield data;
      }
    }
  } finally {
    // Early exit (Stop, an error frame): stop reading, which cancels the request body.
    await reader.cancel().catch(() => {});
  }
}
