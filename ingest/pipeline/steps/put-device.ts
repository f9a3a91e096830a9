// Browser, OS and device class from the User-Agent (ua-parser-js 1.x, MIT), once per request,
// through a bounded cache because a site's visitors share few distinct user agents.
import { UAParser } from 'ua-parser-js';
import { memo, type Step } from '../context.js';

export interface Device { device: string; browser: string; browserVersion: string; os: string; osVersion: string }

const cache = new Map<string, Device>();
const MAX_CACHE = 5000;

export function parseDevice(ua: string): Device {
  const hit = cache.get(ua);
  if (hit) return hit;
  const r = new UAParser(ua).getResult();
  const type = r.device.type;
  const device = type === 'mobile' ? 'Mobile' : type === 'tablet' ? 'Tablet' : type === undefined ? 'Desktop' : 'Other';
  const d: Device = {
    device,
    browser: r.browser.name ?? 'Unknown',
    browserVersion: r.browser.major ?? '',
    os: r.os.name ?? 'Unknown',
    osVersion: r.os.version?.split('.').slice(0, 2).join('.') ?? '',
  };
  if (cache.size >= MAX_CACHE) cache.delete(cache.keys().next().value!);
  cache.set(ua, d);
  return d;
}

export const putDevice: Step = (ev, ctx) => {
  const d = memo(ctx, 'device', () => parseDevice(ctx.ua));
  ev.rec.device = d.device;
  ev.rec.browser = d.browser;
  ev.rec.browser_version = d.browserVersion;
  ev.rec.os = d.os;
  ev.rec.os_version = d.osVersion;
  return undefined;
};
