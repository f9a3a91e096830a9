// Build: esbuild bundles the server (CLI) and the pool worker into dist/ (dependencies stay external,
// native modules included), then the dashboard (vite) and the tracker (with its size budget).
import { build } from 'esbuild';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entryPoints = {
  'cli/beaconry': 'cli/beaconry.ts',
  'ingest/pool/worker': 'ingest/pool/worker.ts',
};

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

const { buildDashboard } = await import(pathToFileURL(path.join(root, 'dashboard/build.mjs')).href);
await buildDashboard(path.join(root, 'dist/dashboard'));

const { buildTracker } = await import(pathToFileURL(path.join(root, 'tracker/build.mjs')).href);
await mkdir(path.join(root, 'dist/tracker'), { recursive: true });
await buildTracker(path.join(root, 'dist/tracker'));
