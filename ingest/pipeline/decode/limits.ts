// Hard caps the decoders enforce before and during decoding, so that a hostile body of a few KiB
// cannot make a worker allocate more than a small multiple of its own size.
import { MAX_EVENTS_PER_BATCH } from '../../../core/event-contract.js';

export interface DecodeLimits {
  readonly maxBytes: number;
  readonly maxDepth: number;
  readonly maxStringBytes: number;
  readonly maxArrayLength: number;
  readonly maxMapEntries: number;
  /** Values of any kind in the whole document. */
  readonly maxNodes: number;
}

export const DEFAULT_LIMITS: DecodeLimits = Object.freeze({
  maxBytes: 1024 * 1024,
  maxDepth: 8,
  maxStringBytes: 16 * 1024,
  maxArrayLength: MAX_EVENTS_PER_BATCH,
  maxMapEntries: 64,
  maxNodes: 200_000,
});

export class DecodeError extends Error {
  override name = 'DecodeError';
}
