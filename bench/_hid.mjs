import { chromium } from 'playwright-core';
const headless = process.argv[2] !== 'headful';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', headless, env: { ...process.env, DISPLAY: ':99' },
  ignoreDefaultArgs: ['--disable-backgrounding-occluded-windows', '--disable-renderer-backgrounding', '--disable-background-timer-throttling'],
  args: ['--no-sandbox','--disable-gpu'] });
const ctx = await b.newContext();
await ctx.addInitScript(() => { window.ev=[]; document.addEventListener("visibilitychange",()=>ev.push(document.visibilityState)); });
const p = await ctx.newPage();
await p.goto('data:text/html,<p>x</p>');
const cdp = await ctx.newCDPSession(p);
await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: false }).catch(e => console.log(e.message));
console.log('initial', await p.evaluate(() => [document.visibilityState, window.ev]));
const o = await ctx.newPage(); await o.goto('about:blank'); await o.bringToFront(); await new Promise(r => setTimeout(r, 500));
console.log('other page front', await p.evaluate(() => [document.visibilityState, window.ev]));
const { targetInfo } = await cdp.send('Target.getTargetInfo');
const bs = await b.newBrowserCDPSession();
const r = await bs.send('Target.createTarget', { url: 'about:blank', browserContextId: targetInfo.browserContextId, newWindow: false });
await new Promise(r => setTimeout(r, 500));
console.log('tab in same window', await p.evaluate(() => [document.visibilityState, window.ev]));
const { windowId } = await cdp.send('Browser.getWindowForTarget');
await cdp.send('Browser.setWindowBounds', { windowId, bounds: { windowState: 'minimized' } });
await new Promise(r => setTimeout(r, 800));
console.log('minimized', await p.evaluate(() => [document.visibilityState, window.ev]));
await b.close();
