// Per-type fields that come straight from the wire, checked against the contract's limits:
// custom event names, CTA ids, scroll depth, engaged time, link targets, form ids, copied text.
import { COLUMNS, COPY_MAX_CHARS, type Column } from '../../../core/event-contract.js';
import type { Step } from '../context.js';
import { cutBytes, cutChars } from '../text.js';

const col = (name: string): Column => COLUMNS.find((c) => c.name === name)!;
const NAME = col('name');
const CTA = col('cta_id');
const SCROLL = col('scroll_depth');
const ENGAGED = col('engaged_ms');
const LINK = col('link_url');
const FORM = col('form_id');
const COPY = col('copy_text');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function wholeNumberIn(v: unknown, max: number): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) return undefined;
  return Math.min(Math.round(v), max);
}

export const putFields: Step = (ev) => {
  const { raw, rec } = ev;
  const t = rec.type;
  if (t === 'custom') {
    if (typeof raw.n !== 'string' || raw.n.trim() === '') return 'invalid_field';
    rec.name = cutBytes(raw.n.trim(), NAME.limit!);
  }
  if (t === 'cta_impression' || t === 'cta_hover' || t === 'cta_click') {
    if (typeof raw.c !== 'string' || !UUID.test(raw.c)) return 'invalid_field';
    rec.cta_id = raw.c.toLowerCase();
  }
  if (t === 'engagement') {
    const sd = wholeNumberIn(raw.sd, SCROLL.limit!);
    const et = wholeNumberIn(raw.et, ENGAGED.limit!);
    if ((raw.sd !== undefined && sd === undefined) || (raw.et !== undefined && et === undefined)) return 'invalid_field';
    if (sd !== undefined) rec.scroll_depth = sd;
    if (et !== undefined) rec.engaged_ms = et;
  }
  if (t === 'outbound' || t === 'download') {
    if (typeof raw.h !== 'string' || raw.h.length === 0) return 'invalid_field';
    if (/^\s*(data|javascript|vbscript):/i.test(raw.h)) return 'invalid_url';
    rec.link_url = cutBytes(raw.h, LINK.limit!);
  }
  if (t === 'form_submit') {
    if (raw.f !== undefined && typeof raw.f !== 'string') return 'invalid_field';
    rec.form_id = cutBytes(typeof raw.f === 'string' && raw.f !== '' ? raw.f : '(unnamed)', FORM.limit!);
  }
  if (t === 'copy') {
    if (raw.x !== undefined && typeof raw.x !== 'string') return 'invalid_field';
    // The promise: at most the first 200 characters of a copy are ever stored, whatever was sent.
    rec.copy_text = cutBytes(cutChars(typeof raw.x === 'string' ? raw.x : '', COPY_MAX_CHARS), COPY.limit!);
  }
  return undefined;
};
