// Starts Debian's real Prometheus on 127.0.0.1 for a test: the project's grafana/prometheus.yml with
// the Beaconry target pointed at a test server, a 1 s scrape and rule interval, and a temporary
// TSDB; then answers PromQL through the HTTP API exactly as Grafana would.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { GRAFANA_DIR } from './promql.js';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RuleState {
  name: string;
  type: 'alerting' | 'recording';
  health: string;
  lastError?: string;
  state?: string;
  query: string;
  lastEvaluation: string;
}

export interface PrometheusServer {
  url: string;
  /** Instant query at "now"; throws on a PromQL error (bad syntax, wrong types). */
  query(expr: string): Promise<Sample[]>;
  rules(): Promise<RuleState[]>;
  labelValues(label: string, match: string): Promise<string[]>;
  targets(): Promise<{ health: string; labels: Record<string, string>; lastError: string }[]>;
  stop(): Promise<void>;
}

interface ApiAnswer<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
  errorType?: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

interface ScrapeConfig {
  job_name: string;
  static_configs: { targets: string[] }[];
  [key: string]: unknown;
}

interface PromConfig {
  global?: Record<string, unknown>;
  rule_files?: string[];
  scrape_configs: ScrapeConfig[];
  [key: string]: unknown;
}

/** The project's config, with only what a test machine needs changed (targets, intervals, paths). */
function testConfig(target: string): PromConfig {
  const config = parseYaml(fs.readFileSync(path.join(GRAFANA_DIR, 'prometheus.yml'), 'utf8')) as PromConfig;
  config.global = { ...config.global, scrape_interval: '1s', evaluation_interval: '1s', scrape_timeout: '1s' };
  config.rule_files = (config.rule_files ?? []).map((f) => path.resolve(GRAFANA_DIR, f));
  const job = config.scrape_configs.find((j) => j.job_name === 'beaconry');
  if (!job) throw new Error('grafana/prometheus.yml has no beaconry job');
  job.static_configs = [{ targets: [target] }];
  return config;
}

export async function startPrometheus(target: string): Promise<PrometheusServer> {
  if (!fs.existsSync(PROMETHEUS_BIN)) throw new Error(`${PROMETHEUS_BIN} is missing: apt-get install -y prometheus`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'beaconry-prometheus-'));
  const configFile = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(configFile, stringifyYaml(testConfig(target)));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const output: string[] = [];
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  async function api<T>(p: string): Promise<T> {
    const res = await fetch(`${url}${p}`);
    const body = (await res.json()) as ApiAnswer<T>;
    if (body.status !== 'success') throw new Error(`${p}: ${body.errorType ?? ''} ${body.error ?? res.status}`);
    return body.data;
  }

  const server: PrometheusServer = {
    url,
    async query(expr) {
      const data = await api<{ resultType: string; result: Sample[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      if (data.resultType !== 'vector') throw new Error(`${expr}: expected a vector, got ${data.resultType}`);
      return data.result;
    },
    async rules() {
      const data = await api<{ groups: { rules: RuleState[] }[] }>('/api/v1/rules');
      return data.groups.flatMap((g) => g.rules);
    },
    async labelValues(label, match) {
      return api<string[]>(`/api/v1/label/${encodeURIComponent(label)}/values?match[]=${encodeURIComponent(match)}`);
    },
    async targets() {
      const data = await api<{ activeTargets: { health: string; labels: Record<string, string>; lastError: string }[] }>('/api/v1/targets');
      return data.activeTargets;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };

  // Ready when /-/ready answers 200; give up after 30 s with what Prometheus said.
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${output.join('')}`);
    const r = await fetch(`${url}/-/ready`).catch(() => undefined);
    if (r?.status === 200) return server;
    await new Promise((res) => setTimeout(res, 100));
  }
  await server.stop();
  throw new Error(`prometheus did not become ready: ${output.join('')}`);
}
