// Static checks of grafana/: dashboard JSON shape, provisioning, and that every panel and alert
// expression names real Beaconry series (from core/metrics.ts) with PromQL that fits their type.
// The live counterpart, against a real Prometheus and a real Beaconry, is panels-live.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { registry } from '../../core/metrics.js';
import {
  GRAFANA_DIR,
  alertRules,
  allPanels,
  instantReads,
  loadDashboards,
  panelQueries,
  quantileCalls,
  rateArguments,
  selectors,
  seriesNames,
  splitComparison,
} from './promql.js';

type Kind = 'counter' | 'gauge' | 'bucket' | 'histogram-sum' | 'histogram-count';

/** Every series name a scrape of Beaconry can contain, with how PromQL may use it. */
async function seriesKinds(): Promise<Map<string, Kind>> {
  const kinds = new Map<string, Kind>([['up', 'gauge']]);
  for (const m of await registry.getMetricsAsJSON()) {
    const type = String(m.type);
    if (type === 'counter') kinds.set(m.name, 'counter');
    else if (type === 'gauge') kinds.set(m.name, 'gauge');
    else if (type === 'histogram') {
      kinds.set(`${m.name}_bucket`, 'bucket');
      kinds.set(`${m.name}_sum`, 'histogram-sum');
      kinds.set(`${m.name}_count`, 'histogram-count');
    } else throw new Error(`unexpected metric type ${type} for ${m.name}`);
  }
  return kinds;
}

/** What is wrong with an expression for the series it reads; empty when nothing is. */
function promqlProblems(expr: string, kinds: Map<string, Kind>): string[] {
  const problems: string[] = [];
  for (const name of seriesNames(expr)) if (!kinds.has(name)) problems.push(`unknown series ${name}`);
  for (const name of rateArguments(expr)) {
    if (kinds.get(name) === 'gauge') problems.push(`rate()/increase() of gauge ${name}`);
  }
  for (const name of instantReads(expr)) {
    const kind = kinds.get(name);
    if (kind !== undefined && kind !== 'gauge') problems.push(`${kind} ${name} read without rate()/increase()`);
  }
  const { calls, count, buckets } = quantileCalls(expr);
  if (calls.length !== count) problems.push('histogram_quantile not of the form histogram_quantile(q, sum by (..., le) (rate(x_bucket[w])))');
  if (buckets !== count) problems.push('_bucket series used outside histogram_quantile');
  for (const c of calls) {
    if (!c.by.includes('le')) problems.push(`histogram_quantile over ${c.bucket} without le in by (...)`);
    if (!(c.q > 0 && c.q < 1)) problems.push(`quantile ${c.q} out of (0, 1)`);
  }
  return problems;
}

const dashboards = loadDashboards();
const queries = panelQueries();
const rules = alertRules();
const DATASOURCE = { type: 'prometheus', uid: 'prometheus' };

describe('grafana dashboards', () => {
  it('are the three dashboards with unique uids and the Beaconry tag', () => {
    expect(dashboards.map((d) => d.file)).toEqual(['ingest-overview.json', 'stats-api.json', 'storage.json']);
    const uids = dashboards.map((d) => d.dashboard.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const { dashboard } of dashboards) {
      expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
      expect(dashboard.title).toMatch(/^Beaconry \/ /);
      expect(dashboard.tags).toContain('beaconry');
    }
  });

  it('have well-formed panels: unique ids, inside the 24-column grid, no overlaps', () => {
    for (const { file, dashboard } of dashboards) {
      const panels = allPanels(dashboard);
      const ids = panels.map((p) => p.id);
      expect(new Set(ids).size, file).toBe(ids.length);
      for (const p of panels) {
        expect(['row', 'timeseries', 'stat'], `${file} ${p.title}`).toContain(p.type);
        expect(p.gridPos.x + p.gridPos.w, `${file} ${p.title}`).toBeLessThanOrEqual(24);
        expect(p.gridPos.w).toBeGreaterThan(0);
        expect(p.gridPos.h).toBeGreaterThan(0);
      }
      for (const a of panels) {
        for (const b of panels) {
          if (a === b) continue;
          const overlap = a.gridPos.x < b.gridPos.x + b.gridPos.w && b.gridPos.x < a.gridPos.x + a.gridPos.w
            && a.gridPos.y < b.gridPos.y + b.gridPos.h && b.gridPos.y < a.gridPos.y + a.gridPos.h;
          expect(overlap, `${file}: "${a.title}" overlaps "${b.title}"`).toBe(false);
        }
      }
    }
  });

  it('query the provisioned Prometheus data source from every panel and target', () => {
    for (const { file, dashboard } of dashboards) {
      for (const p of allPanels(dashboard)) {
        if (p.type === 'row') {
          expect(p.targets ?? []).toEqual([]);
          continue;
        }
        expect(p.datasource, `${file} ${p.title}`).toEqual(DATASOURCE);
        const targets = p.targets ?? [];
        expect(targets.length, `${file} ${p.title}`).toBeGreaterThan(0);
        const refIds = targets.map((t) => t.refId);
        expect(new Set(refIds).size, `${file} ${p.title}`).toBe(refIds.length);
        for (const t of targets) {
          expect(t.datasource, `${file} ${p.title} ${t.refId}`).toEqual(DATASOURCE);
          expect(t.expr.trim().length).toBeGreaterThan(0);
        }
      }
    }
  });

  it('filter every Beaconry selector by the $instance variable, which lists Beaconry instances', () => {
    for (const q of queries) {
      for (const s of selectors(q.expr)) {
        expect(s.matchers, `${q.file} ${q.panel} ${q.refId}: ${s.name}`).toContain('instance=~"$instance"');
      }
    }
    for (const { dashboard } of dashboards) {
      const vars = dashboard.templating?.list ?? [];
      expect(vars.map((v) => v.name)).toEqual(['instance']);
      const v = vars[0];
      expect(v?.definition).toBe('label_values(beaconry_ready, instance)');
      expect(v?.includeAll).toBe(true);
      expect(v?.allValue).toBe('.*');
    }
  });
});

describe('PromQL of panels and alert rules', () => {
  const all = [
    ...queries.map((q) => ({ where: `${q.file} › ${q.panel} › ${q.refId}`, expr: q.expr })),
    ...rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
  ];

  it('names only exported series, with PromQL that fits each series type', async () => {
    const kinds = await seriesKinds();
    for (const { where, expr } of all) {
      expect(seriesNames(expr).length, where).toBeGreaterThan(0);
      expect(promqlProblems(expr, kinds), where).toEqual([]);
    }
  });

  it('flags PromQL that does not fit (the check can fail)', async () => {
    const kinds = await seriesKinds();
    const bad = [
      'sum(rate(beaconry_event_accepted_total[5m]))', // misspelled name
      'rate(beaconry_ready[5m])', // rate of a gauge
      'sum(beaconry_events_accepted_total)', // a counter read as an instant value
      'histogram_quantile(0.99, rate(beaconry_ack_latency_seconds_bucket[5m]))', // not summed by le
      'histogram_quantile(0.99, sum by (instance) (rate(beaconry_ack_latency_seconds_bucket[5m])))', // le dropped
      'sum(rate(beaconry_ack_latency_seconds_bucket[5m]))', // buckets outside a quantile
    ];
    for (const expr of bad) expect(promqlProblems(expr, kinds), expr).not.toEqual([]);
    expect(promqlProblems('histogram_quantile(0.5, sum by (endpoint, le) (rate(beaconry_stats_request_seconds_bucket[5m])))', kinds)).toEqual([]);
  });

  it('writes every alert as `signal <comparison> threshold` with a severity, summary and description', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual([
      'BeaconryBackpressure',
      'BeaconryDiskNearlyFull',
      'BeaconryDown',
      'BeaconryFsyncSlow',
      'BeaconryLogFailing',
      'BeaconryNotReady',
      'BeaconryRollupLag',
    ]);
    for (const r of rules) {
      const cmp = splitComparison(r.expr);
      expect(cmp, r.alert).toBeDefined();
      expect(Number.isFinite(Number(cmp?.threshold)), `${r.alert}: threshold ${cmp?.threshold}`).toBe(true);
      expect(['critical', 'warning']).toContain(r.labels?.severity);
      expect(r.annotations?.summary, r.alert).toBeTruthy();
      expect(r.annotations?.description, r.alert).toBeTruthy();
    }
    const disk = rules.find((r) => r.alert === 'BeaconryDiskNearlyFull');
    expect(disk?.expr).toContain('beaconry_disk_free_bytes / beaconry_disk_total_bytes');
  });

  it('splits comparisons at the top level only', () => {
    expect(splitComparison('max by (job) (x{a!="b"}) > 300')).toEqual({ signal: 'max by (job) (x{a!="b"})', op: '>', threshold: '300' });
    expect(splitComparison('up{job="beaconry"} == 0')).toEqual({ signal: 'up{job="beaconry"}', op: '==', threshold: '0' });
    expect(splitComparison('a / (b > 1) < bool 0.1')).toEqual({ signal: 'a / (b > 1)', op: '<', threshold: '0.1' });
    expect(splitComparison('sum(rate(x[5m]))')).toBeUndefined();
  });
});

describe('grafana provisioning and Prometheus config', () => {
  it('provisions the Prometheus data source with the uid the panels use', () => {
    const doc = parseYaml(fs.readFileSync(path.join(GRAFANA_DIR, 'provisioning/datasources/prometheus.yml'), 'utf8')) as {
      apiVersion: number;
      datasources: { uid: string; type: string; access: string; url: string }[];
    };
    expect(doc.apiVersion).toBe(1);
    expect(doc.datasources).toHaveLength(1);
    expect(doc.datasources[0]).toMatchObject({ uid: 'prometheus', type: 'prometheus', access: 'proxy' });
  });

  it('provisions the dashboards from /var/lib/grafana/dashboards', () => {
    const doc = parseYaml(fs.readFileSync(path.join(GRAFANA_DIR, 'provisioning/dashboards/beaconry.yml'), 'utf8')) as {
      apiVersion: number;
      providers: { type: string; options: { path: string } }[];
    };
    expect(doc.apiVersion).toBe(1);
    expect(doc.providers[0]?.type).toBe('file');
    expect(doc.providers[0]?.options.path).toBe('/var/lib/grafana/dashboards');
  });

  it('scrapes job beaconry on /metrics and loads alerts.yml', () => {
    const doc = parseYaml(fs.readFileSync(path.join(GRAFANA_DIR, 'prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[] }[] }[];
    };
    expect(doc.rule_files).toEqual(['alerts.yml']);
    const job = doc.scrape_configs.find((j) => j.job_name === 'beaconry');
    expect(job?.metrics_path).toBe('/metrics');
    expect(job?.static_configs[0]?.targets).toEqual(['beaconry:8080']);
  });
});
