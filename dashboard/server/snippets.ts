// The copy-paste lines the dashboard shows: the tracker tag, a CTA's data-cta markup, and the
// opt-out a site owner runs in their own browser to stop counting their visits.
import type { Config } from '../../core/config.js';
import type { ApiRequest } from '../../core/http.js';

export const OPT_OUT_SNIPPET = "localStorage.beaconry_optout = '1'";

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Where visitors' browsers reach this server: the Host the dashboard was opened under. */
export function publicOrigin(req: ApiRequest, config: Pick<Config, 'insecureCookies'>): string {
  const host = /^[A-Za-z0-9.\-:[\]]{1,300}$/.test(req.headers.host ?? '') ? req.headers.host! : 'localhost';
  return `${config.insecureCookies ? 'http' : 'https'}://${host}`;
}

export function trackerSnippet(origin: string, trackerPath: string, publicKey: string): string {
  return `<script defer src="${esc(origin + trackerPath)}" data-site="${esc(publicKey)}"></script>`;
}

export function ctaSnippet(id: string, name: string, targetUrl: string | null): string {
  return `<a href="${esc(targetUrl ?? '#')}" data-cta="${esc(id)}">${esc(name)}</a>`;
}
