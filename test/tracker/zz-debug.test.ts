import { chromium } from 'playwright-core';
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { it } from 'vitest';
import { startServer, addSite } from '../helpers/server.js';
it('debug', async () => {
  const server = await startServer({ env: { BEACONRY_LOG_LEVEL: 'debug' } });
  const site = await addSite(server, 'x.example');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
  const context = await browser.newContext({ userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36' });
  const useRoute = process.env.ROUTE === '1';
  if (useRoute) await context.route(`${server.url}/fixtures/**`, async (route) => {
    const url = new URL(route.request().url());
    const html = await readFile('test/tracker/fixtures/' + url.pathname.split('/').pop(), 'utf8');
    await route.fulfill({ status: 200, contentType: 'text/html', body: html.replaceAll('{{SITE}}', site.publicKey) });
  });
  if (useRoute) await context.route(`${server.url}/b.js`, (route) => route.fulfill({ status: 200, contentType: 'application/javascript', body: readFileSync('/tmp/trk-out/b.js', 'utf8') }));
  const page = await context.newPage();
  page.on('requestfailed', (r) => console.log('failed', r.url(), r.failure()?.errorText));
  page.on('requestfinished', (r) => console.log('finished', r.url()));
  if (useRoute) await page.goto(`${server.url}/fixtures/spa-hash.html`);
  else {
    await page.goto(`${server.url}/nothing`).catch(() => {});
    await page.setContent(`<script>${readFileSync('/tmp/trk-out/b.js','utf8').replace('document.currentScript','null')}</script>`);
  }
  await page.waitForTimeout(300);
  await page.evaluate((u) => navigator.sendBeacon(u, new Blob([new Uint8Array([0x83,0xa1,0x73,0xa1,0x78,0xa1,0x75,0xd9,0x10])], {type:'text/plain'})), `${server.url}/api/v1/batch?k=${site.publicKey}`).catch(()=>{});
  await page.goto('about:blank');
  await page.waitForTimeout(4000);
  console.log(await server.query(`SELECT type, pathname FROM events`));
  console.log(server.lines.slice(-15).join('\n'));
  await browser.close(); await server.stop();
}, 60000);
