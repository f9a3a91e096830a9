// Builds the dashboard SPA (Svelte 5 + Vite) into outDir, with brotli and gzip twins of every text
// file for the server to send as they are. Called by scripts/build.mjs (→ dist/dashboard).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { build } from 'vite';
import { dashboardViteConfig } from './vite.config.mjs';

const COMPRESSIBLE = /\.(html|js|css|svg|json|txt|webmanifest)$/;

async function* walk(dir) {
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, ent.name);
    if (ent.isDirectory()) yield* walk(full);
    else yield full;
  }
}

/** @param {string} outDir @returns {Promise<{ files: number, bytes: number, gzip: number }>} */
export async function buildDashboard(outDir) {
  await build(dashboardViteConfig({ outDir: path.resolve(outDir) }));
  let files = 0;
  let bytes = 0;
  let gzip = 0;
  for await (const file of walk(outDir)) {
    if (!COMPRESSIBLE.test(file)) continue;
    const body = await readFile(file);
    const gz = zlib.gzipSync(body, { level: 9 });
    const br = zlib.brotliCompressSync(body, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: body.length },
    });
    await Promise.all([writeFile(`${file}.gz`, gz), writeFile(`${file}.br`, br)]);
    files++;
    bytes += body.length;
    gzip += gz.length;
  }
  return { files, bytes, gzip };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ?? 'dist/dashboard';
  const r = await buildDashboard(outDir);
  console.log(`dashboard ${outDir}: ${r.files} files, ${r.bytes} B, ${r.gzip} B gzip`);
}
