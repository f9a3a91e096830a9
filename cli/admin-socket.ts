// The running server's admin socket: a Unix socket under the data dir (mode 0600) that runs the same
// commands as the CLI, so `beaconry site add` works while the server holds the DuckDB files.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { COMMANDS, UsageError, type AdminContext, type Flags } from './commands.js';

export function adminSocketPath(dataDir: string): string {
  return path.join(dataDir, 'admin.sock');
}

export interface AdminRequest {
  command: string;
  args: string[];
  flags: Flags;
}

const MAX_BODY = 64 * 1024;

export async function startAdminSocket(dataDir: string, ctx: AdminContext): Promise<http.Server> {
  const file = adminSocketPath(dataDir);
  fs.rmSync(file, { force: true });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      void (async () => {
        let status = 200;
        let body: unknown;
        try {
          const r = JSON.parse(Buffer.concat(chunks).toString('utf8')) as AdminRequest;
          const fn = COMMANDS[r.command];
          if (!fn) throw new UsageError(`unknown command "${r.command}"`);
          body = { ok: true, result: await fn(ctx, r.args, r.flags) };
        } catch (err) {
          status = err instanceof UsageError ? 400 : 500;
          body = { ok: false, error: (err as Error).message };
        }
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
      })();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const old = process.umask(0o177); // socket file created 0600: only the owner may administer
    server.listen(file, () => {
      process.umask(old);
      resolve();
    });
  });
  return server;
}

/** Sends a command to a running server. Resolves undefined when no server listens on the socket. */
export function callAdminSocket(dataDir: string, request: AdminRequest): Promise<{ ok: boolean; result?: unknown; error?: string } | undefined> {
  const file = adminSocketPath(dataDir);
  if (!fs.existsSync(file)) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: file, method: 'POST', path: '/' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ok: boolean; result?: unknown; error?: string });
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') resolve(undefined); // stale socket: no server
      else reject(err);
    });
    req.end(JSON.stringify(request));
  });
}
