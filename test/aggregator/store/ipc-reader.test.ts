// The store's own Arrow IPC reader: it must see exactly what apache-arrow's tableFromIPC sees in the
// pool's payloads (lengths, null counts, every buffer's bytes, dictionaries), and refuse damaged
// payloads with an Error rather than crash, hang or read out of bounds.
import fc from 'fast-check';
import { tableFromIPC, type Data } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readIpcStream, type RawColumn } from '../../../aggregator/store/ipc-reader.js';
import { dayRuns, decodePayload, SITE_COLUMN, stringAt } from '../../../aggregator/store/append-chunk.js';
import { encodeEventBatch } from '../../../ingest/pipeline/arrow-batch.js';
import { generateEvents } from './generate-events.js';

const SITE = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';

const bytesOf = (b: Uint8Array | undefined): number[] => (b ? [...b] : []);

function expectSame(raw: RawColumn, data: Data): void {
  expect(raw.length).toBe(data.length);
  expect(raw.nullCount).toBe(data.nullCount);
  if (data.nullCount > 0) expect(bytesOf(raw.buffers[0]).slice(0, Math.ceil(data.length / 8))).toEqual(bytesOf(data.nullBitmap).slice(0, Math.ceil(data.length / 8)));
  const values = data.values as ArrayBufferView;
  const valueBytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  if (data.valueOffsets) {
    const offsets = data.valueOffsets as Int32Array;
    expect(bytesOf(raw.buffers[1]).slice(0, offsets.byteLength)).toEqual(bytesOf(new Uint8Array(offsets.buffer, offsets.byteOffset, offsets.byteLength)));
    expect(bytesOf(raw.buffers[2]).slice(0, valueBytes.byteLength)).toEqual(bytesOf(valueBytes));
  } else {
    expect(bytesOf(raw.buffers[1]).slice(0, valueBytes.byteLength)).toEqual(bytesOf(valueBytes));
  }
  if (data.dictionary) expectSame(raw.dictionary!, data.dictionary.data[0]!);
}

describe('readIpcStream', () => {
  it.each([1, 7, 50, 400])('reads a %i-event payload exactly as tableFromIPC does', (n) => {
    const payload = encodeEventBatch(generateEvents(n, { siteId: SITE, seed: n }));
    const table = tableFromIPC(payload);
    const raw = readIpcStream(payload);
    expect(raw.fields.map((f) => f.name)).toEqual(table.schema.fields.map((f) => f.name));
    expect(raw.batches.length).toBe(table.batches.length);
    raw.batches.forEach((batch, b) => {
      expect(batch.length).toBe(table.batches[b]!.numRows);
      batch.columns.forEach((col, c) => expectSame(col, table.batches[b]!.data.children[c]!));
    });
  });

  it('reads a payload that sits at an odd offset of a larger buffer (as in a log segment)', () => {
    const payload = encodeEventBatch(generateEvents(20, { siteId: SITE }));
    const host = new Uint8Array(payload.byteLength + 3);
    host.set(payload, 3);
    const a = readIpcStream(payload);
    const b = readIpcStream(host.subarray(3));
    expect(b.batches[0]!.columns.map((c) => bytesOf(c.buffers[1]))).toEqual(a.batches[0]!.columns.map((c) => bytesOf(c.buffers[1])));
  });

  it('refuses truncated or corrupted payloads with an Error, never anything worse', () => {
    const payload = encodeEventBatch(generateEvents(30, { siteId: SITE }));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: payload.byteLength - 1 }),
        fc.array(fc.tuple(fc.nat(payload.byteLength - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (cut, flips) => {
          const damaged = payload.slice(0, cut + 1);
          for (const [at, v] of flips) if (at < damaged.length) damaged[at] = v;
          try {
            const s = readIpcStream(damaged);
            // Whatever it returns must stay inside the payload it was given.
            for (const b of s.batches) for (const c of b.columns) for (const buf of c.buffers) expect(buf.byteLength).toBeLessThanOrEqual(damaged.byteLength);
          } catch (err) {
            expect(err).toBeInstanceOf(Error);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});

describe('decodePayload', () => {
  it('turns damaged payloads into an Error before the store loops over their rows', () => {
    const payload = encodeEventBatch(generateEvents(30, { siteId: SITE }));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(payload.byteLength - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        (flips) => {
          const damaged = payload.slice();
          for (const [at, v] of flips) damaged[at] = v;
          try {
            for (const batch of decodePayload(damaged)) {
              // What survives must be readable row by row within bounds.
              for (const run of dayRuns(batch)) expect(run.end).toBeLessThanOrEqual(batch.length);
              for (let r = 0; r < batch.length; r++) stringAt(batch, SITE_COLUMN, r);
            }
          } catch (err) {
            expect(err).toBeInstanceOf(Error);
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
