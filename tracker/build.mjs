// Builds the browser tracker: tracker/src/index.ts → one minified IIFE `b.js`, plus its gzip and
// brotli forms and a size report. Called by scripts/build.mjs; fails the build over the budget.
import { build } from 'esbuild';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

/** The budget for the full-featured script, gzipped. */
export const GZIP_BUDGET_BYTES = 3072;

const here = path.dirname(fileURLToPath(import.meta.url));

/** @param {string} outDir @returns {Promise<{raw: number, gzip: number, brotli: number}>} */
export async function buildTracker(outDir) {
  const result = await build({
    entryPoints: [path.join(here, 'src/index.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2017',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('tracker build produced no output');
  const code = Buffer.from(file.contents);
  const gz = zlib.gzipSync(code, { level: zlib.constants.Z_BEST_COMPRESSION });
  const br = zlib.brotliCompressSync(code, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
      [zlib.constants.BROTLI_PARAM_MODE]: zlib.constants.BROTLI_MODE_TEXT,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: code.length,
    },
  });
  const sizes = { raw: code.length, gzip: gz.length, brotli: br.length };
  if (sizes.gzip > GZIP_BUDGET_BYTES) {
    throw new Error(`tracker is ${sizes.gzip} bytes gzipped, over the ${GZIP_BUDGET_BYTES}-byte budget`);
  }
  await mkdir(outDir, { recursive: true });
  await Promise.all([
    writeFile(path.join(outDir, 'b.js'), code),
    writeFile(path.join(outDir, 'b.js.gz'), gz),
    writeFile(path.join(outDir, 'b.js.br'), br),
    writeFile(path.join(outDir, 'b.size.json'), JSON.stringify(sizes) + '\n'),
  ]);
  return sizes;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ?? 'dist/tracker';
  const sizes = await buildTracker(outDir);
  console.log(`tracker ${outDir}/b.js: ${sizes.raw} B raw, ${sizes.gzip} B gzip, ${sizes.brotli} B brotli`);
}
