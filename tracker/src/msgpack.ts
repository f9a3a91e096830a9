// The tracker's own minimal msgpack encoder (the ingest edge decodes with msgpackr): maps, arrays,
// strings, numbers, booleans and nil. Map entries whose value is undefined are skipped, as JSON does.

const utf8 = new TextEncoder();

export function encode(value: unknown): Uint8Array<ArrayBuffer> {
  const out: number[] = [];
  const f64 = new DataView(new ArrayBuffer(8));

  /**
   * Length header shared by str, array and map: the fix form below `fixMax`, else the 32-bit form.
   * Skipping the 8- and 16-bit forms costs 2–4 bytes on a longer string and saves the tracker code.
   */
  const head = (n: number, fix: number, fixMax: number, code32: number): void => {
    if (n < fixMax) out.push(fix | n);
    else out.push(code32, n >>> 24, (n >> 16) & 255, (n >> 8) & 255, n & 255);
  };

  const write = (v: unknown): void => {
    if (typeof v === 'string') {
      const bytes = utf8.encode(v);
      head(bytes.length, 0xa0, 32, 0xdb);
      for (const b of bytes) out.push(b);
    } else if (typeof v === 'number') {
      // every number is a float64: exact for all safe integers (ms timestamps included), one code
      // path instead of eight integer forms, at a few bytes more per number
      out.push(0xcb);
      f64.setFloat64(0, v);
      for (let k = 0; k < 8; k++) out.push(f64.getUint8(k));
    } else if (typeof v === 'boolean') out.push(v ? 0xc3 : 0xc2);
    else if (Array.isArray(v)) {
      head(v.length, 0x90, 16, 0xdd);
      v.forEach(write);
    } else if (v && typeof v === 'object') {
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
      head(keys.length, 0x80, 16, 0xdf);
      for (const k of keys) {
        write(k);
        write(obj[k]);
      }
    } else out.push(0xc0); // null, undefined, functions, symbols, bigints: nil
  };

  write(value);
  return new Uint8Array(out);
}
