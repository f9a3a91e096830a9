// The tracker's size budget: the build fails above 3 KiB gzipped, and writes what the server serves.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTracker, GZIP_BUDGET_BYTES, type TrackerSizes } from '../../tracker/build.mjs';

describe('tracker build', () => {
  let dir = '';
  let sizes: TrackerSizes;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'beaconry-tracker-size-'));
    sizes = await buildTracker(dir);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('stays within the 3 KiB gzip budget', () => {
    expect(GZIP_BUDGET_BYTES).toBe(3072);
    expect(sizes.gzip).toBeLessThanOrEqual(GZIP_BUDGET_BYTES);
    expect(sizes.brotli).toBeLessThan(sizes.gzip);
  });

  it('writes b.js, b.js.gz and b.js.br, each decoding to the same script', () => {
    const raw = readFileSync(path.join(dir, 'b.js'));
    const gz = readFileSync(path.join(dir, 'b.js.gz'));
    const br = readFileSync(path.join(dir, 'b.js.br'));
    expect(zlib.gunzipSync(gz).equals(raw)).toBe(true);
    expect(zlib.brotliDecompressSync(br).equals(raw)).toBe(true);
    expect({ raw: raw.length, gzip: gz.length, brotli: br.length }).toEqual(sizes);
  });

  it('reports the sizes in b.size.json', () => {
    expect(existsSync(path.join(dir, 'b.size.json'))).toBe(true);
    expect(JSON.parse(readFileSync(path.join(dir, 'b.size.json'), 'utf8'))).toEqual(sizes);
  });

  it('is one IIFE with no module syntax left', () => {
    const code = readFileSync(path.join(dir, 'b.js'), 'utf8');
    expect(code).toMatch(/^"use strict";\(\(\)=>\{[\s\S]*\}\)\(\);\s*$/);
    expect(code).not.toMatch(/\bimport\b|\bexport\b|require\(/);
  });
});
