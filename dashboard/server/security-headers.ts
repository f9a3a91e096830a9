// Headers on every dashboard response (pages, assets, API answers and errors alike): a CSP with no
// inline or eval'd script, no framing, no MIME sniffing, no Referer leaving the page.
import type { Config } from '../../core/config.js';

/**
 * style-src allows no inline <style> or style="" attributes either: Vite emits CSS files, and Svelte
 * and uPlot set styles through the CSSOM, which CSP does not restrict. img-src allows data: for the
 * SVG icons Vite inlines.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(config: Pick<Config, 'insecureCookies'>): Readonly<Record<string, string>> {
  const h: Record<string, string> = {
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()',
  };
  // HSTS only when the dashboard is meant to be served over https (the default).
  if (!config.insecureCookies) h['strict-transport-security'] = 'max-age=31536000';
  return Object.freeze(h);
}
