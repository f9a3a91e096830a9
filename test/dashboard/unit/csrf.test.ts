// The CSRF check on its own: what a browser on another site can and cannot make a request look like.
import { describe, expect, it } from 'vitest';
import type { ApiRequest } from '../../../core/http.js';
import { checkCsrf } from '../../../dashboard/server/csrf.js';

const req = (headers: Record<string, string>): ApiRequest => ({
  method: 'POST', path: '/api/dashboard/sites', query: new URLSearchParams(), headers: { host: 'stats.example.com', ...headers }, body: Buffer.alloc(0), ip: '192.0.2.1', params: {},
});
const refused = (headers: Record<string, string>): boolean => {
  try {
    checkCsrf(req(headers));
    return false;
  } catch {
    return true;
  }
};

describe('checkCsrf', () => {
  it('needs the custom header', () => {
    expect(refused({})).toBe(true);
    expect(refused({ 'x-beaconry-csrf': '0' })).toBe(true);
    expect(refused({ 'x-beaconry-csrf': '1' })).toBe(false);
  });
  it('believes Sec-Fetch-Site and Origin when a browser sends them', () => {
    const h = { 'x-beaconry-csrf': '1' };
    expect(refused({ ...h, 'sec-fetch-site': 'same-origin', origin: 'https://stats.example.com' })).toBe(false);
    expect(refused({ ...h, 'sec-fetch-site': 'same-site' })).toBe(true);
    expect(refused({ ...h, 'sec-fetch-site': 'cross-site' })).toBe(true);
    expect(refused({ ...h, 'sec-fetch-site': 'none' })).toBe(true);
    expect(refused({ ...h, origin: 'https://evil.example' })).toBe(true);
    expect(refused({ ...h, origin: 'https://stats.example.com.evil.example' })).toBe(true);
    expect(refused({ ...h, origin: 'null' })).toBe(true);
    // A TLS proxy in front: the Origin says https, the Host is the same name.
    expect(refused({ ...h, origin: 'https://stats.example.com' })).toBe(false);
  });
});
