// The client's address: the socket's, unless the socket is a trusted proxy, in which case the
// right-most address in X-Forwarded-For (or its siblings) that is not itself a trusted proxy.
// The result lives in memory only: it is handed to the pool and dropped there.
import { BlockList, isIP, isIPv4 } from 'node:net';

const MAPPED_V4 = /^(?:0{1,4}:){5}ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i;

/** uWS gives IPv4 peers on a dual-stack socket as IPv4-mapped IPv6 in full form; make them plain IPv4. */
export function normalizeIp(text: string): string {
  const m = MAPPED_V4.exec(text);
  if (m) {
    const hi = parseInt(m[1]!, 16);
    const lo = parseInt(m[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  if (text.startsWith('::ffff:') && isIPv4(text.slice(7))) return text.slice(7);
  return text;
}

export class ClientIpResolver {
  private readonly trusted = new BlockList();
  private readonly any: boolean;

  constructor(trustedProxies: readonly string[]) {
    this.any = trustedProxies.length > 0;
    for (const entry of trustedProxies) {
      const [addr, bits] = entry.split('/');
      const family = isIPv4(addr!) ? 'ipv4' : 'ipv6';
      if (bits === undefined) this.trusted.addAddress(addr!, family);
      else this.trusted.addSubnet(addr!, Number(bits), family);
    }
  }

  private isTrusted(ip: string): boolean {
    const fam = isIP(ip);
    return fam !== 0 && this.trusted.check(ip, fam === 4 ? 'ipv4' : 'ipv6');
  }

  resolve(socketIp: string, headers: { xff: string; realIp: string }): string {
    const peer = normalizeIp(socketIp);
    if (!this.any || !this.isTrusted(peer)) return peer;
    const hops = headers.xff.split(',').map((s) => normalizeIp(s.trim().replace(/^\[|\]$/g, ''))).filter((s) => isIP(s) !== 0);
    for (let i = hops.length - 1; i >= 0; i--) {
      if (!this.isTrusted(hops[i]!)) return hops[i]!;
    }
    const real = normalizeIp(headers.realIp.trim());
    if (isIP(real) !== 0) return real;
    return hops[0] ?? peer;
  }
}
