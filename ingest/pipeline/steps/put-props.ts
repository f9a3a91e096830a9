// Custom properties: at most 30 scalar values, keys ≤ 300 bytes, values ≤ 2000 bytes, stored as a
// JSON object of strings (what breakdowns group by). Also revenue ({a: amount, c: ISO currency}).
import { PROP_KEY_MAX_BYTES, PROP_MAX_KEYS, PROP_VALUE_MAX_BYTES } from '../../../core/event-contract.js';
import type { Step } from '../context.js';
import { utf8Length } from '../text.js';

export function normalizeProps(p: unknown): Record<string, string> | undefined | 'invalid' {
  if (p === undefined || p === null) return undefined;
  if (typeof p !== 'object' || Array.isArray(p)) return 'invalid';
  const keys = Object.keys(p);
  if (keys.length > PROP_MAX_KEYS) return 'invalid';
  const out: Record<string, string> = {};
  for (const k of keys) {
    const v = (p as Record<string, unknown>)[k];
    if (k.length === 0 || utf8Length(k) > PROP_KEY_MAX_BYTES) return 'invalid';
    if (v === null || v === undefined) continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return 'invalid';
    const s = String(v);
    if (utf8Length(s) > PROP_VALUE_MAX_BYTES) return 'invalid';
    out[k] = s;
  }
  return keys.length === 0 ? undefined : out;
}

const CURRENCY = /^[A-Z]{3}$/;

export const putProps: Step = (ev) => {
  const props = normalizeProps(ev.raw.p);
  if (props === 'invalid') return 'invalid_props';
  if (props) ev.rec.props = JSON.stringify(props);
  const rev = ev.raw.$;
  if (rev !== undefined) {
    if (typeof rev !== 'object' || rev === null) return 'invalid_field';
    const { a, c } = rev as Record<string, unknown>;
    const amount = typeof a === 'string' ? Number(a) : a;
    const currency = typeof c === 'string' ? c.toUpperCase() : undefined;
    if (typeof amount !== 'number' || !Number.isFinite(amount) || Math.abs(amount) > 1e12 || !currency || !CURRENCY.test(currency)) return 'invalid_field';
    ev.rec.revenue_amount = amount;
    ev.rec.revenue_currency = currency;
  }
  return undefined;
};
