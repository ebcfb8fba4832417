// Where the portal's time goes, by Rust function: V8 CPU profiles (DevTools
// protocol, 100 µs sampling) of the portal built with function names, i.e. the
// wasm-bindgen output before wasm-opt (same code, same JS glue; wasm-opt only
// strips the names and shrinks it), for:
//   startupNetworks  navigation → /networks table (100 rows)
//   startup  navigation → /ports table with 5,000 rows
//   update   one port's status change (BUILD → ACTIVE) on that table
//   idle     5 s with the table shown and nothing pending
// Output: OUT/profile.json with the top functions by self time in each.
//
//   SEED=... PROFILE_DIST=... OUT=... node bench/profile.mjs
import { chromium } from 'playwright-core';
import { readFileSync, writeFileSync } from 'node:fs';
import { createPendingPort, setupTenant, sleep, spareServers, startCloud, TOKEN } from './lib.mjs';

const SEED = process.env.SEED || 'target/bench/big.toml';
const DIST = process.env.PROFILE_DIST || 'target/bench/dist-names';
const OUT = process.env.OUT || 'target/bench/results';
const seedText = readFileSync(SEED, 'utf8');
const PORTS = (seedText.match(/^\[\[ports\]\]/gm) || []).length;
const log = (...a) => console.error('[profile]', ...a);

/** Rust legacy symbol mangling → readable path (enough for a profile table). */
function demangle(name) {
  const m = /^_?_ZN(.*)E$/.exec(name);
  if (!m) return name;
  let s = m[1];
  const parts = [];
  while (s.length) {
    const n = /^(\d+)/.exec(s);
    if (!n) break;
    const len = Number(n[1]);
    parts.push(s.slice(n[1].length, n[1].length + len));
    s = s.slice(n[1].length + len);
  }
  if (parts.length && /^h[0-9a-f]{16}$/.test(parts.at(-1))) parts.pop();
  const map = { SP: '@', BP: '*', RF: '&', LT: '<', GT: '>', LP: '(', RP: ')', C: ',' };
  return parts.map((p) => p
    .replace(/\$([A-Z]{1,2})\$/g, (x, k) => map[k] ?? x)
    .replace(/\$u([0-9a-f]+)\$/g, (x, h) => String.fromCharCode(parseInt(h, 16)))
    .replace(/\.\./g, '::')
    .replace(/^_\$/, '$')).join('::');
}

function top(profile, n = 20) {
  const byId = new Map(profile.nodes.map((x) => [x.id, x]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] || 0;
    const node = byId.get(id);
    const f = node.callFrame;
    let name = f.functionName || '(anonymous)';
    if (f.url && f.url.endsWith('.wasm') || /^\$?_ZN/.test(name) || name.startsWith('$')) name = demangle(name.replace(/^\$/, ''));
    else if (f.url) name = `${name} (${f.url.split('/').pop()}:${f.lineNumber + 1})`;
    name = name.replace(/::h[0-9a-f]{16}$/, '').replace(/\[[0-9a-f]{16}\]/g, '');
    if (name === '(idle)' || name === '(program)') {
      self.set(name, (self.get(name) || 0) + dt);
      return;
    }
    total += dt;
    self.set(name, (self.get(name) || 0) + dt);
  });
  const rows = [...self].filter(([k]) => k !== '(idle)' && k !== '(program)').sort((a, b) => b[1] - a[1]).slice(0, n);
  return { busyMs: total / 1000, top: rows.map(([name, us]) => ({ name, ms: us / 1000, share: total ? us / total : 0 })) };
}

/** In the page: the table shows `n` rows. A windowed table (over 150 rows) builds
 * only those in view and gives the total in aria-rowcount (plus the header row). */
function shown(n) {
  const table = document.querySelector('table.data');
  const body = table?.tBodies[0];
  if (!body) return false;
  if (!table.hasAttribute('aria-rowcount')) return body.rows.length >= n;
  return Number(table.getAttribute('aria-rowcount')) - 1 >= n && body.querySelector('tr[aria-rowindex="2"]') !== null;
}

async function profiled(page, cdp, fn) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  await fn();
  const { profile } = await cdp.send('Profiler.stop');
  return top(profile);
}

async function main() {
  const cloud = await startCloud({ seed: SEED, dist: DIST, buildDelayMs: 8000 });
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--disable-background-networking'] });
  const out = {};
  try {
    const base = cloud.url;
    const priv = await setupTenant(base, { fips: 0 });
    const ctx0 = await browser.newContext();
    const p0 = await ctx0.newPage();
    await p0.goto(`${base}/login`);
    await p0.fill('#token', TOKEN);
    await p0.getByRole('button', { name: 'Sign in' }).click();
    await p0.waitForURL(/\/networks/);
    const session = await p0.evaluate(() => sessionStorage.getItem('nephele.session'));
    await ctx0.close();

    // Start-up of /networks: 100 rows, but every row lists the servers on it.
    {
      const nets = (await (await fetch(`${base}/network/v2.0/networks`, { headers: { 'X-Auth-Token': TOKEN } })).json()).networks.length;
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      await context.addInitScript((s) => sessionStorage.setItem('nephele.session', s), session);
      const page = await context.newPage();
      const cdp = await context.newCDPSession(page);
      await page.goto('about:blank');
      out.startupNetworks = await profiled(page, cdp, async () => {
        await page.goto(`${base}/networks`, { waitUntil: 'commit' });
        await page.waitForFunction(shown, nets, { timeout: 120000, polling: 100 });
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
      });
      log(`startup /networks: ${out.startupNetworks.busyMs.toFixed(0)} ms busy`);
      await context.close();
    }

    // Start-up and update in one page: the pending port is made just before.
    const port = await createPendingPort(base, priv, spareServers(seedText)[0]);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addInitScript((s) => sessionStorage.setItem('nephele.session', s), session);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await page.goto('about:blank');
    const rowsAt = (n) => page.waitForFunction(shown, n, { timeout: 120000, polling: 100 });
    out.startup = await profiled(page, cdp, async () => {
      await page.goto(`${base}/ports`, { waitUntil: 'commit' });
      await rowsAt(PORTS + 1);
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
    });
    log(`startup: ${out.startup.busyMs.toFixed(0)} ms busy`);
    // The profile covers the poll that brings the change, the update, and the
    // clock ticks that fall in the window (the idle profile shows those alone).
    const serverActive = async () => {
      for (;;) {
        const r = await fetch(`${base}/network/v2.0/ports/${port.id}`, { headers: { 'X-Auth-Token': TOKEN } });
        if ((await r.json()).port.status === 'ACTIVE') return;
        await sleep(200);
      }
    };
    // The new port is the last row: a windowed table builds it only when scrolled to.
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await sleep(500);
    const t0 = Date.now();
    out.update = await profiled(page, cdp, async () => {
      await serverActive();
      await sleep(1500);
    });
    out.update.windowS = (Date.now() - t0) / 1000;
    log(`update window: ${out.update.busyMs.toFixed(0)} ms busy`);
    await sleep(2000);
    out.idle = await profiled(page, cdp, () => sleep(5000));
    out.idle.seconds = 5;
    log(`idle: ${out.idle.busyMs.toFixed(0)} ms busy in 5 s`);
    await context.close();
  } finally {
    await browser.close();
    await cloud.stop();
  }
  writeFileSync(`${OUT}/profile.json`, JSON.stringify(out, null, 1));
  log(`wrote ${OUT}/profile.json`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
