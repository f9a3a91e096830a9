// GET /b.js (path configurable): serves the prebuilt tracker from memory, brotli or gzip when the
// browser accepts it, with a strong ETag per encoding so repeat visitors get a 304.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ApiRequest, ApiResponse, Route } from '../core/http.js';

type Encoding = 'br' | 'gzip' | 'identity';

interface Variant {
  readonly body: Buffer;
  readonly etag: string;
  readonly headers: Record<string, string>;
}

const COMMON_HEADERS = {
  'content-type': 'application/javascript; charset=utf-8',
  'cache-control': 'public, max-age=3600, stale-while-revalidate=86400',
  vary: 'accept-encoding',
  // sites that set Cross-Origin-Embedder-Policy may only load cross-origin scripts that opt in
  'cross-origin-resource-policy': 'cross-origin',
};

/** Encodings the client accepts with q > 0 (RFC 9110 §12.5.3; `*` stands for any other). */
export function acceptedEncodings(header: string | undefined): Set<string> {
  const accepted = new Set<string>();
  const refused = new Set<string>();
  for (const part of (header ?? '').toLowerCase().split(',')) {
    const [token = '', ...params] = part.split(';').map((s) => s.trim());
    if (!token) continue;
    const q = params.find((p) => p.startsWith('q='));
    (q !== undefined && Number(q.slice(2)) === 0 ? refused : accepted).add(token === 'x-gzip' ? 'gzip' : token);
  }
  if (accepted.has('*')) for (const e of ['br', 'gzip']) if (!refused.has(e)) accepted.add(e);
  return accepted;
}

export function chooseEncoding(header: string | undefined): Encoding {
  const accepted = acceptedEncodings(header);
  return accepted.has('br') ? 'br' : accepted.has('gzip') ? 'gzip' : 'identity';
}

/** Weak comparison, as RFC 9110 §13.1.2 prescribes for If-None-Match. */
function matches(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

export function trackerRoute(routePath: string, dir: string): Route {
  const variant = (file: string, encoding: Encoding): Variant => {
    const body = readFileSync(path.join(dir, file));
    // hashing each representation's own bytes keeps the strong ETags of br, gzip and identity distinct
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    const headers: Record<string, string> = { ...COMMON_HEADERS, etag };
    if (encoding !== 'identity') headers['content-encoding'] = encoding;
    return { body, etag, headers };
  };
  const variants: Record<Encoding, Variant> = {
    br: variant('b.js.br', 'br'),
    gzip: variant('b.js.gz', 'gzip'),
    identity: variant('b.js', 'identity'),
  };

  return {
    method: 'GET',
    pattern: routePath,
    name: 'tracker',
    handler(req: ApiRequest): ApiResponse {
      const v = variants[chooseEncoding(req.headers['accept-encoding'])];
      const inm = req.headers['if-none-match'];
      if (inm !== undefined && matches(inm, v.etag)) {
        // no body, so no content-encoding; the validators and caching headers stay
        const headers = { ...v.headers };
        delete headers['content-encoding'];
        return { status: 304, headers };
      }
      return { status: 200, headers: { ...v.headers }, body: v.body };
    },
  };
}
