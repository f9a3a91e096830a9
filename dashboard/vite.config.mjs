// Vite configuration of the dashboard SPA (dashboard/app). Used by build.mjs and by `npx vite --config
// dashboard/vite.config.mjs` for development, which proxies the API to a running Beaconry
// (DASHBOARD_DEV_BACKEND, not BEACONRY_*: the server refuses BEACONRY_* settings it does not know).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const here = path.dirname(fileURLToPath(import.meta.url));

/** @param {{ outDir?: string }} [opts] @returns {import('vite').InlineConfig} */
export function dashboardViteConfig(opts = {}) {
  const backend = process.env.DASHBOARD_DEV_BACKEND ?? 'http://127.0.0.1:8080';
  return {
    configFile: false,
    root: path.join(here, 'app'),
    base: '/',
    logLevel: 'warn',
    plugins: [svelte({ compilerOptions: { runes: true } })],
    build: {
      outDir: opts.outDir ?? path.join(here, '..', 'dist', 'dashboard'),
      emptyOutDir: true,
      target: 'es2022',
      // No inline <script> or data: modules: the CSP allows scripts from 'self' only.
      modulePreload: { polyfill: false },
      assetsInlineLimit: 0,
      sourcemap: false,
      chunkSizeWarningLimit: 400,
      // Rolldown's build-time profile is noise in Beaconry's build output.
      rolldownOptions: { checks: { bundlerTimings: false } },
    },
    server: {
      proxy: { '/api': backend, '/b.js': backend },
    },
  };
}

export default dashboardViteConfig();
