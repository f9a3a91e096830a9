// Page views, including single-page apps (pushState, replaceState, popstate; hashchange in hash
// mode), each closed by exactly one engagement event.
import { engagementEvent, resetEngagement, watchEngagement } from './engagement.js';
import type { Emit } from './types.js';
import { loc, on, safe, win } from './util.js';

/** URL of the current page view: the default `u` of every other event. */
export let pageUrl = '';
let ended = false;
let emit: Emit;

/** Ends the current page view: sends its engagement event unless that already happened. */
export function endPageview(): void {
  if (pageUrl && !ended) {
    ended = true;
    emit(engagementEvent(pageUrl));
  }
}

export function trackPageviews(hashMode: boolean, send: Emit, onPageview: () => void): void {
  emit = send;
  const page = (): void => {
    // the fragment is part of the page only in hash mode (routers like /#/pricing)
    const next = hashMode ? loc.href : loc.href.replace(/#.*/, '');
    // a replaceState that keeps the URL (scroll restoration, state objects) is not a new page view
    if (next !== pageUrl) {
      endPageview();
      pageUrl = next;
      ended = false;
      resetEngagement();
      emit({ t: 'pageview', u: next });
      onPageview();
    }
  };
  const hook = (name: 'pushState' | 'replaceState'): void => {
    const original = history[name];
    history[name] = function (this: History, ...args: Parameters<History['pushState']>) {
      const result = original.apply(this, args);
      safe(page); // the app's navigation goes on even if tracking fails
      return result;
    };
  };

  watchEngagement();
  hook('pushState');
  hook('replaceState');
  on(win, 'popstate', page);
  if (hashMode) on(win, 'hashchange', page);
  // back/forward cache: the restored page is a new view (its engagement went out on pagehide)
  on<PageTransitionEvent>(win, 'pageshow', (e) => {
    if (e.persisted) {
      pageUrl = '';
      page();
    }
  });
  page();
}
