// The pool's Arrow IPC writer copies one metadata template per message shape and writes each
// message's numbers into it. apache-arrow's own reader must find exactly the numbers a message was
// written with (lengths, null counts, buffer regions, body length, dictionary id), whatever the shape
// and however large the numbers, and the body bytes where those regions say.
import fc from 'fast-check';
import { MessageReader, type Message } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { writeStream, type ColumnBuffers } from '../../../ingest/pipeline/arrow-ipc-writer.js';

const pad8 = (n: number): number => (n + 7) & ~7;

const columnArb: fc.Arbitrary<ColumnBuffers> = fc
  .record({
    length: fc.nat({ max: 40 }),
    nulls: fc.boolean(),
    buffers: fc.array(fc.uint8Array({ maxLength: 37 }), { minLength: 1, maxLength: 2 }),
  })
  .map(({ length, nulls, buffers }) => ({
    length,
    nullCount: nulls && length > 0 ? 1 : 0,
    validity: nulls && length > 0 ? new Uint8Array(Math.ceil(length / 8)).fill(0xfe) : null,
    buffers,
  }));

/** What a reader must see for one message: its numbers in stream order, and its body's regions. */
function expected(length: number, columns: readonly ColumnBuffers[]): { length: number; nodes: [number, number][]; regions: [number, number][]; body: Uint8Array } {
  const regions: [number, number][] = [];
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const place = (b: Uint8Array): void => {
    regions.push([offset, b.byteLength]);
    const padded = new Uint8Array(pad8(b.byteLength));
    padded.set(b);
    chunks.push(padded);
    offset += padded.byteLength;
  };
  for (const c of columns) {
    place(c.validity && c.nullCount > 0 ? c.validity : new Uint8Array(0));
    for (const b of c.buffers) place(b);
  }
  const body = new Uint8Array(offset);
  let at = 0;
  for (const ch of chunks) {
    body.set(ch, at);
    at += ch.byteLength;
  }
  return { length, nodes: columns.map((c) => [c.length, c.nullCount]), regions, body };
}

interface ReadMessage {
  dictionaryId?: number;
  length: number;
  nodes: [number, number][];
  regions: [number, number][];
  body: Uint8Array;
}

function readAll(stream: Uint8Array): ReadMessage[] {
  const reader = new MessageReader(stream);
  const out: ReadMessage[] = [];
  for (let m: Message | null = reader.readMessage(); m; m = reader.readMessage()) {
    const body = reader.readMessageBody(m.bodyLength);
    if (m.isSchema()) continue;
    const header = m.header() as unknown as { id?: number | bigint; data?: unknown };
    const batch = (m.isDictionaryBatch() ? header.data : header) as { length: number; nodes: { length: number; nullCount: number }[]; buffers: { offset: number; length: number }[] };
    out.push({
      ...(m.isDictionaryBatch() ? { dictionaryId: Number(header.id) } : {}),
      length: Number(batch.length),
      nodes: batch.nodes.map((n) => [Number(n.length), Number(n.nullCount)]),
      regions: batch.buffers.map((b) => [Number(b.offset), Number(b.length)]),
      body: new Uint8Array(body),
    });
  }
  return out;
}

// No schema message: MessageReader walks the messages one by one and needs none to read their headers.
const SCHEMA = new Uint8Array(0);

describe('writeStream', () => {
  it('writes every message so that apache-arrow reads back its numbers and body, for any shape', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: 60 }), columnArb), { maxLength: 3 }),
        fc.nat({ max: 40 }),
        fc.array(columnArb, { minLength: 1, maxLength: 6 }),
        (dicts, length, columns) => {
          const stream = writeStream(SCHEMA, dicts, length, columns);
          const got = readAll(stream);
          const want = [
            ...dicts.map(([id, values]) => ({ dictionaryId: id, ...expected(values.length, [values]) })),
            expected(length, columns),
          ];
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps apart shapes whose buffer counts read alike (1 then 11 buffers, 11 then 1)', () => {
    const col = (buffers: number): ColumnBuffers => ({ length: 3, nullCount: 0, validity: null, buffers: Array.from({ length: buffers }, (_, i) => new Uint8Array(i + 1)) });
    for (const shape of [[col(1), col(11)], [col(11), col(1)]]) {
      expect(readAll(writeStream(SCHEMA, [], 3, shape))).toEqual([expected(3, shape)]);
    }
  });

  it('writes numbers of 2^32 and more into both words of their slots', () => {
    const big = 2 ** 40 + 12345;
    const col: ColumnBuffers = { length: big, nullCount: 2 ** 33 + 1, validity: null, buffers: [new Uint8Array(8)] };
    const [dict, batch] = readAll(writeStream(SCHEMA, [[2 ** 35 + 7, col]], 2 ** 32 + 3, [col]));
    expect(dict!.dictionaryId).toBe(2 ** 35 + 7);
    expect(dict!.nodes).toEqual([[big, 2 ** 33 + 1]]);
    expect(batch!.length).toBe(2 ** 32 + 3);
    expect(batch!.nodes).toEqual([[big, 2 ** 33 + 1]]);
  });

  it('writes zeros where the flatbuffer default would have left the field out', () => {
    const col: ColumnBuffers = { length: 0, nullCount: 0, validity: null, buffers: [new Uint8Array(0)] };
    const [dict, batch] = readAll(writeStream(SCHEMA, [[0, col]], 0, [col]));
    expect(dict).toMatchObject({ dictionaryId: 0, length: 0, nodes: [[0, 0]], regions: [[0, 0], [0, 0]] });
    expect(batch).toMatchObject({ length: 0, nodes: [[0, 0]], regions: [[0, 0], [0, 0]] });
  });
});
