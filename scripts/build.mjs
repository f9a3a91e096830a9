// Build: esbuild bundles the server (CLI) and the pool worker into dist/ (dependencies stay external,
// native modules included), then the tracker builds itself with its size budget.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entryPoints = {
  'cli/beaconry': 'cli/beaconry.ts',
  'ingest/pool/worker': 'ingest/pool/worker.ts',
};
if (existsSync(path.join(root, 'bench/run.ts'))) entryPoints['bench/run'] = 'bench/run.ts';

await build({
  absWorkingDir: root,
  entryPoints,
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  banner: { js: '#!/usr/bin/env node' },
  logLevel: 'warning',
});

const trackerBuild = path.join(root, 'tracker/build.mjs');
if (existsSync(trackerBuild)) {
  const { buildTracker } = await import(pathToFileURL(trackerBuild).href);
  await mkdir(path.join(root, 'dist/tracker'), { recursive: true });
  await buildTracker(path.join(root, 'dist/tracker'));
}
