// Property and hostile-input tests for the body decoders: no input throws anything but a
// DecodeError, and hostile headers claiming huge lengths are refused before any allocation.
import fc from 'fast-check';
import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeBody, sniffFormat } from '../../../ingest/pipeline/decode/decode-body.js';
import { DecodeError, DEFAULT_LIMITS } from '../../../ingest/pipeline/decode/limits.js';

const expectDecodeError = (body: Uint8Array): void => {
  try {
    decodeBody(body);
  } catch (err) {
    expect(err).toBeInstanceOf(DecodeError);
    return;
  }
};

const batch = fc.record({
  s: fc.string({ maxLength: 40 }),
  u: fc.webUrl(),
  e: fc.array(
    fc.record({
      t: fc.constantFrom('pageview', 'custom', 'engagement', 'copy'),
      i: fc.string({ minLength: 1, maxLength: 20 }),
      ts: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
      n: fc.option(fc.string({ maxLength: 50 }), { nil: undefined }),
      sd: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
      p: fc.option(fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }).filter((k) => k !== '__proto__'), fc.oneof(fc.string({ maxLength: 30 }), fc.integer(), fc.boolean()), { maxKeys: 10 }), { nil: undefined }),
    }, { requiredKeys: ['t', 'i', 'ts'] }),
    { maxLength: 60 },
  ),
});

describe('decodeBody', () => {
  it('decodes msgpack and JSON batches to the same value', () => {
    fc.assert(
      fc.property(batch, (b) => {
        const clean = JSON.parse(JSON.stringify(b)) as unknown;
        expect(decodeBody(pack(clean))).toEqual(clean);
        expect(decodeBody(Buffer.from(JSON.stringify(clean)))).toEqual(clean);
      }),
      { numRuns: 200 },
    );
  });

  it('never throws anything but DecodeError on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => expectDecodeError(bytes)), { numRuns: 3000 });
  });

  it('never throws anything but DecodeError on mutated valid msgpack', () => {
    fc.assert(
      fc.property(batch, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (b, flips) => {
        const bytes = new Uint8Array(pack(JSON.parse(JSON.stringify(b)) as unknown));
        for (const [pos, val] of flips) bytes[pos % bytes.length] = val;
        expectDecodeError(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but DecodeError on arbitrary JSON-ish text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 500 }), (s) => expectDecodeError(Buffer.from(`{${s}`))), { numRuns: 2000 });
  });

  it('tells JSON from msgpack by the first byte', () => {
    expect(sniffFormat(Buffer.from(' {"e":[]}'))).toBe('json');
    expect(sniffFormat(pack({ e: [] }))).toBe('msgpack');
  });
});

// Each of these is a few bytes claiming gigabytes: a decoder that trusts the header allocates them.
const HOSTILE: [string, number[]][] = [
  ['array32 claiming 2^32-1 elements', [0xdd, 0xff, 0xff, 0xff, 0xff]],
  ['map32 claiming 2^32-1 entries', [0xdf, 0xff, 0xff, 0xff, 0xff]],
  ['str32 claiming 4 GiB', [0xdb, 0xff, 0xff, 0xff, 0xff, 0x61]],
  ['bin32 claiming 4 GiB', [0xc6, 0xff, 0xff, 0xff, 0xff]],
  ['ext32 claiming 4 GiB', [0xc9, 0xff, 0xff, 0xff, 0xff, 0x01]],
  ['array16 of 65535 with 3 bytes', [0xdc, 0xff, 0xff, 0x01, 0x02, 0x03]],
  ['map in map … 100 deep', Array<number>(100).fill(0x81).flatMap((b) => [b, 0xa1, 0x61]).concat([0xc0])],
  ['array of 100 nested arrays', Array<number>(100).fill(0x91).concat([0xc0])],
  ['timestamp extension', [0xd6, 0xff, 0, 0, 0, 0]],
  ['msgpackr record extension', [0xd4, 0x72, 0x00]],
  ['non-string map key', [0x81, 0x01, 0x02]],
  ['__proto__ key', [0x81, 0xa9, ...Buffer.from('__proto__'), 0x80]],
  ['trailing garbage', [0x80, 0x00]],
  ['truncated str8', [0xd9, 0x10, 0x61]],
];

describe('hostile msgpack corpus', () => {
  for (const [name, bytes] of HOSTILE) {
    it(`refuses ${name} without allocating`, () => {
      const before = process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed;
      expect(() => decodeBody(new Uint8Array(bytes))).toThrow(DecodeError);
      const after = process.memoryUsage().arrayBuffers + process.memoryUsage().heapUsed;
      expect(after - before).toBeLessThan(16 * 1024 * 1024);
    });
  }

  it('refuses JSON nested deeper than the limit', () => {
    const deep = '['.repeat(DEFAULT_LIMITS.maxDepth + 1) + ']'.repeat(DEFAULT_LIMITS.maxDepth + 1);
    expect(() => decodeBody(Buffer.from(deep))).toThrow(/nesting/);
    const veryDeep = '['.repeat(100_000);
    expect(() => decodeBody(Buffer.from(veryDeep))).toThrow(DecodeError);
  });

  it('refuses JSON arrays and maps over the caps', () => {
    expect(() => decodeBody(Buffer.from(JSON.stringify({ e: Array(DEFAULT_LIMITS.maxArrayLength + 1).fill(0) })))).toThrow(/array too long/);
    const wide = Object.fromEntries(Array.from({ length: DEFAULT_LIMITS.maxMapEntries + 1 }, (_, i) => [`k${i}`, i]));
    expect(() => decodeBody(Buffer.from(JSON.stringify(wide)))).toThrow(/map too long/);
  });

  it('refuses bodies over the byte cap and invalid UTF-8', () => {
    expect(() => decodeBody(Buffer.alloc(DEFAULT_LIMITS.maxBytes + 1, 0x20))).toThrow(DecodeError);
    expect(() => decodeBody(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))).toThrow(/UTF-8/);
  });

  it('keeps __proto__ in JSON as an own property, never a prototype', () => {
    const v = decodeBody(Buffer.from('{"__proto__":{"polluted":1},"e":[]}')) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
  });
});
