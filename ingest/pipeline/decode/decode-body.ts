// Step 1 of the pool: raw body bytes → a plain JS value, msgpack or JSON, under hard caps.
// msgpack is told apart from JSON by its first byte (a JSON document starts with `{`, `[` or space).
import { Unpackr } from 'msgpackr';
import { scanMsgpack } from './msgpack-scan.js';
import { checkShape, scanJson } from './json-scan.js';
import { DecodeError, DEFAULT_LIMITS, type DecodeLimits } from './limits.js';

// Plain maps and numbers only: no records, no structured clone, no int64 BigInts to surprise callers.
const unpackr = new Unpackr({ mapsAsObjects: true, useRecords: false, int64AsType: 'number', moreTypes: false });
const utf8 = new TextDecoder('utf-8', { fatal: true });

export type BodyFormat = 'msgpack' | 'json';

export function sniffFormat(body: Uint8Array): BodyFormat {
  let i = 0;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09)) i++;
  const b = body[i];
  return b === 0x7b || b === 0x5b ? 'json' : 'msgpack';
}

export function decodeBody(body: Uint8Array, limits: DecodeLimits = DEFAULT_LIMITS): unknown {
  if (body.length === 0) throw new DecodeError('empty body');
  if (sniffFormat(body) === 'json') {
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      throw new DecodeError('body is not valid UTF-8');
    }
    if (body.length > limits.maxBytes) throw new DecodeError(`body over ${limits.maxBytes} bytes`);
    scanJson(text, limits);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new DecodeError(`invalid JSON: ${(err as Error).message}`);
    }
    checkShape(value, limits);
    return value;
  }
  scanMsgpack(body, limits);
  try {
    return unpackr.unpack(body);
  } catch (err) {
    throw new DecodeError(`invalid msgpack: ${(err as Error).message}`);
  }
}
