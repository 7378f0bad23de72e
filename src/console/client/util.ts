/** Small helpers shared by the views. */

/** Copies text; falls back to selecting it when the clipboard API is unavailable or refused. */
export async function copyText(text: string, fallback?: HTMLElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (fallback) {
      const range = document.createRange();
      range.selectNodeContents(fallback);
      const selection = getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
    }
    return false;
  }
}

/** "", or an integer ≥ min: anything else is undefined (invalid). */
export function parseOptionalInt(value: string, min = 0): number | null | undefined {
  const v = value.trim();
  if (v === "") return null;
  if (!/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= min ? n : undefined;
}

export function formatDate(unixSeconds: number | null | undefined): string {
  if (unixSeconds === null || unixSeconds === undefined) return "—";
  return new Date(unixSeconds * 1000).toISOString().slice(0, 10);
}
