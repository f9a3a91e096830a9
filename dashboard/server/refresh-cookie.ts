// The refresh-token cookie: HttpOnly (no script reads it), Secure, SameSite=Strict, and with the
// __Host- prefix so no subdomain can plant one. Over plain http (config.insecureCookies, local use
// and tests) Secure and therefore the prefix are dropped; browsers refuse either without https.
import type { Config } from '../../core/config.js';

export function refreshCookieName(config: Pick<Config, 'insecureCookies'>): string {
  return config.insecureCookies ? 'beaconry_refresh' : '__Host-beaconry_refresh';
}

export function setRefreshCookie(config: Pick<Config, 'insecureCookies'>, token: string, expiresAt: number, now = Date.now()): string {
  const maxAge = Math.max(0, Math.floor((expiresAt - now) / 1000));
  return `${refreshCookieName(config)}=${token}; Path=/; Max-Age=${maxAge}; HttpOnly; ${config.insecureCookies ? '' : 'Secure; '}SameSite=Strict`;
}

export function clearRefreshCookie(config: Pick<Config, 'insecureCookies'>): string {
  return `${refreshCookieName(config)}=; Path=/; Max-Age=0; HttpOnly; ${config.insecureCookies ? '' : 'Secure; '}SameSite=Strict`;
}

export function readRefreshCookie(config: Pick<Config, 'insecureCookies'>, header: string | undefined): string | undefined {
  if (!header) return undefined;
  const name = refreshCookieName(config);
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const v = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{20,100}$/.test(v) ? v : undefined;
    }
  }
  return undefined;
}
