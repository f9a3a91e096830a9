// Serves the built SPA (dist/dashboard) from memory: hashed assets cached for a year, index.html for
// every other GET path (the client-side router takes it from there), brotli/gzip when accepted.
// Files are read once at startup, so no request ever touches the file system or a path from a URL.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BeaconryError } from '../../core/errors.js';
import type { ApiRequest, ApiResponse, Route } from '../../core/http.js';
import { chooseEncoding } from '../../tracker/serve.js';
import { errorWithHeaders, withHeaders } from './api-route.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

const FILE_RE = /\.(js|mjs|css|map|html|png|svg|ico|jpe?g|gif|webp|woff2?|json|txt|webmanifest)$/i;

interface Variant {
  body: Buffer;
  etag: string;
}

interface StaticFile {
  type: string;
  immutable: boolean;
  identity: Variant;
  br?: Variant;
  gzip?: Variant;
}

const variant = (body: Buffer): Variant => ({ body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });

function loadDir(dir: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  if (!fs.existsSync(dir)) return files;
  const walk = (sub: string): void => {
    for (const ent of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.posix.join(sub, ent.name);
      if (ent.isDirectory()) walk(rel);
      else if (!/\.(br|gz)$/.test(ent.name)) {
        const full = path.join(dir, rel);
        const read = (f: string): Variant | undefined => (fs.existsSync(f) ? variant(fs.readFileSync(f)) : undefined);
        files.set(`/${rel}`, {
          type: TYPES[path.extname(ent.name)] ?? 'application/octet-stream',
          immutable: rel.startsWith('assets/'),
          identity: variant(fs.readFileSync(full)),
          br: read(`${full}.br`),
          gzip: read(`${full}.gz`),
        });
      }
    }
  };
  walk('');
  return files;
}

export function staticRoutes(dir: string, headers: Readonly<Record<string, string>>): Route[] {
  const files = loadDir(dir);
  const index = files.get('/index.html');
  const kit = { headers };

  const serve = (req: ApiRequest, file: StaticFile): ApiResponse => {
    const enc = chooseEncoding(req.headers['accept-encoding']);
    const v = (enc === 'br' ? file.br : enc === 'gzip' ? file.gzip : undefined) ?? file.identity;
    const h: Record<string, string> = {
      ...headers,
      'content-type': file.type,
      'cache-control': file.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      etag: v.etag,
      vary: 'accept-encoding',
    };
    if (v !== file.identity) h['content-encoding'] = enc;
    if (req.headers['if-none-match'] === v.etag) {
      delete h['content-encoding'];
      return { status: 304, headers: h };
    }
    return { status: 200, headers: h, body: v.body };
  };

  const handler = (req: ApiRequest): ApiResponse => {
    try {
      const file = files.get(req.path);
      if (file) return serve(req, file);
      // Unknown API paths and missing files get a real 404, not the app. (Only file types we serve
      // count as files: app paths end in domains such as /sites/shop.example.)
      if (req.path.startsWith('/api/') || req.path.startsWith('/assets/') || FILE_RE.test(req.path)) throw new BeaconryError('BEACONRY_ERR_NOT_FOUND');
      if (!index) {
        return withHeaders(kit, {
          status: 503,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: 'The dashboard is not built. Run `npm run build` (it writes dist/dashboard) and restart.\n',
        });
      }
      return serve(req, index);
    } catch (err) {
      return errorWithHeaders(kit, err);
    }
  };

  return [
    { method: 'GET', pattern: '/assets/*', name: 'dashboard assets', handler },
    { method: 'GET', pattern: '/*', name: 'dashboard page', handler },
  ];
}
