// Walks a msgpack document without allocating, checking every declared length against the bytes
// that are really there and against the caps. Only a document that passes is handed to msgpackr,
// whose allocations are then bounded by the body size (a 5-byte header may claim 2^32 elements).
import { DecodeError, type DecodeLimits } from './limits.js';

const PROTO = [0x5f, 0x5f, 0x70, 0x72, 0x6f, 0x74, 0x6f, 0x5f, 0x5f]; // "__proto__"

export function scanMsgpack(buf: Uint8Array, limits: DecodeLimits): void {
  if (buf.length > limits.maxBytes) throw new DecodeError(`body over ${limits.maxBytes} bytes`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  let nodes = 0;
  const end = buf.length;

  const need = (n: number): void => {
    if (pos + n > end) throw new DecodeError('truncated msgpack');
  };
  const u8 = (): number => { need(1); return buf[pos++]!; };
  const u16 = (): number => { need(2); const v = view.getUint16(pos); pos += 2; return v; };
  const u32 = (): number => { need(4); const v = view.getUint32(pos); pos += 4; return v; };
  const skip = (n: number): void => { need(n); pos += n; };
  const str = (n: number, isKey: boolean): void => {
    if (n > limits.maxStringBytes) throw new DecodeError(`string over ${limits.maxStringBytes} bytes`);
    need(n);
    if (isKey && n === PROTO.length && PROTO.every((b, i) => buf[pos + i] === b)) throw new DecodeError('forbidden key __proto__');
    pos += n;
  };
  const container = (n: number, isMap: boolean, depth: number): void => {
    if (depth >= limits.maxDepth) throw new DecodeError(`nesting deeper than ${limits.maxDepth}`);
    if (isMap ? n > limits.maxMapEntries : n > limits.maxArrayLength) throw new DecodeError(`${isMap ? 'map' : 'array'} too long`);
    // Every element takes at least one byte: a length the remaining bytes cannot hold is a lie.
    if (n * (isMap ? 2 : 1) > end - pos) throw new DecodeError('declared length exceeds body');
    for (let i = 0; i < n; i++) {
      if (isMap) value(depth + 1, true);
      value(depth + 1, false);
    }
  };

  function value(depth: number, isKey: boolean): void {
    if (++nodes > limits.maxNodes) throw new DecodeError('too many values');
    const b = u8();
    if (isKey && !((b >= 0xa0 && b <= 0xbf) || b === 0xd9 || b === 0xda || b === 0xdb)) throw new DecodeError('map keys must be strings');
    if (b <= 0x7f || b >= 0xe0) return; // fixints
    if (b >= 0x80 && b <= 0x8f) return container(b & 0x0f, true, depth);
    if (b >= 0x90 && b <= 0x9f) return container(b & 0x0f, false, depth);
    if (b >= 0xa0 && b <= 0xbf) return str(b & 0x1f, isKey);
    switch (b) {
      case 0xc0: case 0xc2: case 0xc3: return; // nil, false, true
      case 0xcc: case 0xd0: return skip(1);
      case 0xcd: case 0xd1: return skip(2);
      case 0xca: case 0xce: case 0xd2: return skip(4);
      case 0xcb: case 0xcf: case 0xd3: return skip(8);
      case 0xd9: return str(u8(), isKey);
      case 0xda: return str(u16(), isKey);
      case 0xdb: return str(u32(), isKey);
      case 0xdc: return container(u16(), false, depth);
      case 0xdd: return container(u32(), false, depth);
      case 0xde: return container(u16(), true, depth);
      case 0xdf: return container(u32(), true, depth);
      // bin and ext types have no place in a beacon: refusing them keeps msgpackr's record and
      // timestamp extensions (and their allocations) out of reach.
      default: throw new DecodeError(`unsupported msgpack type 0x${b.toString(16)}`);
    }
  }

  value(0, false);
  if (pos !== end) throw new DecodeError('trailing bytes after msgpack value');
}
