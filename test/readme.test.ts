// The README is part of the product: its two commands exist, and its configuration table names every
// setting the server reads (and no setting it does not).
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { SETTINGS } from '../core/config.js';
import { ROOT } from './helpers/server.js';

const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };

it('documents every setting, and only real ones', () => {
  for (const s of Object.values(SETTINGS)) expect(readme).toContain(`| \`${s.env}\` |`);
  const documented = [...readme.matchAll(/^\| `(BEACONRY_(?!ERR_)[A-Z_]+)` \|/gm)].map((m) => m[1]);
  const known = new Set(Object.values(SETTINGS).map((s) => s.env));
  expect(documented.filter((d) => !known.has(d!))).toEqual([]);
});

it('has the two commands, and they exist', () => {
  expect(readme).toContain('npm install && npm start');
  expect(readme).toContain('npm test');
  expect(pkg.scripts.start).toBeDefined();
  expect(pkg.scripts.test).toBeDefined();
  expect(pkg.bin.beaconry).toBe('dist/cli/beaconry.js');
  expect(fs.readFileSync(path.join(ROOT, '.ci/run'), 'utf8')).toMatch(/^npm test$/m);
});
