// Pool worker (piscina): a task is several requests' raw bodies, transferred from the edge. Each goes
// through the pipeline; all accepted events of the task leave as ONE Arrow IPC buffer, transferred
// back, with per-request outcomes and the counts this thread gathered for the metrics.
import { workerData } from 'node:worker_threads';
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { EventRecord } from '../../core/event-contract.js';
import type { WorkerCounts } from '../../core/metrics.js';
import { encodeEventBatch } from '../pipeline/arrow-batch.js';
import { processRequest, type RequestInput, type RequestOutcome } from '../pipeline/process-request.js';
import { RegistryReader } from './shared-registry.js';
import { countryOf } from '../pipeline/steps/put-country.js';
import { parseDevice } from '../pipeline/steps/put-device.js';

export interface PoolTask {
  requests: RequestInput[];
}

export interface PoolResult {
  outcomes: RequestOutcome[];
  /** Arrow IPC stream of every accepted event, or null when none was. */
  arrow: Uint8Array | null;
  counts: WorkerCounts;
  /** Records in `arrow`. */
  rows: number;
}

const registry = new RegistryReader((workerData as { registry: SharedArrayBuffer }).registry);

// Load the country database and the UA parser's tables now, not inside the first visitor's request.
countryOf('127.0.0.1');
parseDevice('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36');

export default function run(task: PoolTask): PoolResult {
  registry.refresh();
  const records: EventRecord[] = [];
  const counts: WorkerCounts = { received: 0, dropped: {} };
  const outcomes = task.requests.map((req) => {
    let outcome: RequestOutcome;
    try {
      outcome = processRequest(req, registry, registry, records);
    } catch (err) {
      // A bug must cost one request, not the batch of requests that share this task.
      outcome = { ok: false, code: 'BEACONRY_ERR_INTERNAL', message: (err as Error).message, received: 0 };
    }
    counts.received += outcome.received;
    if (outcome.ok) {
      for (const [reason, n] of Object.entries(outcome.dropped)) {
        counts.dropped[reason as keyof WorkerCounts['dropped']] = (counts.dropped[reason as keyof WorkerCounts['dropped']] ?? 0) + n;
      }
    }
    return outcome;
  });
  const arrow = records.length > 0 ? encodeEventBatch(records) : null;
  const result: PoolResult = { outcomes, arrow, counts, rows: records.length };
  if (!arrow) return result;
  // Hand the Arrow bytes back by transfer, not by copy (piscina's Transferable protocol).
  const movable = { [transferableSymbol]: [arrow.buffer], [valueSymbol]: result };
  return move(movable as never) as unknown as PoolResult;
}
