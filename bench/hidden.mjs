// A portal tab that is really hidden, for the polling benchmark.
//
// Playwright keeps every page it drives "visible": it turns on DevTools focus
// emulation, which Chromium implements by counting the page as captured, so
// `document.visibilityState` stays "visible" whatever happens (checked with a
// second tab, a minimised window, a background target, headless and under Xvfb).
// So this drives Chromium over the bare DevTools protocol instead: open the
// portal in a tab, then open a second tab in front of it, as a user switching
// tabs does; Chromium then reports the first tab as hidden, which we verify.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './lib.mjs';

export async function openHiddenTab({ chromium, url, session, expectRows, port }) {
  if (typeof WebSocket === 'undefined') throw new Error('needs WebSocket (node >= 22, or node 20 with --experimental-websocket)');
  const profile = mkdtempSync(join(tmpdir(), 'nephele-bench-'));
  const child = spawn(chromium, ['--headless', `--remote-debugging-port=${port}`, `--user-data-dir=${profile}`, '--no-sandbox',
    '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    'about:blank'], { stdio: 'ignore' });
  let version;
  for (let i = 0; i < 100 && !version; i++) {
    try {
      version = await (await fetch(`http://127.0.0.1:${port}/json/version`)).json();
    } catch {
      await sleep(100);
    }
  }
  if (!version) throw new Error('chromium did not open its DevTools port');
  const ws = new WebSocket(version.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
  let next = 0;
  const waiting = new Map();
  const listeners = [];
  ws.onmessage = (m) => {
    const d = JSON.parse(m.data);
    if (d.id && waiting.has(d.id)) {
      const { resolve, reject } = waiting.get(d.id);
      waiting.delete(d.id);
      if (d.error) reject(new Error(`${d.error.message}`));
      else resolve(d.result);
    } else if (d.method) for (const l of listeners) l(d);
  };
  const send = (method, params = {}, sessionId) => new Promise((resolve, reject) => {
    const id = ++next;
    waiting.set(id, { resolve, reject });
    ws.send(JSON.stringify({ id, method, params, sessionId }));
  });
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const evaluate = async (expression) => (await send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)).result.value;
  await send('Page.enable', {}, sessionId);
  await send('Network.enable', {}, sessionId);
  await send('Performance.enable', {}, sessionId);
  await send('Page.addScriptToEvaluateOnNewDocument', { source: `sessionStorage.setItem('nephele.session', ${JSON.stringify(session)});` }, sessionId);
  await send('Page.navigate', { url }, sessionId);
  for (let i = 0; i < 600; i++) {
    const rows = await evaluate("document.querySelector('table.data tbody')?.rows.length ?? 0").catch(() => 0);
    if (rows >= expectRows) break;
    await sleep(250);
  }
  const before = await evaluate('document.visibilityState');
  // Another tab comes to the front, as when the user switches tabs.
  const other = await send('Target.createTarget', { url: 'about:blank' });
  await sleep(500);
  const state = await evaluate('document.visibilityState');
  let bytes = 0;
  let counting = false;
  listeners.push((d) => {
    if (counting && d.sessionId === sessionId && d.method === 'Network.loadingFinished') bytes += d.params.encodedDataLength;
  });
  const scriptMs = async () => (await send('Performance.getMetrics', {}, sessionId)).metrics.find((m) => m.name === 'ScriptDuration').value * 1000;
  return {
    before,
    state,
    method: 'a second tab opened in front (bare DevTools protocol, no focus emulation)',
    evaluate,
    scriptMs,
    startCounting() { bytes = 0; counting = true; },
    stopCounting() { counting = false; return bytes; },
    async close() {
      await send('Target.closeTarget', { targetId: other.targetId }).catch(() => {});
      ws.close();
      child.kill();
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      // Chromium may still be flushing its profile as it exits: retry.
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    },
  };
}
