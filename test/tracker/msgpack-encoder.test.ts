// The tracker's own msgpack encoder against msgpackr, the decoder the ingest edge uses.
import fc from 'fast-check';
import { unpack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { encode } from '../../tracker/src/msgpack.js';

// __proto__ is excluded: as a literal key it would change the test object's prototype, not add a key
const key = fc.string({ unit: 'binary', maxLength: 20 }).filter((k) => k !== '__proto__');

const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double(), // includes -0, NaN, ±Infinity and the float64 extremes
    fc.integer({ min: -(2 ** 31), max: 2 ** 32 }),
    fc.maxSafeInteger(),
    fc.string({ unit: 'binary', maxLength: 80 }), // any code point, no lone surrogates
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 20 }),
    fc.dictionary(key, tie('value'), { maxKeys: 20 }),
  ),
}));

describe('tracker msgpack encoder', () => {
  it('round-trips any JSON-like value through msgpackr', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(unpack(Buffer.from(encode(v)))).toEqual(v);
      }),
      { numRuns: 2000 },
    );
  });

  it('uses the long (32-bit) forms beyond the fix sizes', () => {
    const long = 'é'.repeat(40_000); // 80 000 UTF-8 bytes
    const many = Array.from({ length: 70_000 }, (_, k) => k % 7);
    const wide = Object.fromEntries(Array.from({ length: 300 }, (_, k) => [`k${k}`, k]));
    for (const v of [long, many, wide, 'x'.repeat(31), 'x'.repeat(32)]) {
      expect(unpack(Buffer.from(encode(v)))).toEqual(v);
    }
  });

  it('encodes a tracker batch the edge can read', () => {
    const batch = {
      s: 'a1b2',
      u: 'https://example.com/?utm_source=x',
      r: '',
      e: [{ t: 'custom', i: '123', ts: 1_750_000_000_123, n: 'Signup', p: { plan: 'pro' }, $: { a: 49.5, c: 'EUR' } }],
    };
    expect(unpack(Buffer.from(encode(batch)))).toEqual(batch);
  });

  it('skips undefined map values and writes nil for what msgpack cannot hold', () => {
    expect(unpack(Buffer.from(encode({ a: 1, b: undefined, c: [undefined, () => 1] })))).toEqual({ a: 1, c: [null, null] });
  });

  it('replaces a lone surrogate with U+FFFD instead of writing invalid UTF-8', () => {
    expect(unpack(Buffer.from(encode('a\ud800b')))).toBe('a\ufffdb');
  });
});
