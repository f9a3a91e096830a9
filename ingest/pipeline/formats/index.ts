// The drop-in wire formats by name: what `RequestInput.format` selects in the pool. Each is a thin
// adapter in front of the one pipeline; the native batch needs none.
import type { DropInFormat } from './format.js';
import { plausible } from './plausible.js';
import { umamiBatch, umamiSend } from './umami.js';

export const DROP_IN_FORMATS = {
  plausible,
  umami: umamiSend,
  'umami-batch': umamiBatch,
} as const satisfies Record<string, DropInFormat>;

export type DropInFormatName = keyof typeof DROP_IN_FORMATS;
