// Crash test child: appends LSN-derived payloads from several concurrent clients forever and
// prints each acknowledged LSN on its own line, until the parent test SIGKILLs it.
import { WriteAheadLog } from '../../../ingest/log/write-ahead-log.js';
import { payloadFor } from './lsn-payload.js';

const [dir, segmentBytes, clients, maxPayload] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: crash-child.ts <dir> <segmentBytes> <clients> <maxPayload>');
const log = await WriteAheadLog.open(dir, { segmentBytes: Number(segmentBytes) });
// LSNs are given in call order, so the child knows each record's LSN before appending it.
let next = log.stats().lastLsn + 1;
process.stdout.write(`ready ${next}\n`);

async function client(): Promise<void> {
  for (;;) {
    const expected = next++;
    const lsn = await log.append(payloadFor(expected, Number(maxPayload)));
    if (lsn !== expected) {
      process.stderr.write(`LSN ${lsn} acknowledged for the payload of ${expected}\n`);
      process.exit(2);
    }
    process.stdout.write(`${lsn}\n`);
  }
}

await Promise.all(Array.from({ length: Number(clients) }, client));
