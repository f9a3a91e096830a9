// Login throttling that slows guessing without letting anyone lock a user out: failures are counted
// per client address and per (address, email), never per email alone, so an attacker elsewhere cannot
// make the real user's own sign-in wait. Memory only, bounded, and the addresses never leave it.
import net from 'node:net';
import { BeaconryError } from '../../core/errors.js';

export interface ThrottleOptions {
  /** Failures per (address, email) before each further try must wait, doubling: 1 s, 2 s, 4 s … */
  freePerPair: number;
  /** Failures per address within `windowMs` (all emails together) before it must wait out the window. */
  perAddress: number;
  windowMs: number;
  maxBackoffMs: number;
  /** Entries kept per map; the oldest go first. */
  maxEntries: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freePerPair: 5,
  perAddress: 30,
  windowMs: 15 * 60 * 1000,
  maxBackoffMs: 15 * 60 * 1000,
  maxEntries: 10_000,
};

const PAIR_MEMORY_MS = 3600 * 1000;

interface Count {
  n: number;
  first: number;
  last: number;
}

/** IPv6 clients usually own a whole /64, so that is the unit a limit applies to. */
function addressKey(ip: string): string {
  if (net.isIPv6(ip) && !ip.startsWith('::ffff:')) {
    const full = expandV6(ip);
    return full.slice(0, 4).join(':') + '::/64';
  }
  return ip.replace(/^::ffff:/, '');
}

function expandV6(ip: string): string[] {
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = ip.includes('::') ? Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((p) => p.toLowerCase());
}

export class LoginThrottle {
  private readonly pairs = new Map<string, Count>();
  private readonly addresses = new Map<string, Count>();

  constructor(private readonly opts: ThrottleOptions = DEFAULT_THROTTLE) {}

  /** Throws 429 with Retry-After when this address (or this address for this email) must wait. */
  check(ip: string, email: string, now = Date.now()): void {
    const wait = Math.max(this.pairWait(ip, email, now), this.addressWait(ip, now));
    if (wait > 0) {
      const seconds = Math.ceil(wait / 1000);
      throw new BeaconryError('BEACONRY_ERR_RATE_LIMITED', `Too many failed sign-ins; try again in ${seconds} s.`, { 'retry-after': String(seconds) });
    }
  }

  failed(ip: string, email: string, now = Date.now()): void {
    // A pair forgets its failures after an hour without one; an address after its window.
    this.bump(this.pairs, `${addressKey(ip)}\n${email}`, now, (c) => now - c.last >= PAIR_MEMORY_MS);
    this.bump(this.addresses, addressKey(ip), now, (c) => now - c.first >= this.opts.windowMs);
  }

  succeeded(ip: string, email: string): void {
    this.pairs.delete(`${addressKey(ip)}\n${email}`);
  }

  private pairWait(ip: string, email: string, now: number): number {
    const c = this.pairs.get(`${addressKey(ip)}\n${email}`);
    if (!c || c.n < this.opts.freePerPair || now - c.last >= PAIR_MEMORY_MS) return 0;
    const backoff = Math.min(this.opts.maxBackoffMs, 1000 * 2 ** (c.n - this.opts.freePerPair));
    return Math.max(0, c.last + backoff - now);
  }

  private addressWait(ip: string, now: number): number {
    const c = this.addresses.get(addressKey(ip));
    if (!c || now - c.first >= this.opts.windowMs || c.n < this.opts.perAddress) return 0;
    return c.first + this.opts.windowMs - now;
  }

  private bump(map: Map<string, Count>, key: string, now: number, stale: (c: Count) => boolean): void {
    let c = map.get(key);
    if (c && stale(c)) c = undefined;
    if (c) {
      c.n++;
      c.last = now;
      map.delete(key); // re-insert: Map order is then least-recently-failed first
    } else {
      c = { n: 1, first: now, last: now };
    }
    map.set(key, c);
    while (map.size > this.opts.maxEntries) map.delete(map.keys().next().value as string);
  }
}
