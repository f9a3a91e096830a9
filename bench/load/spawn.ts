// Starts a server process for a benchmark and waits for its `listening` line; bounded in time.
import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';

export interface Spawned {
  port: number;
  child: ChildProcess;
  lines: string[];
  stop(signal?: NodeJS.Signals): Promise<void>;
}

// Every server a benchmark starts dies with it, whatever way the benchmark ends.
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
});

export function spawnServer(args: string[], env: Record<string, string> = {}): Promise<Spawned> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const lines: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start`)), 60_000);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      try {
        const msg = JSON.parse(line) as { msg?: string; port?: number };
        if (msg.msg === 'listening' && msg.port) {
          clearTimeout(timer);
          resolve({
            port: msg.port,
            child,
            lines,
            stop: async (signal = 'SIGTERM') => {
              if (child.exitCode === null) child.kill(signal);
              await exited;
            },
          });
        }
      } catch {
        /* a non-JSON line */
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}`));
    });
  });
}
