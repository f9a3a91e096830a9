// The visitor's choices and the tracker's own exclusions, checked once before anything is sent.
// Only reads: the tracker never writes a cookie or localStorage, not even to remember an opt-out.
import { doc, loc, nav } from './util.js';

/** Do Not Track, Global Privacy Control, or the opt-out cookie / localStorage flag. */
export function optedOut(): boolean {
  const n = nav as Navigator & { globalPrivacyControl?: boolean };
  if (n.doNotTrack === '1' || n.globalPrivacyControl === true) return true;
  try {
    // sandboxed iframes throw on both reads; nobody can have opted out in an opaque origin
    return /(^|;\s*)beaconry_optout=1(;|$)/.test(doc.cookie) || localStorage.getItem('beaconry_optout') === '1';
  } catch {
    return false;
  }
}

/**
 * Local development and automated browsers are not visitors, unless the snippet says otherwise
 * with `data-allow-local` / `data-allow-automation`.
 */
export function ignored(script: HTMLScriptElement): boolean {
  const allows = (what: string): boolean => script.hasAttribute('data-allow-' + what);
  const local = loc.protocol === 'file:' || /^(localhost|127(\.\d+){3}|\[::1\])$/.test(loc.hostname);
  return (local && !allows('local')) || (nav.webdriver && !allows('automation'));
}
