// Automated traffic: isbot's pattern list, plus hints of headless and scripted browsers that
// isbot leaves to the caller. Decided once per request (same UA for all its events).
import { isbot } from 'isbot';
import { memo, type Step } from '../context.js';

const HEADLESS = /headless|phantomjs|electron\/|puppeteer|playwright|selenium|webdriver|slimerjs|lighthouse|pagespeed|prerender/i;

export function isAutomated(ua: string): boolean {
  return ua.length < 8 || isbot(ua) || HEADLESS.test(ua);
}

export const dropBots: Step = (_ev, ctx) => (memo(ctx, 'bot', () => isAutomated(ctx.ua)) ? 'bot' : undefined);
