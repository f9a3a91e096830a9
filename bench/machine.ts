// The header every benchmark report begins with: what machine, what software, how it was measured.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = ['uWebSockets.js', 'piscina', '@duckdb/node-api', 'apache-arrow', 'msgpackr', 'autocannon', 'tinybench'];

export interface MachineInfo {
  cpu: string;
  cores: number;
  availableParallelism: number;
  memoryGiB: number;
  node: string;
  os: string;
  packages: Record<string, string>;
  date: string;
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  const packages: Record<string, string> = {};
  for (const p of PACKAGES) {
    try {
      packages[p] = (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', p, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      packages[p] = 'missing';
    }
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    availableParallelism: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    packages,
    date: new Date().toISOString(),
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function machineMarkdown(m: MachineInfo): string {
  return [
    `Machine: ${m.cpu}, ${m.cores} cores (availableParallelism ${m.availableParallelism}), ${m.memoryGiB} GiB, ${m.os}`,
    `Node ${m.node}; ${Object.entries(m.packages).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `Run at ${m.date}, load average before the run ${m.loadAverage.join(' / ')}`,
  ].join('  \n');
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The nearest-rank `p`th percentile (0–100) of ascending `sorted`; NaN when it is empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function writeResult(name: string, data: unknown, markdown: string): string {
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(data, null, 2));
  fs.writeFileSync(path.join(dir, `${name}.md`), markdown);
  return path.join(dir, `${name}.md`);
}
