// The tracker route: encoding negotiation, strong ETags per representation and 304s.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRequest, ApiResponse, Route } from '../../core/http.js';
import { buildTracker } from '../../tracker/build.mjs';
import { chooseEncoding, trackerRoute } from '../../tracker/serve.js';

function get(route: Route, headers: Record<string, string> = {}): Promise<ApiResponse> {
  const req: ApiRequest = {
    method: 'GET',
    path: route.pattern,
    query: new URLSearchParams(),
    headers,
    body: Buffer.alloc(0),
    ip: '127.0.0.1',
    params: {},
  };
  return Promise.resolve(route.handler(req));
}

function decode(res: ApiResponse): Buffer {
  const body = Buffer.from(res.body as Uint8Array);
  const enc = res.headers?.['content-encoding'];
  return enc === 'br' ? zlib.brotliDecompressSync(body) : enc === 'gzip' ? zlib.gunzipSync(body) : body;
}

describe('trackerRoute', () => {
  let dir = '';
  let raw: Buffer;
  let route: Route;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'beaconry-tracker-serve-'));
    await buildTracker(dir);
    raw = await readFile(path.join(dir, 'b.js'));
    route = trackerRoute('/js/site.js', dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is a GET route on the configured path', () => {
    expect(route.method).toBe('GET');
    expect(route.pattern).toBe('/js/site.js');
  });

  it('prefers brotli, then gzip, then identity', async () => {
    const cases: [string | undefined, string | undefined][] = [
      ['gzip, deflate, br', 'br'],
      ['gzip', 'gzip'],
      ['x-gzip', 'gzip'],
      ['br;q=0, gzip;q=0.5', 'gzip'],
      ['*', 'br'],
      ['*, br;q=0', 'gzip'],
      ['identity', undefined],
      ['gzip;q=0', undefined],
      [undefined, undefined],
    ];
    for (const [accept, expected] of cases) {
      const res = await get(route, accept === undefined ? {} : { 'accept-encoding': accept });
      expect(res.status, String(accept)).toBe(200);
      expect(res.headers?.['content-encoding'], String(accept)).toBe(expected);
      expect(decode(res).equals(raw), String(accept)).toBe(true);
    }
  });

  it('sets the caching and content headers', async () => {
    const res = await get(route, { 'accept-encoding': 'br' });
    expect(res.headers).toMatchObject({
      'content-type': 'application/javascript; charset=utf-8',
      'cache-control': 'public, max-age=3600, stale-while-revalidate=86400',
      vary: 'accept-encoding',
    });
    expect(res.headers?.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
  });

  it('gives each representation its own strong ETag', async () => {
    const tags = await Promise.all(
      ['br', 'gzip', 'identity'].map(async (e) => (await get(route, { 'accept-encoding': e })).headers?.etag),
    );
    expect(new Set(tags).size).toBe(3);
    for (const tag of tags) expect(tag?.startsWith('W/')).toBe(false);
  });

  it('answers 304 without a body when If-None-Match matches the chosen representation', async () => {
    const first = await get(route, { 'accept-encoding': 'gzip' });
    const etag = first.headers?.etag as string;
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`, '*']) {
      const res = await get(route, { 'accept-encoding': 'gzip', 'if-none-match': inm });
      expect(res.status, inm).toBe(304);
      expect(res.body, inm).toBeUndefined();
      expect(res.headers?.etag).toBe(etag);
      expect(res.headers?.['cache-control']).toBe('public, max-age=3600, stale-while-revalidate=86400');
      expect(res.headers?.['content-encoding']).toBeUndefined();
    }
  });

  it('sends the full body when the ETag is of another representation or stale', async () => {
    const gzTag = (await get(route, { 'accept-encoding': 'gzip' })).headers?.etag as string;
    const res = await get(route, { 'accept-encoding': 'br', 'if-none-match': gzTag });
    expect(res.status).toBe(200);
    expect(decode(res).equals(raw)).toBe(true);
    expect((await get(route, { 'if-none-match': '"stale"' })).status).toBe(200);
  });

  it('loads the files once, at route creation', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'beaconry-tracker-serve-'));
    await buildTracker(other);
    const r = trackerRoute('/b.js', other);
    await rm(other, { recursive: true, force: true });
    const res = await get(r, { 'accept-encoding': 'br' });
    expect(decode(res).equals(raw)).toBe(true);
  });

  it('chooseEncoding ignores case and whitespace', () => {
    expect(chooseEncoding(' GZip ;Q=1 , BR ; q=0.1')).toBe('br');
  });
});
