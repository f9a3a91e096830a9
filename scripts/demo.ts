// `npm run demo`: starts Beaconry on a fresh data dir with a demo account and site, backfills 90 days
// of generated visits through the real ingest path, keeps live visits coming, and prints where to
// sign in. Ctrl-C stops the server (and removes the data dir unless --data was given).
//   node --import tsx scripts/demo.ts [--port 8080] [--days 90] [--data <dir>] [--scale 1]
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DEMO_LOGIN, demoSession, demoSite } from '../dashboard/demo/demo-site.js';
import { backfill, liveTraffic } from '../dashboard/demo/traffic.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'beaconry.js');

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

async function ensureBuilt(): Promise<void> {
  if (!fs.existsSync(CLI)) {
    process.stdout.write('Building Beaconry…\n');
    await new Promise<void>((resolve, reject) => {
      spawn(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { stdio: 'inherit' }).on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`build failed (${c})`))));
    });
  }
  if (!fs.existsSync(path.join(ROOT, 'dist', 'dashboard', 'index.html'))) {
    process.stdout.write('Building the dashboard…\n');
    const { buildDashboard } = (await import(pathToFileURL(path.join(ROOT, 'dashboard', 'build.mjs')).href)) as typeof import('../dashboard/build.mjs');
    await buildDashboard(path.join(ROOT, 'dist', 'dashboard'));
  }
}

interface Started {
  child: ChildProcess;
  port: number;
  /** The first-run token, when the data dir has no account yet. */
  setupToken: string | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function startServer(dataDir: string, port: string): Promise<Started> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('BEACONRY_')) env[k] = v;
  Object.assign(env, {
    BEACONRY_HOST: '127.0.0.1',
    BEACONRY_PORT: port,
    BEACONRY_DATA_DIR: dataDir,
    // Local plain http: cookies without Secure. Never set this on a server others reach.
    BEACONRY_INSECURE_COOKIES: '1',
    // The demo plays visitors from many addresses through X-Forwarded-For from loopback.
    BEACONRY_TRUSTED_PROXIES: '127.0.0.1',
    // The backfill sends 90 days in a minute; the default per-key limit is for real servers.
    BEACONRY_SECRET_KEY_RATE: '1000000000',
    BEACONRY_DISK_FREE_MIN: '0',
  });
  const child = spawn(process.execPath, [CLI, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = fs.createWriteStream(path.join(dataDir, 'server.log'));
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  let token: string | undefined;
  const listening = new Promise<number>((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const m = JSON.parse(line) as { msg?: string; port?: number; path?: string };
        if (m.msg === 'listening' && m.port) resolve(m.port);
        if (m.msg === 'setup' && m.path) token = new URLSearchParams(m.path.split('#')[1]).get('token') ?? undefined;
      } catch {
        /* not a log line */
      }
    });
    child.once('exit', (code) => reject(new Error(`the server exited (${code}); see ${path.join(dataDir, 'server.log')}`)));
  });
  const p = await listening;
  const url = `http://127.0.0.1:${p}`;
  for (let i = 0; i < 600 && (await fetch(`${url}/readyz`).catch(() => undefined))?.status !== 200; i++) await sleep(100);
  const state = (await (await fetch(`${url}/api/dashboard/auth/state`)).json()) as { setupRequired: boolean };
  for (let i = 0; i < 100 && state.setupRequired && !token; i++) await sleep(50);
  return { child, port: p, setupToken: state.setupRequired ? token : undefined };
}

async function main(): Promise<void> {
  await ensureBuilt();
  const given = process.argv.includes('--data');
  const dataDir = given ? path.resolve(flag('data', '')) : fs.mkdtempSync(path.join(os.tmpdir(), 'beaconry-demo-'));
  fs.mkdirSync(dataDir, { recursive: true });
  const days = Number(flag('days', '90'));
  const scale = Number(flag('scale', '1'));
  let started: Started;
  try {
    started = await startServer(dataDir, flag('port', '8080'));
  } catch (err) {
    if (process.argv.includes('--port')) throw err;
    started = await startServer(dataDir, '0'); // 8080 is taken: any free port
  }
  const url = `http://127.0.0.1:${started.port}`;
  const token = await demoSession(url, started.setupToken);
  const site = await demoSite(url, token, undefined, Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');

  process.stdout.write(
    `\n  Beaconry demo running at ${url}/\n` +
      `  Sign in as ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}\n` +
      `  Site ${site.domain}; data dir ${dataDir}${given ? '' : ' (removed on exit)'}\n\n`,
  );
  const t0 = performance.now();
  const result = await backfill(url, site, {
    days,
    scale,
    onProgress: (p) => {
      if (process.stdout.isTTY) process.stdout.write(`\r  Backfilling ${p.day}/${p.days} days: ${p.visits} visits, ${p.events} events `);
    },
  });
  process.stdout.write(`${process.stdout.isTTY ? '\n' : ''}  Backfilled ${result.visits} visits (${result.events} events) in ${((performance.now() - t0) / 1000).toFixed(1)} s. Live visits keep coming; Ctrl-C to stop.\n`);
  const live = liveTraffic(url, site, { onError: () => undefined });

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    live.stop();
    started.child.kill('SIGTERM');
    started.child.once('exit', () => {
      if (!given) fs.rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`demo: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
