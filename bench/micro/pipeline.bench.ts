// The pool's hot path, step by step, each trick beside its naive twin (undici style):
// decode msgpack vs JSON; HMAC once per request vs once per event; UA parse cached vs not;
// country lookup; Arrow built from typed arrays vs apache-arrow's generic builders; one whole request.
import { createHmac } from 'node:crypto';
import { pack } from 'msgpackr';
import { Bench } from 'tinybench';
import { Table, tableToIPC, vectorFromArray, Utf8, Dictionary, Int32, Uint64, Float64, Bool, Uint8, Uint32, DateDay, TimestampMillisecond, type DataType } from 'apache-arrow';
import { UAParser } from 'ua-parser-js';
import { COLUMNS, type EventRecord } from '../../core/event-contract.js';
import { decodeBody } from '../../ingest/pipeline/decode/decode-body.js';
import { encodeEventBatch } from '../../ingest/pipeline/arrow-batch.js';
import { processRequest, type SiteLookup } from '../../ingest/pipeline/process-request.js';
import { countryOf } from '../../ingest/pipeline/steps/put-country.js';
import { parseDevice } from '../../ingest/pipeline/steps/put-device.js';
import { generateBatches } from '../load/batches.js';

export async function pipelineBench(time: number): Promise<Bench[]> {
  const reqs = generateBatches(64, 50);
  const packed = reqs.map((r) => r.body);
  const json = reqs.map((r) => Buffer.from(r.json));
  let i = 0;
  const next = <T>(xs: T[]): T => xs[i++ % xs.length]!;

  const decode = new Bench({ name: 'decode a 50-event batch', time });
  decode.add('msgpack (bounded scan + msgpackr)', () => void decodeBody(next(packed)));
  decode.add('JSON (bounded scan + JSON.parse)', () => void decodeBody(next(json)));
  decode.add('naive twin: JSON.parse with no caps', () => void JSON.parse(next(json).toString('utf8')));

  const key = Buffer.alloc(32, 7);
  const hash = new Bench({ name: 'visitor id for a 50-event request', time });
  hash.add('HMAC-SHA256 once per request (ours)', () => void createHmac('sha256', key).update('["site","203.0.113.9","Mozilla/5.0"]').digest().readBigUInt64BE(0));
  hash.add('naive twin: HMAC once per event', () => {
    for (let k = 0; k < 50; k++) createHmac('sha256', key).update('["site","203.0.113.9","Mozilla/5.0"]').digest().readBigUInt64BE(0);
  });

  const uas = reqs.map((r) => r.userAgent);
  const enrich = new Bench({ name: 'enrichment per request', time });
  enrich.add('UA parse through the bounded cache (ours)', () => void parseDevice(next(uas)));
  enrich.add('naive twin: ua-parser-js every time', () => void new UAParser(next(uas)).getResult());
  enrich.add('country lookup (mmdb, in memory)', () => void countryOf('81.2.69.142'));

  const sites: SiteLookup = {
    byId: () => ({ id: 'site-1', domain: 'bench.example', timezone: 'Europe/Berlin' }),
    byDomainOrId: () => undefined,
  };
  const salts = { saltFor: () => key };
  const records: EventRecord[] = [];
  const whole = new Bench({ name: 'one 50-event request through every pipeline step', time });
  whole.add('processRequest (decode → steps)', () => {
    records.length = 0;
    const r = next(reqs);
    processRequest({ body: r.body, ip: '81.2.69.142', ua: r.userAgent, keyKind: 'public', siteId: 'site-1', format: 'native', receivedAt: Date.now(), maxBytes: 65536 }, sites, salts, records);
  });

  // Arrow: 1000 real records from the pipeline.
  const batchRecords: EventRecord[] = [];
  for (let k = 0; batchRecords.length < 1000; k++) {
    const r = reqs[k % reqs.length]!;
    processRequest({ body: r.body, ip: '81.2.69.142', ua: r.userAgent, keyKind: 'public', siteId: 'site-1', format: 'native', receivedAt: Date.now(), maxBytes: 65536 }, sites, salts, batchRecords);
  }
  batchRecords.length = 1000;
  const naiveType = (kind: string): DataType => ({ u64: new Uint64(), timestamp: new TimestampMillisecond(), date: new DateDay(), u8: new Uint8(), u32: new Uint32(), f64: new Float64(), bool: new Bool(), dict: new Dictionary(new Utf8(), new Int32()), text: new Utf8() })[kind]!;
  const arrow = new Bench({ name: 'Arrow IPC for 1000 events', time });
  arrow.add('typed arrays + own IPC writer (ours)', () => void encodeEventBatch(batchRecords));
  arrow.add('naive twin: vectorFromArray per column', () => {
    const cols: Record<string, unknown> = {};
    for (const c of COLUMNS) {
      const vals = batchRecords.map((r) => {
        const v = r[c.name as keyof EventRecord];
        if (v === undefined || v === null) return null;
        return c.kind === 'timestamp' || c.kind === 'date' ? new Date(c.kind === 'date' ? Number(v) * 86_400_000 : Number(v)) : v;
      });
      cols[c.name] = vectorFromArray(vals as never, naiveType(c.kind) as never);
    }
    tableToIPC(new Table(cols as never), 'stream');
  });

  const benches = [decode, hash, enrich, whole, arrow];
  for (const b of benches) await b.run();
  return benches;
}

export const samplePack = (): Buffer => Buffer.from(pack({ e: [] }));
