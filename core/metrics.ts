// Prometheus metrics for the whole process. Worker threads do not own a registry: they count into a
// WorkerCounts object that travels back with each task result and is added here on the main thread.
// Labels are closed sets only: never a site, key, IP, URL or user agent.
import client from 'prom-client';
import { DROP_REASONS, type DropReason } from './event-contract.js';

export const registry = new client.Registry();
client.collectDefaultMetrics({ register: registry, prefix: 'beaconry_' });

const reg = [registry];
const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export const QUEUES = ['edge', 'pool', 'log', 'store'] as const;
export type QueueName = (typeof QUEUES)[number];

/** Queues whose depth is read when /metrics is scraped rather than set as it changes. */
const depthSources = new Map<QueueName, () => number>();

/** Reports `queue`'s depth from `read()` at every scrape: the same number the edge admits by. */
export function reportQueueDepth(queue: QueueName, read: () => number): void {
  depthSources.set(queue, read);
}

export const metrics = {
  eventsReceived: new client.Counter({ name: 'beaconry_events_received_total', help: 'Events decoded from accepted-for-processing requests.', registers: reg }),
  eventsAccepted: new client.Counter({ name: 'beaconry_events_accepted_total', help: 'Events made durable in the log.', registers: reg }),
  eventsDropped: new client.Counter({ name: 'beaconry_events_dropped_total', help: 'Events dropped, by reason.', labelNames: ['reason'] as const, registers: reg }),
  requestsDropped: new client.Counter({ name: 'beaconry_requests_dropped_total', help: 'Requests (or their events) dropped whole: Do Not Track / GPC (dnt), or naming no known site (unknown_site).', labelNames: ['reason'] as const, registers: reg }),
  requestsRejected: new client.Counter({ name: 'beaconry_requests_rejected_total', help: 'Requests refused with a 4xx/5xx, by status and error code.', labelNames: ['status', 'code'] as const, registers: reg }),
  requests: new client.Counter({ name: 'beaconry_http_requests_total', help: 'HTTP requests answered, by route and status class.', labelNames: ['route', 'status'] as const, registers: reg }),
  rateLimited: new client.Counter({ name: 'beaconry_rate_limited_total', help: 'Requests answered 429, by key kind.', labelNames: ['key_kind'] as const, registers: reg }),
  batchEvents: new client.Histogram({ name: 'beaconry_batch_events', help: 'Events per request.', buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000], registers: reg }),
  ackLatency: new client.Histogram({ name: 'beaconry_ack_latency_seconds', help: 'From the last body byte to the 2xx answer (durable).', buckets: latencyBuckets, registers: reg }),
  queueDepth: new client.Gauge({
    name: 'beaconry_queue_depth', help: 'Items waiting in each bounded queue (requests for edge, tasks for pool, bytes for log, records for store).', labelNames: ['queue'] as const, registers: reg,
    collect() {
      for (const [queue, read] of depthSources) this.set({ queue }, read());
    },
  }),
  queueLimit: new client.Gauge({ name: 'beaconry_queue_limit', help: 'Limit of each bounded queue; at the limit the edge answers 503.', labelNames: ['queue'] as const, registers: reg }),
  poolUtilization: new client.Gauge({ name: 'beaconry_pool_utilization', help: 'Share of time the worker threads were busy (0..1).', registers: reg }),
  poolTaskSeconds: new client.Histogram({ name: 'beaconry_pool_task_seconds', help: 'Time a pool task took (decode to Arrow).', buckets: latencyBuckets, registers: reg }),
  logBytes: new client.Counter({ name: 'beaconry_log_bytes_total', help: 'Bytes appended to the write-ahead log.', registers: reg }),
  logRecords: new client.Counter({ name: 'beaconry_log_records_total', help: 'Records appended to the write-ahead log.', registers: reg }),
  logSegments: new client.Gauge({ name: 'beaconry_log_segments', help: 'Log segments on disk.', registers: reg }),
  logFsync: new client.Histogram({ name: 'beaconry_log_fsync_seconds', help: 'Latency of one group-commit fsync.', buckets: latencyBuckets, registers: reg }),
  logFailures: new client.Counter({ name: 'beaconry_log_failures_total', help: 'Log write or fsync failures (each stops acknowledging).', registers: reg }),
  storeRows: new client.Counter({ name: 'beaconry_store_rows_appended_total', help: 'Rows appended to DuckDB day partitions.', registers: reg }),
  storeDuplicates: new client.Counter({ name: 'beaconry_store_duplicates_total', help: 'Events not stored again because their id was already stored.', registers: reg }),
  storeAppend: new client.Histogram({ name: 'beaconry_store_append_seconds', help: 'Latency of one DuckDB append transaction.', buckets: latencyBuckets, registers: reg }),
  storePartitions: new client.Gauge({ name: 'beaconry_store_partitions', help: 'Day partitions on disk.', registers: reg }),
  storeBytes: new client.Gauge({ name: 'beaconry_store_bytes', help: 'Bytes of all DuckDB files under the data dir.', registers: reg }),
  diskFree: new client.Gauge({ name: 'beaconry_disk_free_bytes', help: 'Free bytes on the data dir filesystem.', registers: reg }),
  diskTotal: new client.Gauge({ name: 'beaconry_disk_total_bytes', help: 'Size of the data dir filesystem.', registers: reg }),
  appliedLag: new client.Gauge({ name: 'beaconry_store_apply_lag_seconds', help: 'Age of the oldest acknowledged record not yet in DuckDB.', registers: reg }),
  duckdbThreads: new client.Gauge({ name: 'beaconry_duckdb_threads', help: 'Threads DuckDB may use now (BEACONRY_DUCKDB_THREADS; 0 lets ingest pressure decide).', registers: reg }),
  rollupLag: new client.Gauge({ name: 'beaconry_rollup_lag_seconds', help: 'Seconds between the newest acknowledged event and the rollups.', registers: reg }),
  statsLatency: new client.Histogram({ name: 'beaconry_stats_request_seconds', help: 'Stats API latency by endpoint.', labelNames: ['endpoint'] as const, buckets: latencyBuckets, registers: reg }),
  ready: new client.Gauge({ name: 'beaconry_ready', help: '1 when ingest can accept and persist.', registers: reg }),
};

for (const reason of DROP_REASONS) metrics.eventsDropped.inc({ reason }, 0);
metrics.requestsDropped.inc({ reason: 'dnt' }, 0);
metrics.requestsDropped.inc({ reason: 'unknown_site' }, 0);

/** Counts a worker thread gathers during one task and returns with its result. */
export interface WorkerCounts {
  received: number;
  dropped: Partial<Record<DropReason, number>>;
}

export function addWorkerCounts(counts: WorkerCounts): void {
  if (counts.received > 0) metrics.eventsReceived.inc(counts.received);
  for (const [reason, n] of Object.entries(counts.dropped)) {
    if (n) metrics.eventsDropped.inc({ reason }, n);
  }
}
