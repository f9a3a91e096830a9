// Tracker entry: reads the snippet, stops for opted-out or ignored visitors, then wires page views,
// CTAs and interactions to the batching transport and replays calls queued before the script loaded.
import { createApi, type Api } from './api.js';
import { readConfig } from './config.js';
import { resetCtas, trackCtas } from './ctas.js';
import { trackCopies, trackForms, trackLinks } from './interactions.js';
import { endPageview, pageUrl, trackPageviews } from './pageviews.js';
import { ignored, optedOut } from './privacy.js';
import { sessionId } from './session.js';
import { connect, flush, push } from './transport.js';
import type { TrackerEvent } from './types.js';
import { doc, on, rid, safe, win } from './util.js';

const w = win as Window & { beaconry?: Api };

function main(): void {
  const queued = w.beaconry;
  if (queued?.l) return; // the snippet is on the page twice: count once
  const replay = (api: Api): void => {
    w.beaconry = api;
    for (const args of queued?.q ?? []) api.apply(0, args as Parameters<Api>);
  };

  const script = (doc.currentScript ?? doc.querySelector('script[data-site]')) as HTMLScriptElement | null;
  const cfg = script && !ignored(script) && !optedOut() && readConfig(script);
  if (!cfg) {
    // the page's own beaconry() calls keep working (they do nothing); nothing is sent
    replay(createApi());
    return;
  }

  connect(cfg.api, sessionId(), doc.referrer);
  const emit = (ev: TrackerEvent): void =>
    push(Object.assign({ i: rid(), ts: Date.now(), u: pageUrl, hm: cfg.hash || undefined }, ev));
  const sendNow = (): void => flush(true);
  trackCtas(emit);
  trackLinks(cfg.downloads, emit, sendNow);
  trackForms(emit, sendNow);
  trackCopies(emit);

  // the last moment a page reliably runs code: close the page view, then beacon everything out
  const leave = (): void => {
    endPageview();
    sendNow();
  };
  on(doc, 'visibilitychange', () => doc.visibilityState === 'hidden' && leave());
  on(win, 'pagehide', leave);

  const start = (): void => {
    trackPageviews(cfg.hash, emit, resetCtas);
    const api = createApi(emit);
    replay(api);
    if (cfg.notFound) api('404');
  };
  // a prerendered page may never be seen: count it when (and only if) it is shown
  if ((doc as Document & { prerendering?: boolean }).prerendering) on(doc, 'prerenderingchange', start);
  else start();
}

safe(main);
