// The site's shield: visits from listed IPs or CIDRs (the owner's office, say) are dropped.
// The comparison happens here, in memory; the IP goes no further than the visitor-id step.
import { BlockList, isIPv4 } from 'node:net';
import { memo, type Step } from '../context.js';

const lists = new WeakMap<readonly string[], BlockList>();

function blockList(entries: readonly string[]): BlockList {
  let bl = lists.get(entries);
  if (!bl) {
    bl = new BlockList();
    for (const e of entries) {
      const [addr, bits] = e.split('/');
      const family = isIPv4(addr!) ? 'ipv4' : 'ipv6';
      if (bits === undefined) bl.addAddress(addr!, family);
      else bl.addSubnet(addr!, Number(bits), family);
    }
    lists.set(entries, bl);
  }
  return bl;
}

export const dropExcludedIp: Step = (_ev, ctx) => {
  const list = ctx.site.excludedIps;
  if (!list || list.length === 0) return undefined;
  const hit = memo(ctx, 'excluded', () => blockList(list).check(ctx.ip, isIPv4(ctx.ip) ? 'ipv4' : 'ipv6'));
  return hit ? 'excluded_ip' : undefined;
};
