// Events → batches → the ingest edge. A bounded queue flushed by size, by time and on page hide;
// msgpack bodies sent as text/plain so no CORS preflight is needed; one retry with the same ids.
import { encode } from './msgpack.js';
import type { TrackerEvent } from './types.js';
import { later, nav } from './util.js';

/** Events per request; also the size threshold that triggers a send. */
const BATCH = 20;
/** Time threshold: a lone event waits at most this long; also the wait before the one retry. */
const DELAY_MS = 2000;
/** At the limit new events are dropped: a dead endpoint must not grow the page's memory. */
const MAX_QUEUE = 200;

const queue: TrackerEvent[] = [];
let timer = 0;
/** Batch-level fields: [endpoint, session id, referrer]. */
let target: [string, string, string];

export function connect(api: string, session: string, referrer: string): void {
  target = [api, session, referrer];
}

function send(events: TrackerEvent[], hiding?: boolean, retry?: boolean): void {
  const [api, session, referrer] = target;
  // the batch carries the first event's page URL; only events of another page repeat theirs
  const url = (events[0] as TrackerEvent).u;
  const body = encode({
    s: session,
    u: url,
    r: referrer,
    e: events.map((ev) => (ev.u === url ? Object.assign({}, ev, { u: undefined }) : ev)),
  });
  // sendBeacon missing (or refusing the size) falls through to fetch keepalive, which also outlives the page
  if (hiding && nav.sendBeacon && nav.sendBeacon(api, new Blob([body], { type: 'text/plain' }))) return;
  // same events, same ids: the server stores a retried event once; a 4xx means the batch is refused
  const failed = (): void => {
    if (!retry) later(() => send(events, false, true), DELAY_MS);
  };
  fetch(api, { method: 'POST', body, keepalive: true, headers: { 'content-type': 'text/plain' } }).then((res) => {
    if (res.status > 499 || res.status === 429) failed();
  }, failed);
}

/** Send everything now; `hiding` prefers sendBeacon, made for a page that is going away. */
export function flush(hiding?: boolean): void {
  clearTimeout(timer);
  timer = 0;
  while (queue.length) send(queue.splice(0, BATCH), hiding);
}

export function push(ev: TrackerEvent): void {
  if (queue.length < MAX_QUEUE) queue.push(ev);
  if (queue.length >= BATCH) flush();
  else if (!timer) timer = later(flush, DELAY_MS);
}
