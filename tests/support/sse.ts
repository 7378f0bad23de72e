/** Splits an SSE body into its `data:` payloads and comments, in order. */
export interface SseEvents {
  /** Parsed JSON of each data line, or the string "[DONE]". */
  data: unknown[];
  comments: string[];
  raw: string;
}

export function parseSse(raw: string): SseEvents {
  const data: unknown[] = [];
  const comments: string[] = [];
  for (const block of raw.split("\n\n")) {
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) comments.push(line.slice(1).trim());
      else if (line.startsWith("data: ")) {
        const payload = line.slice(6);
        data.push(payload === "[DONE]" ? "[DONE]" : JSON.parse(payload));
      }
    }
  }
  return { data, comments, raw };
}

export async function readSse(res: Response): Promise<SseEvents> {
  return parseSse(await res.text());
}
