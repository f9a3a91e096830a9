// A linear pass over a JSON body that checks nesting depth and string lengths before JSON.parse,
// whose own allocations are then bounded by the body size. Array and map lengths are checked after.
import { DecodeError, type DecodeLimits } from './limits.js';

export function scanJson(text: string, limits: DecodeLimits): void {
  let depth = 0;
  let inString = false;
  let strStart = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped char
      else if (ch === 0x22) {
        inString = false;
        // UTF-16 units ≤ UTF-8 bytes × 1; a cap on units is a cap within 3× on bytes, checked again later.
        if (i - strStart > limits.maxStringBytes) throw new DecodeError(`string over ${limits.maxStringBytes} bytes`);
      }
      continue;
    }
    if (ch === 0x22) { inString = true; strStart = i; }
    else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > limits.maxDepth) throw new DecodeError(`nesting deeper than ${limits.maxDepth}`);
    } else if (ch === 0x7d || ch === 0x5d) depth--;
  }
}

/** Checks array and map sizes and node count of an already parsed JSON value (bounded by depth). */
export function checkShape(value: unknown, limits: DecodeLimits): void {
  let nodes = 0;
  const walk = (v: unknown): void => {
    if (++nodes > limits.maxNodes) throw new DecodeError('too many values');
    if (Array.isArray(v)) {
      if (v.length > limits.maxArrayLength) throw new DecodeError('array too long');
      for (const x of v) walk(x);
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      if (keys.length > limits.maxMapEntries) throw new DecodeError('map too long');
      for (const k of keys) walk((v as Record<string, unknown>)[k]);
    }
  };
  walk(value);
}
