// Cross-site request refusal for every state-changing dashboard route. Two independent checks:
// 1. a custom header (X-Beaconry-CSRF: 1): a cross-origin page can only send it after a CORS
//    preflight, which we never grant, and an HTML form cannot send it at all;
// 2. what the browser says about the request's origin (Sec-Fetch-Site, else Origin), which a page
//    cannot forge. Clients that send neither (curl, scripts) are not browsers and carry no ambient
//    cookies of a victim, so the header alone suffices for them.
import type { ApiRequest } from '../../core/http.js';
import { BeaconryError } from '../../core/errors.js';

export const CSRF_HEADER = 'x-beaconry-csrf';

export function checkCsrf(req: ApiRequest): void {
  if (req.headers[CSRF_HEADER] !== '1') throw refuse('missing the X-Beaconry-CSRF: 1 header');
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') throw refuse(`Sec-Fetch-Site is ${site}`);
  const origin = req.headers.origin;
  if (origin !== undefined && !sameHost(origin, req.headers.host)) throw refuse('Origin is another site');
}

/** The Origin's host:port against the Host header; the scheme is left out because a TLS proxy may sit in front. */
function sameHost(origin: string, host: string | undefined): boolean {
  if (origin === 'null' || host === undefined) return false;
  try {
    return new URL(origin).host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}

function refuse(why: string): BeaconryError {
  return new BeaconryError('BEACONRY_ERR_CSRF', `Cross-site request refused (${why}).`);
}
