// Product analytics for a site's own signed-in users (secret keys only, checked earlier):
// `uid` on any event, and `identify` with a validated email and traits.
import type { Step } from '../context.js';
import { cutBytes } from '../text.js';
import { normalizeProps } from './put-props.js';

// WHATWG's "valid e-mail address" (what <input type=email> accepts), plus a dot in the domain.
const EMAIL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)+$/;

export function isValidEmail(v: unknown): v is string {
  return typeof v === 'string' && v.length <= 254 && EMAIL.test(v) && v.split('@')[0]!.length <= 64;
}

export const putIdentity: Step = (ev) => {
  const { raw, rec } = ev;
  if (raw.uid !== undefined) {
    if ((typeof raw.uid !== 'string' && typeof raw.uid !== 'number') || String(raw.uid) === '') return 'invalid_field';
    rec.user_id = cutBytes(String(raw.uid), 200);
  }
  if (rec.type !== 'identify') return undefined;
  if (!isValidEmail(raw.em)) return 'invalid_email';
  rec.email = raw.em.toLowerCase();
  const traits = normalizeProps(raw.tr);
  if (traits === 'invalid') return 'invalid_props';
  if (traits) rec.traits = JSON.stringify(traits);
  return undefined;
};
