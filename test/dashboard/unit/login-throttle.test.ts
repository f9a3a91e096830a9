// The login throttle on its own, with explicit clocks: back-off per (address, email), a cap per
// address, no lockout for other addresses, and forgetting.
import { describe, expect, it } from 'vitest';
import { LoginThrottle } from '../../../dashboard/server/login-throttle.js';

const opts = { freePerPair: 3, perAddress: 10, windowMs: 60_000, maxBackoffMs: 30_000, maxEntries: 100 };

function waitOf(t: LoginThrottle, ip: string, email: string, now: number): number | undefined {
  try {
    t.check(ip, email, now);
    return undefined;
  } catch (err) {
    return Number((err as { headers: Record<string, string> }).headers['retry-after']);
  }
}

describe('LoginThrottle', () => {
  it('lets a few failures through, then doubles the wait per further failure', () => {
    const t = new LoginThrottle(opts);
    for (let i = 0; i < 3; i++) {
      expect(waitOf(t, '10.0.0.1', 'a@x.example', 0)).toBeUndefined();
      t.failed('10.0.0.1', 'a@x.example', 0);
    }
    expect(waitOf(t, '10.0.0.1', 'a@x.example', 0)).toBe(1);
    expect(waitOf(t, '10.0.0.1', 'a@x.example', 1000)).toBeUndefined();
    t.failed('10.0.0.1', 'a@x.example', 1000);
    expect(waitOf(t, '10.0.0.1', 'a@x.example', 1000)).toBe(2);
    t.failed('10.0.0.1', 'a@x.example', 3000);
    expect(waitOf(t, '10.0.0.1', 'a@x.example', 3000)).toBe(4);
  });

  it('never locks the account for another address', () => {
    const t = new LoginThrottle(opts);
    for (let i = 0; i < 8; i++) t.failed('10.0.0.1', 'a@x.example', 0);
    expect(waitOf(t, '10.0.0.1', 'a@x.example', 0)).toBeGreaterThan(0);
    expect(waitOf(t, '10.0.0.2', 'a@x.example', 0)).toBeUndefined();
  });

  it('caps one address across emails, for the rest of its window', () => {
    const t = new LoginThrottle(opts);
    for (let i = 0; i < 10; i++) t.failed('10.0.0.9', `user${i}@x.example`, 1000);
    expect(waitOf(t, '10.0.0.9', 'fresh@x.example', 1000)).toBe(60);
    expect(waitOf(t, '10.0.0.9', 'fresh@x.example', 61_000)).toBeUndefined();
  });

  it('treats an IPv6 /64 as one address', () => {
    const t = new LoginThrottle(opts);
    for (let i = 0; i < 3; i++) t.failed(`2001:db8:1:2::${i + 1}`, 'a@x.example', 0);
    expect(waitOf(t, '2001:db8:1:2:ffff::9', 'a@x.example', 0)).toBe(1);
    expect(waitOf(t, '2001:db8:1:3::1', 'a@x.example', 0)).toBeUndefined();
  });

  it('forgets a pair after a success, and stays within its entry bound', () => {
    const t = new LoginThrottle(opts);
    for (let i = 0; i < 5; i++) t.failed('10.0.0.1', 'a@x.example', 0);
    t.succeeded('10.0.0.1', 'a@x.example');
    expect(waitOf(t, '10.0.0.1', 'a@x.example', 0)).toBeUndefined();
    const small = new LoginThrottle({ ...opts, maxEntries: 5, perAddress: 1000 });
    for (let i = 0; i < 50; i++) small.failed(`10.1.0.${i}`, 'a@x.example', 0);
    for (let i = 0; i < 45; i++) for (let k = 0; k < 5; k++) small.failed(`10.1.0.${i}`, 'a@x.example', 0);
    // Only the most recent entries are remembered: memory stays bounded.
    expect((small as unknown as { pairs: Map<string, unknown> }).pairs.size).toBeLessThanOrEqual(5);
  });
});
