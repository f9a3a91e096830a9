// Starts the real Beaconry (built dist/, a child process) on 127.0.0.1 with a temporary data dir,
// and talks to it the way users do: HTTP, and the `beaconry` CLI (through the admin socket).
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'dist/cli/beaconry.js');

export interface TestServer {
  url: string;
  port: number;
  dataDir: string;
  env: Record<string, string>;
  child: ChildProcess;
  /** Output lines the server printed (JSON log lines). */
  lines: string[];
  cli<T = unknown>(args: string[]): Promise<T>;
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
  /** Waits until /readyz says ready. */
  ready(): Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
  /** Starts the same data dir again (after stop or kill). */
  restart(): Promise<TestServer>;
}

export function tempDataDir(prefix = 'beaconry-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function runCli<T>(args: string[], env: Record<string, string>): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args, '--json'], { env: { ...cleanEnv(), ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`beaconry ${args.join(' ')} failed: ${stderr || err.message}`));
      try {
        resolve(JSON.parse(stdout) as T);
      } catch {
        reject(new Error(`beaconry ${args.join(' ')}: not JSON: ${stdout}`));
      }
    });
  });
}

function cleanEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('BEACONRY_')) out[k] = v;
  return out;
}

export async function startServer(opts: { env?: Record<string, string>; dataDir?: string; waitReady?: boolean } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? tempDataDir();
  const env: Record<string, string> = {
    BEACONRY_HOST: '127.0.0.1',
    BEACONRY_PORT: '0',
    BEACONRY_DATA_DIR: dataDir,
    BEACONRY_DISK_FREE_MIN: '0',
    // Tests wait for rows: apply within 50 ms rather than the default 2 s when load is light.
    BEACONRY_STORE_FLUSH_MS: '50',
    ...opts.env,
  };
  const child = spawn(process.execPath, [CLI, 'start'], { env: { ...cleanEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const stderr: string[] = [];
  child.stderr!.on('data', (d: Buffer) => stderr.push(d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr.join('')}`)), 30_000);
    rl.on('line', (line) => {
      lines.push(line);
      try {
        const msg = JSON.parse(line) as { msg?: string; port?: number };
        if (msg.msg === 'listening' && msg.port) {
          clearTimeout(timer);
          resolve(msg.port);
        }
      } catch {
        /* not JSON */
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${stderr.join('')}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const server: TestServer = {
    url,
    port,
    dataDir,
    env,
    child,
    lines,
    cli: (args) => runCli(args, env),
    query: (sql) => runCli(['query', sql], env),
    async ready() {
      for (let i = 0; i < 600; i++) {
        const r = await fetch(`${url}/readyz`).catch(() => undefined);
        if (r?.status === 200) return;
        await new Promise((res) => setTimeout(res, 50));
      }
      throw new Error('server never became ready');
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
    restart: () => startServer({ env: opts.env, dataDir }),
  };
  if (opts.waitReady !== false) await server.ready();
  return server;
}

/** Creates a site through the CLI; returns its id and public key. */
export async function addSite(server: TestServer, domain: string, extra: string[] = []): Promise<{ id: string; domain: string; publicKey: string; timezone: string }> {
  return server.cli(['site', 'add', domain, ...extra]);
}

export async function postBatch(server: TestServer, key: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}/api/v1/batch?k=${encodeURIComponent(key)}`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36', ...headers },
    body: typeof body === 'string' ? body : body instanceof Uint8Array ? Buffer.from(body) : JSON.stringify(body),
  });
}
