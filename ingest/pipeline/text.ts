// Small text helpers shared by the steps: byte-length caps that cut at a character boundary.
const enc = new TextEncoder();

export function utf8Length(s: string): number {
  // Fast path: ASCII-only strings are the common case and need no encoding.
  let ascii = true;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) { ascii = false; break; }
  return ascii ? s.length : enc.encode(s).length;
}

/** Cuts `s` to at most `maxBytes` UTF-8 bytes without splitting a character. */
export function cutBytes(s: string, maxBytes: number): string {
  if (s.length <= maxBytes / 3 || utf8Length(s) <= maxBytes) return s;
  let bytes = 0;
  let i = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + n > maxBytes) break;
    bytes += n;
    i += ch.length;
  }
  return s.slice(0, i);
}

/** Cuts to at most `max` characters (code points), never splitting a surrogate pair. */
export function cutChars(s: string, max: number): string {
  if (s.length <= max) return s;
  let count = 0;
  let i = 0;
  for (const ch of s) {
    if (count === max) break;
    count++;
    i += ch.length;
  }
  return s.slice(0, i);
}
