// Per page view: the deepest scroll (% of the document seen) and the time the tab was visible and
// focused. Read once when the page view ends (page hidden, left, or the next SPA page view).
import type { TrackerEvent } from './types.js';
import { doc, on, win } from './util.js';

let depth = 0;
let engaged = 0;
let since = 0; // start of the current engaged stretch, 0 while not engaged

function tick(): void {
  const now = Date.now();
  if (since) engaged += now - since;
  since = doc.visibilityState === 'visible' && doc.hasFocus() ? now : 0;
}

function measure(): void {
  const height = doc.documentElement.scrollHeight;
  if (height) depth = Math.max(depth, Math.min(100, Math.round(((scrollY + innerHeight) / height) * 100)));
}

export function watchEngagement(): void {
  on(win, 'scroll', measure);
  on(doc, 'visibilitychange', tick);
  on(win, 'focus', tick);
  on(win, 'blur', tick);
}

/** A new page view starts from zero. No measure here: on an SPA navigation the old DOM is still in place. */
export function resetEngagement(): void {
  depth = engaged = since = 0;
  tick();
}

/** The engagement event of the page view at `url`. */
export function engagementEvent(url: string): TrackerEvent {
  tick();
  measure();
  return { t: 'engagement', u: url, sd: depth, et: engaged };
}
