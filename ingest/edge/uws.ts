// Loads uWebSockets.js and refuses its silent fallback. The npm mirror we install from (see design.md)
// swaps in a slow `ws`-based imitation when its native binary does not load; Beaconry's throughput
// and its backpressure semantics assume the real thing, so starting on the fallback is an error.
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as UwsTypes from 'uWebSockets.js';

const require = createRequire(import.meta.url);

export class UwsFallbackError extends Error {
  override name = 'UwsFallbackError';
}

function load(): typeof UwsTypes {
  const pkgDir = path.dirname(require.resolve('uWebSockets.js/package.json'));
  const binary = path.join(pkgDir, 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
  const fallback = require.resolve('uWebSockets.js/dist/index');
  // The mirror warns on the console and returns the fallback; silence that and check for ourselves.
  const warn = console.warn;
  const log = console.log;
  console.warn = () => {};
  console.log = () => {};
  let mod: typeof UwsTypes;
  try {
    mod = require('uWebSockets.js') as typeof UwsTypes;
  } finally {
    console.warn = warn;
    console.log = log;
  }
  if (require.cache[fallback] !== undefined || require.cache[binary] === undefined) {
    let why = `no native binary ${path.basename(binary)} for Node ${process.version} (ABI ${process.versions.modules}) on ${process.platform}-${process.arch}`;
    try {
      require(binary);
    } catch (err) {
      why = (err as Error).message.split('\n')[0] ?? why;
    }
    throw new UwsFallbackError(
      `uWebSockets.js fell back to its slow ws implementation: ${why}. ` +
        'Beaconry refuses to run on it. Use Node 20 on glibc ≥ 2.27 (x64 or arm64) with the pinned ' +
        '"uWebSockets.js": "npm:@trufflesuite/uws-js-unofficial@20.30.0-unofficial.0", unset UWS_USE_FALLBACK, and reinstall (npm ci).',
    );
  }
  return mod;
}

export const uws = load();
export type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
