// Runs Prometheus's own checker on grafana/: the config (with the rule files it names, resolved
// relative to the config file), the alert rules, and the rule unit tests in alerts.test.yml.
// Needs Debian's `prometheus` package (promtool), which .ci/run installs.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GRAFANA_DIR } from './promql.js';

const PROMTOOL = fs.existsSync('/usr/bin/promtool') ? '/usr/bin/promtool' : 'promtool';

interface Run {
  code: number;
  out: string;
}

function promtool(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(PROMTOOL, args, { cwd, timeout: 60_000 }, (err, stdout, stderr) => {
      const out = `${stdout}${stderr}`;
      if (err && typeof err.code !== 'number') {
        reject(new Error(`cannot run ${PROMTOOL} (apt-get install -y prometheus): ${err.message}`));
        return;
      }
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, out });
    });
  });
}

const temp: string[] = [];
afterAll(() => {
  for (const dir of temp) fs.rmSync(dir, { recursive: true, force: true });
});

describe('promtool', () => {
  it('accepts grafana/prometheus.yml and the rule files it loads', async () => {
    const r = await promtool(['check', 'config', 'prometheus.yml'], GRAFANA_DIR);
    expect(r.out).toContain('SUCCESS: 1 rule files found');
    expect(r.out).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.code, r.out).toBe(0);
  });

  it('accepts grafana/alerts.yml', async () => {
    const r = await promtool(['check', 'rules', 'alerts.yml'], GRAFANA_DIR);
    expect(r.out).toContain('SUCCESS: 7 rules found');
    expect(r.code, r.out).toBe(0);
  });

  it('passes the alert unit tests in grafana/alerts.test.yml', async () => {
    const r = await promtool(['test', 'rules', 'alerts.test.yml'], GRAFANA_DIR);
    expect(r.out).toContain('SUCCESS');
    expect(r.code, r.out).toBe(0);
  });

  it('fails the unit tests when an alert threshold is wrong (the tests can fail)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'beaconry-promtool-'));
    temp.push(dir);
    fs.copyFileSync(path.join(GRAFANA_DIR, 'alerts.test.yml'), path.join(dir, 'alerts.test.yml'));
    const rules = fs.readFileSync(path.join(GRAFANA_DIR, 'alerts.yml'), 'utf8');
    const broken = rules.replace('beaconry_rollup_lag_seconds) > 300', 'beaconry_rollup_lag_seconds) > 3000');
    expect(broken).not.toBe(rules);
    fs.writeFileSync(path.join(dir, 'alerts.yml'), broken);
    const r = await promtool(['test', 'rules', 'alerts.test.yml'], dir);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('alertname: BeaconryRollupLag');
  });

  it('rejects a config whose rule file is missing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'beaconry-promtool-'));
    temp.push(dir);
    fs.copyFileSync(path.join(GRAFANA_DIR, 'prometheus.yml'), path.join(dir, 'prometheus.yml'));
    const r = await promtool(['check', 'config', 'prometheus.yml'], dir);
    expect(r.code).not.toBe(0);
  });
});
