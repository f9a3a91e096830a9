// Collects a request body from uWS's onData chunks into one standalone buffer (never a slice of a
// shared pool, so it can be transferred to a worker), refusing it the moment it passes the cap.
import type { HttpResponse } from './uws.js';

export function readBody(
  res: HttpResponse,
  maxBytes: number,
  declaredLength: number | undefined,
  onDone: (body: Uint8Array) => void,
  onTooLarge: () => void,
): void {
  // With a Content-Length we allocate once; chunked bodies grow by doubling up to the cap.
  let buf = new Uint8Array(new ArrayBuffer(Math.min(declaredLength ?? 4096, maxBytes)));
  let len = 0;
  let refused = false;
  res.onData((chunk, isLast) => {
    if (refused) return;
    // The chunk's memory is uWS's and is only valid during this call: copy it.
    const part = new Uint8Array(chunk);
    if (len + part.length > maxBytes) {
      refused = true;
      onTooLarge();
      return;
    }
    if (len + part.length > buf.length) {
      const grown = new Uint8Array(new ArrayBuffer(Math.min(maxBytes, Math.max(buf.length * 2, len + part.length))));
      grown.set(buf.subarray(0, len));
      buf = grown;
    }
    buf.set(part, len);
    len += part.length;
    if (isLast) onDone(len === buf.length ? buf : buf.slice(0, len));
  });
}
