// First step: the event must be an object with a known type; sets `type`, `interactive` and the default `name`.
import { EVENT_TYPES, NON_INTERACTIVE_TYPES, type EventType } from '../../../core/event-contract.js';
import type { Step } from '../context.js';

const KNOWN = new Set<string>(EVENT_TYPES);
const PASSIVE = new Set<string>(NON_INTERACTIVE_TYPES);

export const dropInvalidEvent: Step = (ev) => {
  const t = ev.raw.t;
  if (typeof t !== 'string' || !KNOWN.has(t)) return 'invalid_event';
  ev.rec.type = t as EventType;
  // `ni: true` marks an event that should not count as interaction (Plausible's `interactive: false`).
  ev.rec.interactive = !PASSIVE.has(t) && ev.raw.ni !== true;
  ev.rec.name = t;
  return undefined;
};
