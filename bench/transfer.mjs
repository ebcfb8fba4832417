// What the browser actually downloads of the portal's code (`make bench`, phase
// transfer): the split release build served by nephele-cloud as it serves it
// (precompressed brotli), measured in headless Chromium from the Resource Timing
// entries of every file the page fetched (the document included).
//
//   node bench/transfer.mjs     (bench/run sets DIST, SEED, OUT)
//
// Figures, each in a fresh browser context (empty cache):
//   cold        /networks and /ports opened cold by a signed-in user, prefetch off;
//   first open  from /networks, each other page opened by its navigation link:
//               the code it fetched and how long the click waited for it, in
//               round trips (fetches that started after another had ended);
//   prefetch    /networks with prefetch on: what is fetched while idle, and what
//               opening every page fetches afterwards (should be nothing).
// API answers (JSON) are counted apart: they are the tenant's data, not code.
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { LAUNCH, sleep, startCloud, TOKEN } from './lib.mjs';

const DIST = process.env.DIST || 'target/bench/dist';
const SEED = process.env.SEED || 'target/bench/big.toml';
const OUT = process.env.OUT || 'target/bench/results';
const log = (...a) => console.error('[transfer]', ...a);
mkdirSync(OUT, { recursive: true });

// The navigation links, by their visible names (routers exist on OpenStack only).
const PAGES = [['Servers', '/servers'], ['Ports', '/ports'], ['Floating IPs', '/ips'], ['Quotas', '/quotas']];
const isApi = (path) => /^\/(network|compute|account|identity)\//.test(path);

// Every entry so far: the document and each resource, with its sizes and times.
async function entries(page) {
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    return [nav, ...performance.getEntriesByType('resource')].filter(Boolean).map((e) => ({
      path: new URL(e.name).pathname,
      transfer: e.transferSize,
      body: e.encodedBodySize,
      start: e.startTime,
      end: e.responseEnd,
    }));
  });
}

function sum(list) {
  const code = list.filter((e) => !isApi(e.path));
  const api = list.filter((e) => isApi(e.path));
  const total = (xs, k) => xs.reduce((s, e) => s + e[k], 0);
  return {
    files: code.length,
    transfer: total(code, 'transfer'),
    body: total(code, 'body'),
    api_transfer: total(api, 'transfer'),
    paths: code.map((e) => e.path),
  };
}

// Round trips of a set of fetches: how many times one had to end before the next began.
function roundTrips(list) {
  const code = list.filter((e) => !isApi(e.path)).sort((a, b) => a.start - b.start);
  let trips = 0;
  let end = -Infinity;
  for (const e of code) {
    if (e.start >= end) trips += 1;
    end = Math.max(end, e.end);
  }
  return trips;
}

async function context(browser, session, prefetch) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await ctx.addInitScript((s) => sessionStorage.setItem('nephele.session', s), session);
  // The served config.json with `prefetch` set for this run; nothing else changes.
  await ctx.route('**/config.json', async (route) => {
    const res = await route.fetch();
    const config = await res.json();
    await route.fulfill({ response: res, json: { ...config, prefetch } });
  });
  return ctx;
}

async function signIn(browser, base) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${base}/login`);
  await page.fill('#token', TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/networks/, { timeout: 60000 });
  const session = await page.evaluate(() => sessionStorage.getItem('nephele.session'));
  await ctx.close();
  return session;
}

async function cold(browser, base, session, path, heading) {
  const ctx = await context(browser, session, false);
  const page = await ctx.newPage();
  await page.goto(base + path);
  await page.getByRole('heading', { name: heading, exact: true }).waitFor({ timeout: 60000 });
  await page.locator('table.data tbody tr').first().waitFor({ timeout: 120000 });
  await sleep(1000);
  const list = await entries(page);
  await ctx.close();
  return { ...sum(list), round_trips: roundTrips(list) };
}

async function firstOpens(browser, base, session, prefetch) {
  const ctx = await context(browser, session, prefetch);
  const page = await ctx.newPage();
  await page.goto(base + '/networks');
  await page.getByRole('heading', { name: 'Networks', exact: true }).waitFor({ timeout: 60000 });
  await page.locator('table.data tbody tr').first().waitFor({ timeout: 120000 });
  // Long enough for the prefetch (it starts 3 s after the shell, when idle) to finish.
  await sleep(prefetch ? 9000 : 1000);
  const before = await entries(page);
  const landing = sum(before);
  const opens = [];
  let seen = before.length;
  for (const [name, path] of PAGES) {
    const clicked = await page.evaluate(() => performance.now());
    await page.getByRole('navigation').getByRole('link', { name, exact: true }).click();
    await page.waitForURL((u) => u.pathname === path);
    await page.getByRole('heading', { name, exact: true }).waitFor({ timeout: 60000 });
    const shown = await page.evaluate(() => performance.now());
    await sleep(500);
    const all = await entries(page);
    // Chromium fetches the favicon again on each history navigation (cached, but
    // counted in Resource Timing): it is not the page's code.
    const fresh = all.slice(seen).filter((e) => !isApi(e.path) && !e.path.includes('favicon') && e.start >= clicked - 1);
    seen = all.length;
    opens.push({ page: path, ...sum(fresh), round_trips: roundTrips(fresh), shown_ms: Math.round(shown - clicked) });
  }
  await ctx.close();
  return { landing, opens };
}

const browser = await chromium.launch(LAUNCH);
const cloud = await startCloud({ seed: SEED, dist: DIST, log: false });
try {
  const session = await signIn(browser, cloud.url);
  const result = {
    cold_networks: await cold(browser, cloud.url, session, '/networks', 'Networks'),
    cold_ports: await cold(browser, cloud.url, session, '/ports', 'Ports'),
    prefetch_off: await firstOpens(browser, cloud.url, session, false),
    prefetch_on: await firstOpens(browser, cloud.url, session, true),
  };
  const coldPaths = new Set(result.cold_networks.paths);
  const extra = result.prefetch_on.landing.paths.filter((p) => !coldPaths.has(p));
  result.prefetched = { files: extra.length, paths: extra };
  writeFileSync(`${OUT}/transfer.json`, JSON.stringify(result, null, 1));
  const kb = (n) => `${(n / 1000).toFixed(1)} kB`;
  log(`/networks cold: ${kb(result.cold_networks.transfer)} in ${result.cold_networks.files} files; /ports cold: ${kb(result.cold_ports.transfer)}`);
  for (const o of result.prefetch_off.opens) log(`first open ${o.page}: ${kb(o.transfer)}, ${o.round_trips} round trip(s), shown in ${o.shown_ms} ms`);
  log(`prefetched while idle: ${extra.length} files; opens after it fetched ${result.prefetch_on.opens.reduce((s, o) => s + o.files, 0)} files`);
} finally {
  await cloud.stop();
  await browser.close();
}
