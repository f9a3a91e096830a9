// The page's API: `beaconry('Signup', { props: { plan: 'pro' }, revenue: { amount: 49, currency: 'EUR' } })`,
// callable before the script loads through the snippet's queue (`beaconry.q`).
import type { Emit } from './types.js';
import { safe } from './util.js';

export interface EventOptions {
  props?: Record<string, unknown>;
  revenue?: { amount: unknown; currency: unknown };
}

/** `q`: calls queued by the snippet before load; `l`: the tracker is loaded (guards a double snippet). */
export type Api = ((name: string, opts?: EventOptions) => void) & { q?: ArrayLike<unknown>[]; l?: 1 };

/** The API that records events; without `emit` it is the no-op API for visitors who opted out. */
export function createApi(emit?: Emit): Api {
  const api: Api = (name, opts) =>
    // a bad argument must not throw into the caller
    safe(() => {
      const { props, revenue } = opts ?? {};
      if (emit) emit({ t: 'custom', n: String(name), p: props, $: revenue && { a: revenue.amount, c: revenue.currency } });
    });
  api.l = 1;
  return api;
}
