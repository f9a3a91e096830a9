// CTAs (`data-cta="<uuid>"`): an impression when at least half is visible for a second, a hover when
// the pointer rests 500 ms (each once per page view), and every click.
import type { Emit } from './types.js';
import { closest, doc, later, on, safe } from './util.js';

const SELECTOR = '[data-cta]';
const VISIBLE = 0.5;

let seen = new Set<string>();
let timers = new Map<Element, number>();
let io: IntersectionObserver | undefined;

/** Observing twice is a no-op, so scanning again and again is how CTAs rendered later are found. */
const scan = (): void => {
  if (io) doc.querySelectorAll(SELECTOR).forEach((el) => (io as IntersectionObserver).observe(el));
};

/** A new page view: impressions and hovers may count again; CTAs already on screen are re-armed. */
export function resetCtas(): void {
  seen = new Set();
  timers.forEach((t) => clearTimeout(t));
  timers = new Map();
  // disconnect + observe makes the observer report every CTA afresh
  if (io) io.disconnect();
  scan();
}

export function trackCtas(emit: Emit): void {
  let hovered: HTMLElement | null = null;
  let hoverTimer = 0;
  const id = (el: Element): string | null => el.getAttribute('data-cta');
  const once = (t: string, el: Element): void => {
    if (!seen.has(t + id(el))) {
      seen.add(t + id(el));
      emit({ t, c: id(el) });
    }
  };

  // Without IntersectionObserver (old browsers) there are no impressions; hovers and clicks still count.
  if (typeof IntersectionObserver === 'function') {
    io = new IntersectionObserver(
      (entries) =>
        entries.forEach(({ target, intersectionRatio }) => {
          // the one-second clock runs while at least half the CTA is visible
          if (intersectionRatio < VISIBLE) {
            clearTimeout(timers.get(target));
            timers.delete(target);
          } else if (!timers.has(target)) timers.set(target, later(() => once('cta_impression', target), 1000));
        }),
      { threshold: VISIBLE },
    );
    // CTAs rendered after load (SPAs, lazy widgets): a bounded-cost rescan, not a MutationObserver
    setInterval(() => safe(scan), 1000);
  }

  // one handler for both directions: mouseout's relatedTarget is where the pointer went
  const hover = (target: EventTarget | null): void => {
    const el = closest(target, SELECTOR);
    if (el !== hovered) {
      clearTimeout(hoverTimer);
      hovered = el;
      if (el) hoverTimer = later(() => once('cta_hover', el), 500);
    }
  };
  on<MouseEvent>(doc, 'mouseover', (e) => hover(e.target));
  on<MouseEvent>(doc, 'mouseout', (e) => hover(e.relatedTarget));
  on(
    doc,
    'click',
    (e) => {
      const el = closest(e.target, SELECTOR);
      if (el) emit({ t: 'cta_click', c: id(el) });
    },
    true,
  );
}
