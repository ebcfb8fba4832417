// Driver of bench/decode/run (which sets the environment): for each list size and
// way, RUNS times, a fresh headless Chromium loads dist-<way>/ from nephele-cloud,
// the page fetches /network/v2.0/ports and decodes it in wasm; prints Markdown
// tables on stdout, writes JSON to OUT.
//
// NODE_MODULES (playwright-core), CLOUD (lib.mjs), WORK (dists and seeds), WAYS, SIZES, RUNS, OUT
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { LAUNCH as BENCH_LAUNCH, median, startCloud, TOKEN } from '../lib.mjs';

const { chromium } = createRequire(join(process.env.NODE_MODULES, 'x.js'))('playwright-core');
const WORK = process.env.WORK;
const WAYS = process.env.WAYS.split(' ');
const SIZES = process.env.SIZES.split(' ').map(Number);
const RUNS = Number(process.env.RUNS);
const PATH = '/network/v2.0/ports';
const log = (...a) => console.error('[decode]', ...a);

// The benches' Chromium, with exact performance.memory figures.
const LAUNCH = { ...BENCH_LAUNCH, args: [...BENCH_LAUNCH.args, '--enable-precise-memory-info'] };

const brotli = (file) => execFileSync('brotli', ['-q', '11', '-c', file], { maxBuffer: 1 << 28 }).length;
const kb = (pid, key) => Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'))[1]) * 1024;

// (a) sizes of what each way ships
const sizes = {};
for (const way of WAYS) {
  const dist = join(WORK, `dist-${way}`);
  const wasm = join(dist, 'decode_bg.wasm');
  const glue = join(dist, 'decode.js');
  sizes[way] = { wasm: statSync(wasm).size, wasmBr: brotli(wasm), glue: statSync(glue).size, glueBr: brotli(glue) };
}

// lib.rs's kept_bytes() for one port of the JSON (null and absent count 0).
const len = (v) => (v === null || v === undefined ? 0 : Buffer.byteLength(String(v)));
const keptBytes = (p) => len(p.id) + len(p.name) + len(p.network_id) + len(p.device_id) + len(p.mac_address) + len(p.status)
  + (p.fixed_ips || []).reduce((s, ip) => s + len(ip.ip_address) + len(ip.subnet ?? ip.subnet_id), 0);

/** One decode in a fresh browser; everything it measured. */
async function once(url, way) {
  const browser = await chromium.launch(LAUNCH);
  try {
    const page = await (await browser.newContext()).newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(url + '/');
    await page.waitForFunction(() => document.title === 'ready', null, { timeout: 30000 }).catch(() => {
      throw new Error(`${way}: the page did not start: ${errors.join('; ') || 'no error reported'}`);
    });
    const cdp = await page.context().newCDPSession(page);
    // The JS heap as performance.memory counts it (Chromium 156): V8's heap plus
    // ArrayBuffers' backing stores; wasm memory is not in it.
    const gcHeap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const u = await cdp.send('Runtime.getHeapUsage');
      if (u.backingStorageSize === undefined) throw new Error('this Chromium has no Runtime.getHeapUsage().backingStorageSize');
      return u.usedSize + u.backingStorageSize;
    };
    const h0 = await gcHeap();
    const wasm0 = await page.evaluate(() => window.decodeBench.wasmBytes());
    // Renderers' resident memory now, and their peak reset to it (clear_refs 5):
    // the peak after the decode is then the decode's own.
    const procs = (await (await browser.newBrowserCDPSession()).send('SystemInfo.getProcessInfo')).processInfo;
    const renderers = procs.filter((p) => p.type === 'renderer').map((p) => ({ pid: p.id, rss: kb(p.id, 'VmRSS') }));
    for (const r of renderers) writeFileSync(`/proc/${r.pid}/clear_refs`, '5');
    if (renderers.length === 0) throw new Error('no renderer process found');
    const r = await page.evaluate(([p, t]) => window.decodeBench.run(p, t), [PATH, TOKEN]);
    if (r.heapAtBody === null) throw new Error(`${way}: the body was not read through Response.text/json/arrayBuffer`);
    // Ours is the renderer that grew; the others (browser UI) sat idle.
    const rssPeak = Math.max(...renderers.map((x) => kb(x.pid, 'VmHWM') - x.rss));
    const h1 = await gcHeap();
    const wasm1 = await page.evaluate(() => window.decodeBench.wasmBytes());
    if (errors.length) throw new Error(`${way}: ${errors.join('; ')}`);
    return {
      count: r.count, keptBytes: r.keptBytes, ms: r.ms,
      wasmBefore: wasm0, wasmAfter: wasm1,
      heapBeforeGc: h0, heapAfterGc: h1,
      heapAtBody: r.heapAtBody, heapAfterDecode: r.heapAfter, heapMaxSampled: Math.max(r.heapAtBody, r.heapAfter),
      rssPeakGrowth: rssPeak,
    };
  } finally {
    await browser.close();
  }
}

const results = { runs: RUNS, chromium: null, sizes, lists: [] };
for (const n of SIZES) {
  const seed = join(WORK, `seed-${n}.toml`);
  // What the decode must find: the cloud's own answer, read here once.
  let expect = null;
  for (const way of WAYS) {
    const cloud = await startCloud({ seed, dist: join(WORK, `dist-${way}`) });
    try {
      if (!expect) {
        const res = await fetch(cloud.url + PATH, { headers: { 'X-Auth-Token': TOKEN, 'Accept-Encoding': 'identity' } });
        const body = await res.text();
        const ports = JSON.parse(body).ports;
        expect = { ports: ports.length, keptBytes: ports.reduce((s, p) => s + keptBytes(p), 0), jsonBytes: Buffer.byteLength(body) };
        if (expect.ports !== n) throw new Error(`the cloud lists ${expect.ports} ports, ${n} were seeded`);
        results.lists.push({ seeded: n, jsonBytes: expect.jsonBytes, ways: {} });
      }
      const runs = [];
      for (let i = 0; i < RUNS; i++) {
        const m = await once(cloud.url, way);
        if (m.count !== n || m.keptBytes !== expect.keptBytes) {
          throw new Error(`${way}, ${n} ports: decoded ${m.count} ports (${m.keptBytes} bytes of strings), expected ${n} (${expect.keptBytes})`);
        }
        log(`${way} ${n}: run ${i + 1}: ${m.ms.toFixed(1)} ms, wasm ${m.wasmAfter}, heap ${m.heapAfterGc}, peak rss +${m.rssPeakGrowth}`);
        runs.push(m);
      }
      const med = Object.fromEntries(Object.keys(runs[0]).map((k) => [k, median(runs.map((x) => x[k]))]));
      results.lists.at(-1).ways[way] = { median: med, runs };
    } finally {
      await cloud.stop();
    }
  }
}
results.chromium = execFileSync(LAUNCH.executablePath, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
writeFileSync(process.env.OUT, JSON.stringify(results, null, 2) + '\n');

// ---- Markdown
const MiB = (b) => (b / 1048576).toFixed(1);
const out = [];
out.push('| way | wasm -Oz | wasm br | glue JS | glue br |', '| --- | ---: | ---: | ---: | ---: |');
for (const w of WAYS) {
  const s = sizes[w];
  out.push(`| ${w} | ${s.wasm} | ${s.wasmBr} | ${s.glue} | ${s.glueBr} |`);
}
out.push('', `Medians of ${RUNS} runs, each in a fresh Chromium (${results.chromium}); MiB.`, '');
out.push('| ports (JSON) | way | wasm memory after | JS heap before (GC) | JS heap max sampled | JS heap after GC | renderer peak RSS growth | decode ms |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const l of results.lists) {
  for (const w of WAYS) {
    const m = l.ways[w].median;
    out.push(`| ${l.seeded} (${MiB(l.jsonBytes)}) | ${w} | ${MiB(m.wasmAfter)} | ${MiB(m.heapBeforeGc)} | ${MiB(m.heapMaxSampled)} | ${MiB(m.heapAfterGc)} | ${MiB(m.rssPeakGrowth)} | ${m.ms.toFixed(0)} |`);
  }
}
console.log(out.join('\n'));
