// The dashboard tests need the built SPA in dist/dashboard (scripts/build.mjs makes it); build it
// here when it is missing, so `npx vitest run test/dashboard` works after a server-only build.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../helpers/server.js';

export async function ensureDashboardBuilt(): Promise<void> {
  const out = path.join(ROOT, 'dist', 'dashboard');
  if (fs.existsSync(path.join(out, 'index.html'))) return;
  const { buildDashboard } = (await import(pathToFileURL(path.join(ROOT, 'dashboard', 'build.mjs')).href)) as typeof import('../../dashboard/build.mjs');
  await buildDashboard(out);
}
