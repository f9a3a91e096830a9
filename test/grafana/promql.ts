// Reads the PromQL that operators run (every Grafana panel target and every alert rule) so the
// static checks (dashboards.test.ts) and the live check against a real Prometheus
// (panels-live.test.ts) walk exactly the same expressions.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const GRAFANA_DIR = path.join(ROOT, 'grafana');
export const DASHBOARD_DIR = path.join(GRAFANA_DIR, 'dashboards');

export interface Target {
  refId: string;
  expr: string;
  legendFormat?: string;
  datasource?: { type?: string; uid?: string };
}

export interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}

export interface Variable {
  name: string;
  type: string;
  definition?: string;
  query?: { query?: string } | string;
  allValue?: string;
  includeAll?: boolean;
}

export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  tags?: string[];
  panels: Panel[];
  templating?: { list: Variable[] };
}

export interface DashboardFile {
  file: string;
  dashboard: Dashboard;
}

export interface PanelQuery {
  file: string;
  panelId: number;
  panel: string;
  refId: string;
  expr: string;
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export function loadDashboards(): DashboardFile[] {
  return fs
    .readdirSync(DASHBOARD_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(fs.readFileSync(path.join(DASHBOARD_DIR, file), 'utf8')) as Dashboard }));
}

/** Panels in order, including those nested in collapsed rows. */
export function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

export function panelQueries(): PanelQuery[] {
  return loadDashboards().flatMap(({ file, dashboard }) =>
    allPanels(dashboard).flatMap((p) => (p.targets ?? []).map((t) => ({ file, panelId: p.id, panel: p.title, refId: t.refId, expr: t.expr }))),
  );
}

export function alertRules(): AlertRule[] {
  const doc = parseYaml(fs.readFileSync(path.join(GRAFANA_DIR, 'alerts.yml'), 'utf8')) as { groups: { rules: AlertRule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

/**
 * A panel expression as Grafana sends it to Prometheus: `$__rate_interval` becomes a window,
 * `$instance` with "All" selected becomes the variable's allValue (`.*`). Any other variable is an
 * error, so a dashboard cannot grow a variable the checks do not know about.
 */
export function grafanaToPromQL(expr: string, rateInterval: string): string {
  const out = expr
    .replaceAll('$__rate_interval', rateInterval)
    .replaceAll('$__interval', rateInterval)
    .replaceAll('$instance', '.*');
  if (out.includes('$')) throw new Error(`unknown Grafana variable in ${expr}`);
  return out;
}

function stripStrings(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
}

/** Series names an expression selects (`name{...}` or a bare `beaconry_*` name). */
export function seriesNames(expr: string): string[] {
  const bare = stripStrings(expr);
  const names = new Set<string>();
  for (const m of bare.matchAll(/\b(beaconry_[a-z0-9_]+)\b/g)) names.add(m[1] ?? '');
  for (const m of bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{/g)) {
    const name = m[1] ?? '';
    if (!['by', 'without', 'on', 'ignoring', 'group_left', 'group_right'].includes(name)) names.add(name);
  }
  names.delete('');
  return [...names];
}

/** Metric name of each argument of rate(), irate() and increase(). */
export function rateArguments(expr: string): string[] {
  return [...stripStrings(expr).matchAll(/\b(?:rate|irate|increase)\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/g)].map((m) => m[1] ?? '');
}

/** Every name that appears outside a rate()/irate()/increase() call (read as an instant value). */
export function instantReads(expr: string): string[] {
  const bare = stripStrings(expr);
  const out: string[] = [];
  for (const m of bare.matchAll(/\b(beaconry_[a-z0-9_]+|up)\b/g)) {
    const before = bare.slice(0, m.index).trimEnd();
    if (!/\b(?:rate|irate|increase)\($/.test(before)) out.push(m[1] ?? '');
  }
  return out;
}

export interface QuantileCall {
  q: number;
  by: string[];
  bucket: string;
}

/** `histogram_quantile(q, sum by (..., le) (rate(x_bucket{...}[w])))` calls; `count` counts every histogram_quantile. */
export function quantileCalls(expr: string): { calls: QuantileCall[]; count: number; buckets: number } {
  const bare = stripStrings(expr);
  const calls = [...bare.matchAll(/histogram_quantile\(\s*([0-9.]+)\s*,\s*sum by \(([^)]*)\)\s*\(\s*rate\(\s*([a-z0-9_]+_bucket)\b/g)].map((m) => ({
    q: Number(m[1]),
    by: (m[2] ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    bucket: m[3] ?? '',
  }));
  return { calls, count: (bare.match(/histogram_quantile\(/g) ?? []).length, buckets: (bare.match(/_bucket\b/g) ?? []).length };
}

/** Selectors of `beaconry_*` series with their `{...}` matchers ('' when bare). */
export function selectors(expr: string): { name: string; matchers: string }[] {
  return [...expr.matchAll(/\b(beaconry_[a-z0-9_]+)(\{[^}]*\})?/g)].map((m) => ({ name: m[1] ?? '', matchers: m[2] ?? '' }));
}

export interface Comparison {
  signal: string;
  op: string;
  threshold: string;
}

/**
 * Splits an alert expression at its top-level comparison: `signal > threshold`. Alert rules are
 * written in that shape so that a rule that is rightly not firing can still be checked for data by
 * querying its signal.
 */
export function splitComparison(expr: string): Comparison | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '(' || c === '{' || c === '[') depth++;
    else if (c === ')' || c === '}' || c === ']') depth--;
    else if (depth === 0) {
      const two = expr.slice(i, i + 2);
      const op = ['==', '!=', '>=', '<='].includes(two) ? two : c === '>' || c === '<' ? c : undefined;
      if (op) {
        const threshold = expr.slice(i + op.length).replace(/^\s*bool\b/, '').trim();
        return { signal: expr.slice(0, i).trim(), op, threshold };
      }
    }
  }
  return undefined;
}
