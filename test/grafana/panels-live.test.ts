// The real thing for grafana/: a real Beaconry under generated load on 127.0.0.1, scraped every
// second by Debian's real Prometheus with the project's scrape config and alert rules; then every
// dashboard panel query and every alert rule is run through Prometheus's HTTP API.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSite, postBatch, startServer, type TestServer } from '../helpers/server.js';
import { startPrometheus, type PrometheusServer, type Sample } from './prometheus-server.js';
import { alertRules, grafanaToPromQL, panelQueries, splitComparison } from './promql.js';

/** What Grafana would put in for $__rate_interval: several 1 s scrapes, within the load's span. */
const RATE_INTERVAL = '30s';
/** Scrapes (and rule evaluations) to wait for before querying. */
const SCRAPES = 10;
const DOMAIN = 'example.com';

const SERVER_ENV: Record<string, string> = {
  // One worker, one task in flight, one request waiting: a burst of parallel batches meets full
  // queues, so the 503 series (and the backpressure alert's signal) exist for real.
  BEACONRY_POOL_THREADS: '1',
  BEACONRY_POOL_QUEUE: '1',
  BEACONRY_EDGE_QUEUE: '1',
  // 60 events a minute per secret key: the third 30-event batch of one key is answered 429.
  BEACONRY_SECRET_KEY_RATE: '60',
};

const STATS_PATHS = [
  `/api/v1/stats/aggregate?site_id=${DOMAIN}&period=day&metrics=visitors,pageviews`,
  `/api/v1/stats/timeseries?site_id=${DOMAIN}&period=day`,
  `/api/v1/stats/breakdown?site_id=${DOMAIN}&period=day&property=event:page`,
  `/api/v1/stats/realtime/visitors?site_id=${DOMAIN}`,
];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function finite(s: Sample): boolean {
  return Number.isFinite(Number(s.value[1]));
}

function batch(events: number): unknown {
  const now = Date.now();
  return {
    s: crypto.randomUUID(),
    u: `https://${DOMAIN}/p/${events % 5}`,
    r: 'https://www.google.com/',
    e: Array.from({ length: events }, (_, i) =>
      i % 3 === 2
        ? { t: 'custom', i: crypto.randomUUID(), ts: now, n: 'signup', p: { plan: 'pro' } }
        : { t: 'pageview', i: crypto.randomUUID(), ts: now },
    ),
  };
}

/** Generated traffic: public-key batches, bad keys, bursts into full queues, stats reads. Bounded. */
class Load {
  readonly ingest = new Map<number, number>();
  readonly stats = new Map<number, number>();
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly server: TestServer,
    private readonly publicKey: string,
    private readonly statsKey: string,
  ) {}

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private note(map: Map<number, number>, status: number): void {
    map.set(status, (map.get(status) ?? 0) + 1);
  }

  private async post(key: string, events: number): Promise<void> {
    const res = await postBatch(this.server, key, batch(events));
    await res.arrayBuffer();
    this.note(this.ingest, res.status);
  }

  private async loop(): Promise<void> {
    // At most 3000 rounds or two minutes, whichever comes first, even if stop() is never called.
    const until = Date.now() + 120_000;
    for (let i = 0; i < 3000 && !this.stopped && Date.now() < until; i++) {
      await this.post(this.publicKey, 1 + (i % 8));
      if (i % 4 === 0) await this.post('not-a-key', 1);
      if (i % 6 === 0) {
        const res = await fetch(`${this.server.url}${STATS_PATHS[(i / 6) % STATS_PATHS.length] ?? ''}`, {
          headers: { authorization: `Bearer ${this.statsKey}` },
        });
        await res.arrayBuffer();
        this.note(this.stats, res.status);
      }
      if (i % 20 === 0) await Promise.all(Array.from({ length: 24 }, () => this.post(this.publicKey, 2)));
      await sleep(40);
    }
  }
}

let server: TestServer | undefined;
let prom: PrometheusServer | undefined;
let load: Load | undefined;
const rateLimitStatuses: number[] = [];

function promOrThrow(): PrometheusServer {
  if (!prom) throw new Error('setup failed: no Prometheus');
  return prom;
}

async function waitForScrapes(p: PrometheusServer, n: number): Promise<void> {
  const expr = `count_over_time(up{job="beaconry"}[5m])`;
  for (let i = 0; i < 600; i++) {
    const r = await p.query(expr).catch(() => []);
    if (Number(r[0]?.value[1] ?? 0) >= n) return;
    await sleep(250);
  }
  throw new Error(`Prometheus did not scrape Beaconry ${n} times: ${JSON.stringify(await p.targets())}`);
}

beforeAll(async () => {
  server = await startServer({ env: SERVER_ENV });
  const site = await addSite(server, DOMAIN);
  const ingestKey = await server.cli<{ secretKey: string }>(['key', 'create', DOMAIN]);
  const statsKey = await server.cli<{ secretKey: string }>(['key', 'create', DOMAIN]);

  // Spend one secret key's minute of events so the rate-limit series exist.
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${server.url}/api/v1/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ingestKey.secretKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(batch(30)),
    });
    await res.arrayBuffer();
    rateLimitStatuses.push(res.status);
  }

  prom = await startPrometheus(`127.0.0.1:${server.port}`);
  load = new Load(server, site.publicKey, statsKey.secretKey);
  load.start();
  await waitForScrapes(prom, SCRAPES);
}, 120_000);

afterAll(async () => {
  await load?.stop();
  await prom?.stop();
  await server?.stop();
}, 60_000);

describe('the load behind the dashboards', () => {
  it('produced acknowledged, unauthorized, rate-limited and backpressure answers', () => {
    expect(rateLimitStatuses).toContain(429);
    const seen = Object.fromEntries(load?.ingest ?? []);
    expect(seen[202] ?? 0, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(seen[401] ?? 0, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(seen[503] ?? 0, `no 503 from bursts into one-slot queues: ${JSON.stringify(seen)}`).toBeGreaterThan(0);
  });

  it('read the stats API successfully', () => {
    const seen = Object.fromEntries(load?.stats ?? []);
    expect(seen[200] ?? 0, JSON.stringify(seen)).toBeGreaterThan(0);
  });

  it('was scraped by Prometheus as job beaconry', async () => {
    const targets = await promOrThrow().targets();
    expect(targets).toHaveLength(1);
    expect(targets[0]?.labels.job).toBe('beaconry');
    expect(targets[0]?.health, targets[0]?.lastError).toBe('up');
  });

  it('fills the dashboards\' $instance variable (label_values(beaconry_ready, instance))', async () => {
    expect(await promOrThrow().labelValues('instance', 'beaconry_ready')).toEqual([`127.0.0.1:${server?.port ?? 0}`]);
  });
});

// A panel passes with at least one finite sample: NaN alone (a quantile over no observations) is
// what Grafana draws as an empty panel.
describe('every Grafana panel query returns data', () => {
  for (const q of panelQueries()) {
    it(`${q.file} › ${q.panel} › ${q.refId}`, async () => {
      const expr = grafanaToPromQL(q.expr, RATE_INTERVAL);
      const result = await promOrThrow().query(expr);
      expect(result.length, `no series for ${expr}`).toBeGreaterThan(0);
      expect(result.some(finite), `only NaN/Inf for ${expr}: ${JSON.stringify(result)}`).toBe(true);
    });
  }
});

// A series can exist and still never be updated (a gauge left at 0 returns data too). Under the
// load above, these must have moved, so the panels show the pipeline rather than zeros.
const MOVED_UNDER_LOAD = [
  'sum(beaconry_events_received_total)',
  'sum(beaconry_events_accepted_total)',
  'sum(beaconry_ack_latency_seconds_count)',
  'sum(beaconry_batch_events_count)',
  'sum(beaconry_pool_task_seconds_count)',
  'max(beaconry_pool_utilization)',
  'sum(beaconry_log_bytes_total)',
  'sum(beaconry_log_records_total)',
  'sum(beaconry_log_fsync_seconds_count)',
  'sum(beaconry_store_rows_appended_total)',
  'sum(beaconry_store_append_seconds_count)',
  'max(beaconry_store_partitions)',
  'max(beaconry_store_bytes)',
  'max(beaconry_disk_free_bytes)',
  'max(beaconry_disk_total_bytes)',
  'min(beaconry_queue_limit{queue=~"edge|pool|log"})',
  'sum(beaconry_rate_limited_total)',
  'sum(beaconry_requests_rejected_total{status="503"})',
  'sum(beaconry_stats_request_seconds_count)',
  'max(beaconry_ready)',
];

describe('the series behind the panels move under load', () => {
  for (const expr of MOVED_UNDER_LOAD) {
    it(`${expr} > 0`, async () => {
      const result = await promOrThrow().query(expr);
      expect(Number(result[0]?.value[1] ?? 0), JSON.stringify(result)).toBeGreaterThan(0);
    });
  }
});

// An alert that is rightly not firing returns nothing, which proves nothing. Every rule is written
// as `signal <op> threshold` (checked statically in dashboards.test.ts): the whole rule is run (it
// must be valid PromQL on live data) and its signal, the left side, must return a finite sample,
// so the series each alert watches are shown to exist with the labels and types it expects.
describe('every alert rule is evaluated on live data', () => {
  const rules = alertRules();

  it('Prometheus loaded every rule of grafana/alerts.yml and evaluates each without error', async () => {
    const loaded = await promOrThrow().rules();
    expect(loaded.map((r) => r.name).sort()).toEqual(rules.map((r) => r.alert).sort());
    for (const r of loaded) expect(r.health, `${r.name}: ${r.lastError ?? ''}`).toBe('ok');
  });

  for (const rule of rules) {
    it(`${rule.alert}: the rule runs and its signal returns data`, async () => {
      const cmp = splitComparison(rule.expr);
      if (!cmp) throw new Error(`${rule.alert} is not of the form signal <op> threshold`);
      await promOrThrow().query(rule.expr); // valid PromQL on live data; empty while not firing
      const signal = await promOrThrow().query(cmp.signal);
      expect(signal.length, `no series for ${cmp.signal}`).toBeGreaterThan(0);
      expect(signal.some(finite), `only NaN/Inf for ${cmp.signal}: ${JSON.stringify(signal)}`).toBe(true);
    });
  }

  it('a healthy server trips none of the down, not-ready and log-failure alerts', async () => {
    for (const name of ['BeaconryDown', 'BeaconryNotReady', 'BeaconryLogFailing']) {
      const rule = rules.find((r) => r.alert === name);
      if (!rule) throw new Error(`no rule ${name}`);
      expect(await promOrThrow().query(rule.expr), name).toEqual([]);
    }
  });
});
