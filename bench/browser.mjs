// Browser benchmarks for `make bench`: start-up, rendering, one-row updates,
// memory and polling cost of the portal beside the plain-JavaScript floor
// (bench/floor/), in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser is downloaded).
//
//   node bench/browser.mjs            (bench/run sets the environment below)
//
// RUNS (5)            runs per figure; the report gives medians
// PHASES              render,update,poll,huge (any subset, comma-separated)
// POLL_MEMORY_S       memory after this long polling 100 pending ports (600; 0: skip)
// HUGE_SEED, HUGE_RUNS the 50,000-port tenant (target/bench/huge.toml) and its runs (3)
// SEED                the large-tenant seed (bench/gen-seed.py)
// DIST                dist/ plus the floor under /floor/ (bench/run builds it)
// OUT                 directory for the JSON results and traces
// POLL_WINDOW_S (30)  how long each polling scenario is counted
// UPDATE_DELAY_MS (10000)  the cloud's build delay in the update phase
// TRACE_CPU           1: add V8's CPU samples to the traces (bench/update-task.mjs)
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { openHiddenTab } from './hidden.mjs';
import {
  applyingTask, createPendingPort, LAUNCH, freePortNumber, isTask, diffCounts, median, metrics, setupTenant, sleep, spareServers, startCloud, TOKEN,
} from './lib.mjs';

const RUNS = Number(process.env.RUNS || 5);
const PHASES = (process.env.PHASES || 'render,update,poll').split(',');
const SEED = process.env.SEED || 'target/bench/big.toml';
const DIST = process.env.DIST || 'target/bench/dist';
const OUT = process.env.OUT || 'target/bench/results';
const POLL_WINDOW_S = Number(process.env.POLL_WINDOW_S || 30);
const UPDATE_DELAY_MS = Number(process.env.UPDATE_DELAY_MS || 10000);
const POLL_MEMORY_S = Number(process.env.POLL_MEMORY_S ?? 600);
const seedText = readFileSync(SEED, 'utf8');
const SEEDED_PORTS = (seedText.match(/^\[\[ports\]\]/gm) || []).length;
const NETWORKS = (seedText.match(/^\[\[networks\]\]/gm) || []).length + 1; // + bench-private
mkdirSync(OUT, { recursive: true });

const log = (...a) => console.error('[browser]', ...a);


const URLS = {
  nephele: { networks: '/networks', ports: '/ports' },
  floor: { networks: '/floor/networks.html', ports: '/floor/ports.html' },
};

const TRACE_CATEGORIES = [
  'devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink.user_timing', 'toplevel',
  'v8', 'v8.wasm', 'loading',
  // TRACE_CPU=1: V8's CPU samples in the traces too (bench/update-task.mjs lists
  // those of the update's task, with Rust names when DIST is a build with names).
  ...(process.env.TRACE_CPU ? ['disabled-by-default-v8.cpu_profiler', 'disabled-by-default-v8.cpu_profiler.hires'] : []),
];

// Injected before any of the page's scripts (playwright addInitScript).
function instrument(cfg) {
  if (cfg.session) sessionStorage.setItem('nephele.session', cfg.session);
  const b = (window.__bench = { tableAt: null, frameAt: null, appliedAt: null, startedAt: null, sawPending: false, wasm: null, rows: 0 });
  addEventListener('TrunkApplicationStarted', (e) => {
    b.wasm = e.detail && e.detail.wasm;
    b.startedAt = performance.now();
  });
  // Marks the moment each response body is in JavaScript's hands, just before
  // the app's own continuation runs (for the one-row update trace).
  for (const m of ['json', 'text', 'arrayBuffer']) {
    const orig = Response.prototype[m];
    Response.prototype[m] = function () {
      return orig.call(this).then((v) => {
        performance.mark('bench:body');
        return v;
      });
    };
  }
  let watchRow = null;
  const check = () => {
    const tb = document.querySelector('table.data tbody');
    if (!tb) return;
    // A windowed table (Nephele's long lists) builds only the rows in view and
    // says how many it has in aria-rowcount (one header row); the floor builds all.
    const table = tb.closest('table');
    const windowed = table && table.hasAttribute('aria-rowcount');
    b.rows = windowed ? Number(table.getAttribute('aria-rowcount')) - 1 : tb.rows.length;
    b.built = tb.rows.length;
    const complete = windowed ? tb.querySelector('tr[aria-rowindex="2"]') !== null : true;
    if (b.tableAt === null && b.rows >= cfg.expectRows && complete) {
      b.tableAt = performance.now();
      performance.mark('bench:table');
      requestAnimationFrame(() => setTimeout(() => { b.frameAt = performance.now(); }, 0));
    }
    if (cfg.watchPort && b.tableAt !== null && b.appliedAt === null) {
      if (!watchRow || !watchRow.isConnected) {
        watchRow = null;
        for (const tr of tb.rows) {
          const t = tr.cells[0].textContent;
          if (t.startsWith(cfg.watchPort) && !/[0-9]/.test(t.charAt(cfg.watchPort.length))) { watchRow = tr; break; }
        }
      }
      if (watchRow) {
        const s = watchRow.cells[5].textContent;
        if (s.includes('BUILD')) b.sawPending = true;
        else if (b.sawPending && s.includes('ACTIVE')) {
          b.appliedAt = performance.now();
          performance.mark('bench:applied');
        }
      }
    }
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true, characterData: true });
}

async function collect(page) {
  return page.evaluate(() => {
    const b = window.__bench;
    const api = (n) => /\/(network|compute|account|identity)\//.test(n);
    const res = performance.getEntriesByType('resource');
    const apiRes = res.filter((e) => api(e.name));
    const appRes = res.filter((e) => /\.(wasm|js)$/.test(new URL(e.name).pathname));
    return {
      tableMs: b.tableAt,
      frameMs: b.frameAt,
      startedMs: b.startedAt,
      rows: b.rows,
      appLoadedMs: appRes.length ? Math.max(...appRes.map((e) => e.responseEnd)) : null,
      firstApiMs: apiRes.length ? Math.min(...apiRes.map((e) => e.startTime)) : null,
      lastApiMs: apiRes.length ? Math.max(...apiRes.map((e) => e.responseEnd)) : null,
      apiCalls: apiRes.map((e) => new URL(e.name).pathname),
      transferred: res.reduce((s, e) => s + e.transferSize, 0) + (performance.getEntriesByType('navigation')[0]?.transferSize || 0),
    };
  });
}

async function memory(page, cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const { metrics: m } = await cdp.send('Performance.getMetrics');
  const get = (n) => m.find((x) => x.name === n)?.value ?? null;
  const wasm = await page.evaluate(() => window.__bench.wasm?.memory?.buffer?.byteLength ?? 0);
  return { jsHeapUsed: get('JSHeapUsedSize'), jsHeapTotal: get('JSHeapTotalSize'), wasmMemory: wasm, domNodes: get('Nodes') };
}

async function open(browser, base, impl, which, { session, expectRows, watchPort, viewport } = {}) {
  const context = await browser.newContext({ viewport: viewport || { width: 1280, height: 900 } });
  await context.addInitScript(instrument, { session, expectRows, watchPort: watchPort || null });
  const page = await context.newPage();
  const url = base + URLS[impl][which];
  await page.goto(url, { waitUntil: 'commit' });
  await page.waitForFunction(() => window.__bench && window.__bench.frameAt !== null, null, { timeout: 180000, polling: 250 });
  return { context, page, url };
}

async function signIn(browser, base) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/login`);
  await page.fill('#token', TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/networks/, { timeout: 60000 });
  const session = await page.evaluate(() => sessionStorage.getItem('nephele.session'));
  await context.close();
  if (!session) throw new Error('sign-in left no session in sessionStorage');
  return session;
}

// ---------------------------------------------------------------- trace analysis

const SCRIPT = new Set(['FunctionCall', 'RunMicrotasks', 'EvaluateScript', 'v8.callFunction', 'v8.run', 'V8.Execute',
  'TimerFire', 'EventDispatch', 'FireAnimationFrame', 'FireIdleCallback', 'v8.evaluateModule', 'v8.compile',
  'v8.compileModule', 'CompileScript', 'V8.GC_SCAVENGER', 'MinorGC', 'MajorGC', 'V8.GCScavenger', 'V8.GCFinalizeMC',
  'GCEvent', 'BlinkGC.AtomicPhase', 'v8.wasm.compileLazy', 'wasm.CompileLazy']);
const RENDER = new Set(['UpdateLayoutTree', 'Layout', 'PrePaint', 'Paint', 'Layerize', 'UpdateLayer', 'CompositeLayers',
  'Commit', 'RecalculateStyles', 'HitTest', 'IntersectionObserverController::computeIntersections']);

function merged(intervals) {
  intervals.sort((a, b) => a[0] - b[0]);
  let total = 0, cur = null;
  for (const [s, e] of intervals) {
    if (!cur || s > cur[1]) {
      if (cur) total += cur[1] - cur[0];
      cur = [s, e];
    } else cur[1] = Math.max(cur[1], e);
  }
  if (cur) total += cur[1] - cur[0];
  return total;
}

function analyseUpdate(trace) {
  const ev = trace.traceEvents || trace;
  const found = applyingTask(ev);
  if (found.error) return { error: found.error };
  const { applied, same, task } = found;
  const main = ev.filter((e) => same(e) && e.ph === 'X');
  const end = task.ts + task.dur;
  const body = ev.filter((e) => e.name === 'bench:body' && same(e) && e.ts <= applied.ts).pop();
  const inTask = main.filter((e) => e.ts >= task.ts && e.ts + e.dur <= end);
  const script = merged(inTask.filter((e) => SCRIPT.has(e.name)).map((e) => [e.ts, e.ts + e.dur]));
  const render = merged(main.filter((e) => RENDER.has(e.name) && e.ts >= end && e.ts < end + 100000).map((e) => [e.ts, e.ts + e.dur]));
  // The bench's own MutationObserver (`check` in instrument()) runs in the same
  // task on both sides; it is not the page's work.
  const bench = merged(inTask.filter((e) => e.name === 'FunctionCall' && e.args?.data?.functionName === 'check')
    .map((e) => [e.ts, e.ts + e.dur]));
  return {
    taskMs: task.dur / 1000,
    scriptMs: script / 1000,
    benchScriptMs: bench / 1000,
    pageScriptMs: (script - bench) / 1000,
    renderNextFrameMs: render / 1000,
    bodyToDomMs: body ? (applied.ts - body.ts) / 1000 : null,
    bodyInSameTask: !!body && body.ts >= task.ts,
  };
}

/** Main-thread time by kind from navigation start to the table, for "where the time goes". */
function analyseStartup(trace) {
  const ev = trace.traceEvents || trace;
  const table = ev.find((e) => e.name === 'bench:table');
  if (!table) return { error: 'no bench:table mark' };
  const same = (e) => e.pid === table.pid && e.tid === table.tid;
  const nav = ev.find((e) => same(e) && (e.name === 'navigationStart' || e.name === 'NavigationStart')) ||
    ev.filter((e) => same(e) && isTask(e))[0];
  const t0 = nav.ts, t1 = table.ts;
  const main = ev.filter((e) => same(e) && e.ph === 'X' && e.ts >= t0 && e.ts <= t1);
  const sum = (pred) => merged(main.filter(pred).map((e) => [e.ts, Math.min(e.ts + e.dur, t1)])) / 1000;
  const wasmCompile = merged(ev.filter((e) => e.ph === 'X' && /wasm/i.test(e.name) && /compil/i.test(e.name) && e.ts >= t0 && e.ts <= t1)
    .map((e) => [e.ts, e.ts + e.dur])) / 1000;
  const busy = sum(isTask);
  return {
    totalMs: (t1 - t0) / 1000,
    mainThreadBusyMs: busy,
    scriptMs: sum((e) => SCRIPT.has(e.name)),
    styleLayoutPaintMs: sum((e) => RENDER.has(e.name)),
    parseHtmlMs: sum((e) => e.name === 'ParseHTML'),
    gcMs: sum((e) => /GC/.test(e.name)),
    wasmCompileAnyThreadMs: wasmCompile,
    idleOrWaitingMs: (t1 - t0) / 1000 - busy,
  };
}

// ---------------------------------------------------------------- phases

async function renderPhase(browser, base, session, results) {
  const startup = { nephele: { networks: [], ports: [] }, floor: { networks: [], ports: [] } };
  const warm = { nephele: { networks: [], ports: [] }, floor: { networks: [], ports: [] } };
  const mem = { nephele: [], floor: [] };
  for (const which of ['networks', 'ports']) {
    const expectRows = which === 'networks' ? NETWORKS : SEEDED_PORTS;
    for (let i = 0; i < RUNS; i++) {
      for (const impl of ['nephele', 'floor']) {
        const run = await open(browser, base, impl, which, { session, expectRows });
        const r = await collect(run.page);
        startup[impl][which].push(r);
        if (which === 'ports') {
          await sleep(500);
          const cdp = await run.context.newCDPSession(run.page);
          mem[impl].push(await memory(run.page, cdp));
        }
        // Warm: the same tab opens the page again (HTTP cache and V8 code cache filled).
        await run.page.goto(run.url, { waitUntil: 'commit' });
        await run.page.waitForFunction(() => window.__bench && window.__bench.frameAt !== null, null, { timeout: 180000, polling: 250 });
        warm[impl][which].push(await collect(run.page));
        if (i === 0 && which === 'ports') {
          // The first row's markup, to check that both render the same table.
          results.markup = results.markup || {};
          results.markup[impl] = await run.page.evaluate(() => document.querySelector('table.data tbody tr').outerHTML);
        }
        await run.context.close();
        log(`${which} ${impl} run ${i + 1}: table ${r.tableMs.toFixed(0)} ms (warm ${warm[impl][which].at(-1).tableMs.toFixed(0)} ms)`);
      }
    }
  }
  // One traced run each (not in the medians: tracing slows the page down).
  const profile = {};
  for (const impl of ['nephele', 'floor']) {
    for (const which of ['networks', 'ports']) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const expectRows = which === 'networks' ? NETWORKS : SEEDED_PORTS;
      await context.addInitScript(instrument, { session, expectRows });
      const page = await context.newPage();
      await browser.startTracing(page, { categories: TRACE_CATEGORIES });
      await page.goto(base + URLS[impl][which], { waitUntil: 'commit' });
      await page.waitForFunction(() => window.__bench && window.__bench.frameAt !== null, null, { timeout: 180000, polling: 250 });
      const buf = await browser.stopTracing();
      writeFileSync(`${OUT}/trace-startup-${impl}-${which}.json`, buf);
      profile[`${impl} ${which}`] = analyseStartup(JSON.parse(buf.toString()));
      await context.close();
    }
  }
  // Idle cost with the 5,000-row table shown and nothing pending. Two windows:
  // the first SETTLE_S after the table holds one-time work (the portal fetches and
  // compiles the other pages' modules PREFETCH_AFTER, 3 s, after its shell is up;
  // src/split.rs); the 10 s after it are the steady state the budget is about.
  const idle = {};
  const SETTLE_S = 8;
  for (const impl of ['nephele', 'floor']) {
    const run = await open(browser, base, impl, 'ports', { session, expectRows: SEEDED_PORTS });
    const cdp = await run.context.newCDPSession(run.page);
    await cdp.send('Performance.enable');
    const snap = async () => (await cdp.send('Performance.getMetrics')).metrics;
    const per = (a, b, n, s) => ((b.find((x) => x.name === n).value - a.find((x) => x.name === n).value) * 1000) / s;
    const m0 = await snap();
    await sleep(SETTLE_S * 1000);
    const m1 = await snap();
    await sleep(10000);
    const m2 = await snap();
    idle[impl] = {
      scriptMsPerS: per(m1, m2, 'ScriptDuration', 10),
      taskMsPerS: per(m1, m2, 'TaskDuration', 10),
      settleS: SETTLE_S,
      settleTaskMs: per(m0, m1, 'TaskDuration', 1),
      settleScriptMs: per(m0, m1, 'ScriptDuration', 1),
    };
    await run.context.close();
  }
  Object.assign(results, { startup, warm, memory: mem, profile, idle });
}

async function updatePhase(browser, base, session, priv, results) {
  const spare = spareServers(seedText);
  const update = { nephele: [], floor: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const impl of ['nephele', 'floor']) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const port = await createPendingPort(base, priv, spare.shift());
        const run = await open(browser, base, impl, 'ports', { session, expectRows: SEEDED_PORTS, watchPort: String(port.id) });
        // The new port is the last row: scroll down to it (a windowed table
        // builds it only there; the floor has every row anyway).
        await run.page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
        await run.page.waitForFunction(() => window.__bench.sawPending || window.__bench.appliedAt !== null, null, { timeout: 10000, polling: 100 }).catch(() => {});
        const state = await run.page.evaluate(() => ({ saw: window.__bench.sawPending, applied: window.__bench.appliedAt }));
        if (!state.saw || state.applied !== null) {
          log(`update ${impl}: port ${port.id} was not seen in BUILD before tracing; retrying`);
          await run.context.close();
          continue;
        }
        await browser.startTracing(run.page, { categories: TRACE_CATEGORIES });
        let ok = true;
        try {
          await run.page.waitForFunction(() => window.__bench.appliedAt !== null, null, { timeout: UPDATE_DELAY_MS * 2 + 10000, polling: 500 });
        } catch {
          ok = false;
        }
        await sleep(300);
        const buf = await browser.stopTracing();
        await run.context.close();
        if (!ok) {
          log(`update ${impl}: port ${port.id} never turned ACTIVE in the page; retrying`);
          continue;
        }
        if (i === 0) writeFileSync(`${OUT}/trace-update-${impl}.json`, buf);
        const a = analyseUpdate(JSON.parse(buf.toString()));
        update[impl].push({ port: port.id, ...a });
        log(`update ${impl} run ${i + 1}: script ${a.scriptMs?.toFixed(2)} ms, task ${a.taskMs?.toFixed(2)} ms`);
        break;
      }
    }
  }
  results.update = update;
}

/** Seconds a freshly opened page is left to settle before a polling window. */
const POLL_SETTLE_S = 8;

async function pollPhase(browser, results) {
  const cloud = await startCloud({ seed: SEED, dist: DIST, buildDelayMs: 3_600_000 });
  try {
    const base = cloud.url;
    const priv = await setupTenant(base, { fips: 0 });
    const session = await signIn(browser, base);
    const spare = spareServers(seedText);
    let pending = 0;
    const poll = [];
    for (const target of [0, 1, 10, 100, 'hidden']) {
      const want = target === 'hidden' ? 100 : target;
      while (pending < want) {
        await createPendingPort(base, priv, spare.shift());
        pending++;
      }
      const perMin = 60 / POLL_WINDOW_S;
      const scenario = { pending: want, hidden: target === 'hidden', kamakiRequestsPerMin: want * 60 };
      if (target === 'hidden') {
        const tab = await openHiddenTab({
          chromium: LAUNCH.executablePath, url: `${base}/ports`, session, expectRows: SEEDED_PORTS + pending, port: await freePortNumber(),
        });
        try {
          await sleep(2500);
          const m0 = await metrics(base);
          const s0 = await tab.scriptMs();
          tab.startCounting();
          await sleep(POLL_WINDOW_S * 1000);
          const bytes = tab.stopCounting();
          const m1 = await metrics(base);
          const s1 = await tab.scriptMs();
          const counts = diffCounts(m0, m1);
          const total = Object.values(counts).reduce((a, b) => a + b, 0);
          Object.assign(scenario, {
            visibility: { before: tab.before, state: tab.state, atEnd: await tab.evaluate('document.visibilityState'), method: tab.method },
            requestsPerMin: total * perMin,
            byRoute: Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v * perMin])),
            bytesPerMin: bytes * perMin,
            scriptMsPerMin: (s1 - s0) * perMin,
          });
        } finally {
          await tab.close();
        }
      } else {
        const run = await open(browser, base, 'nephele', 'ports', { session, expectRows: SEEDED_PORTS + pending });
        const cdp = await run.context.newCDPSession(run.page);
        await cdp.send('Performance.enable');
        // The cloud's answers only: the page's own files (the other pages'
        // modules, prefetched PREFETCH_AFTER = 3 s after the shell is up) are a
        // one-time cost, counted apart and waited out first.
        const sizes = [];
        const assets = [];
        let counting = false;
        run.page.on('requestfinished', async (req) => {
          if (!counting) return;
          const s = await req.sizes().catch(() => null);
          const n = s ? s.responseBodySize + s.responseHeadersSize : 0;
          (/\/(network|compute|account|identity)\//.test(new URL(req.url()).pathname) ? sizes : assets).push(n);
        });
        await sleep(POLL_SETTLE_S * 1000);
        const m0 = await metrics(base);
        const p0 = (await cdp.send('Performance.getMetrics')).metrics;
        counting = true;
        await sleep(POLL_WINDOW_S * 1000);
        counting = false;
        const m1 = await metrics(base);
        const p1 = (await cdp.send('Performance.getMetrics')).metrics;
        const d = (n) => (p1.find((x) => x.name === n).value - p0.find((x) => x.name === n).value) * 1000;
        const counts = diffCounts(m0, m1);
        const total = Object.values(counts).reduce((a, b) => a + b, 0);
        Object.assign(scenario, {
          visibility: { state: await run.page.evaluate(() => document.visibilityState), method: 'tab in front' },
          requestsPerMin: total * perMin,
          byRoute: Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v * perMin])),
          bytesPerMin: sizes.reduce((a, b) => a + b, 0) * perMin,
          assetBytesPerMin: assets.reduce((a, b) => a + b, 0) * perMin,
          scriptMsPerMin: d('ScriptDuration') * perMin,
        });
        await run.context.close();
      }
      poll.push(scenario);
      log(`poll ${target}: ${scenario.requestsPerMin.toFixed(1)} req/min`, scenario.byRoute, scenario.visibility);
    }
    // Memory after a full load and after POLL_MEMORY_S of polling 100 pending ports
    // (tab in front): what a long-open tab costs.
    let pollMemory = null;
    if (POLL_MEMORY_S > 0) {
      const run = await open(browser, base, 'nephele', 'ports', { session, expectRows: SEEDED_PORTS + pending });
      const cdp = await run.context.newCDPSession(run.page);
      await sleep(2500);
      const loaded = await memory(run.page, cdp);
      await sleep(POLL_MEMORY_S * 1000);
      const after = await memory(run.page, cdp);
      pollMemory = { pending, seconds: POLL_MEMORY_S, loaded, after };
      log(`poll memory: ${(loaded.wasmMemory / 2 ** 20).toFixed(1)} → ${(after.wasmMemory / 2 ** 20).toFixed(1)} MiB wasm after ${POLL_MEMORY_S} s`);
      await run.context.close();
    }
    results.poll = { windowS: POLL_WINDOW_S, settleS: POLL_SETTLE_S, scenarios: poll, memory: pollMemory };
  } finally {
    await cloud.stop();
  }
}

// ---------------------------------------------------------------- 50,000 ports

const HUGE_SEED = process.env.HUGE_SEED || 'target/bench/huge.toml';
const HUGE_RUNS = Number(process.env.HUGE_RUNS || 3);

/** Press PageDown from the top of /ports to the bottom under a trace; count long tasks. */
async function pageDownTrace(browser, run, impl) {
  const { page } = run;
  await page.evaluate(() => {
    document.activeElement?.blur();
    window.scrollTo(0, 0);
    window.__longTasks = [];
    new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__longTasks.push(e.duration))).observe({ type: 'longtask' });
  });
  await sleep(500);
  await browser.startTracing(page, { categories: ['devtools.timeline', 'toplevel'] });
  let presses = 0;
  const started = Date.now();
  for (;;) {
    for (let i = 0; i < 25; i++) await page.keyboard.press('PageDown');
    presses += 25;
    const done = await page.evaluate(() => window.scrollY + innerHeight >= document.documentElement.scrollHeight - 2);
    if (done || presses > 20000) break;
  }
  await sleep(300);
  const buf = await browser.stopTracing();
  writeFileSync(`${OUT}/trace-pagedown-${impl}.json`, buf);
  const events = JSON.parse(buf.toString()).traceEvents || [];
  const main = events.filter((e) => e.name === 'CrRendererMain' && e.ph === 'M');
  const mainTid = main.length ? main[0].tid : null;
  const tasks = events.filter((e) => isTask(e) && (mainTid === null || e.tid === mainTid)).map((e) => e.dur / 1000);
  const long = tasks.filter((d) => d > 50);
  const observed = await page.evaluate(() => window.__longTasks);
  const bottomRow = await page.evaluate(() => {
    const rows = document.querySelectorAll('table.data tbody tr:not(.spacer)');
    return rows.length ? rows[rows.length - 1].cells[0].textContent : null;
  });
  return {
    presses,
    seconds: (Date.now() - started) / 1000,
    tasksOver50ms: long.length,
    // reduce, not Math.max(...): the floor's trace has more tasks than arguments fit on the stack.
    longestTaskMs: tasks.length ? tasks.reduce((a, b) => Math.max(a, b)) : null,
    longTaskObserver: { count: observed.length, longestMs: observed.length ? observed.reduce((a, b) => Math.max(a, b)) : null },
    lastRowShown: bottomRow,
  };
}

async function hugePhase(browser, results) {
  const huge = readFileSync(HUGE_SEED, 'utf8');
  const ports = (huge.match(/^\[\[ports\]\]/gm) || []).length;
  const cloud = await startCloud({ seed: HUGE_SEED, dist: DIST, buildDelayMs: 1500 });
  try {
    const base = cloud.url;
    const session = await signIn(browser, base);
    const out = { ports, runs: HUGE_RUNS, startup: { nephele: [], floor: [] }, memory: { nephele: [], floor: [] } };
    for (let i = 0; i < HUGE_RUNS; i++) {
      for (const impl of ['nephele', 'floor']) {
        const run = await open(browser, base, impl, 'ports', { session, expectRows: ports });
        out.startup[impl].push(await collect(run.page));
        await sleep(500);
        const cdp = await run.context.newCDPSession(run.page);
        out.memory[impl].push(await memory(run.page, cdp));
        if (i === 0 && impl === 'nephele') {
          // What the user sees: the top, the middle, and the top at 390 px.
          const { page } = run;
          await page.screenshot({ path: `${OUT}/ports-50k-top-desktop.png` });
          await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight / 2));
          await sleep(500);
          await page.screenshot({ path: `${OUT}/ports-50k-middle-desktop.png` });
          await page.setViewportSize({ width: 390, height: 844 });
          await page.evaluate(() => window.scrollTo(0, 0));
          await sleep(500);
          await page.screenshot({ path: `${OUT}/ports-50k-top-mobile.png` });
          await page.setViewportSize({ width: 1280, height: 900 });
          out.domNodesMiddle = await page.evaluate(() => document.getElementsByTagName('*').length);
        }
        if (i === 0) {
          out.pageDown = out.pageDown || {};
          out.pageDown[impl] = await pageDownTrace(browser, run, impl);
          log(`huge ${impl}: PageDown ×${out.pageDown[impl].presses}, ${out.pageDown[impl].tasksOver50ms} tasks over 50 ms`);
        }
        await run.context.close();
        log(`huge ${impl} run ${i + 1}: table ${out.startup[impl].at(-1).frameMs.toFixed(0)} ms`);
      }
    }
    results.huge = out;
  } finally {
    await cloud.stop();
  }
}

async function main() {
  const results = {
    date: new Date().toISOString(),
    runs: RUNS,
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, memGiB: +(totalmem() / 2 ** 30).toFixed(1) },
    seed: { networks: NETWORKS, ports: SEEDED_PORTS },
  };
  const browser = await chromium.launch(LAUNCH);
  results.chromium = browser.version();
  try {
    if (PHASES.includes('render') || PHASES.includes('update')) {
      const cloud = await startCloud({ seed: SEED, dist: DIST, buildDelayMs: UPDATE_DELAY_MS });
      try {
        const base = cloud.url;
        const priv = await setupTenant(base, { fips: 1000 });
        results.seed.floatingIps = 1000;
        const session = await signIn(browser, base);
        if (PHASES.includes('render')) await renderPhase(browser, base, session, results);
        if (PHASES.includes('update')) await updatePhase(browser, base, session, priv, results);
      } finally {
        await cloud.stop();
      }
    }
    if (PHASES.includes('poll')) await pollPhase(browser, results);
    if (PHASES.includes('huge')) await hugePhase(browser, results);
  } finally {
    await browser.close();
  }
  writeFileSync(`${OUT}/browser.json`, JSON.stringify(results, null, 1));
  log(`wrote ${OUT}/browser.json`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
