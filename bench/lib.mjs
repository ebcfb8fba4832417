// Shared helpers for the benchmark scripts: start nephele-cloud, talk to its API,
// read its /metrics, small statistics.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';

export const TOKEN = 'bench-token-0123456789';
export const CLOUD = process.env.CLOUD || 'target/server/nephele-cloud';

/** Debian's Chromium, headless, with no traffic of its own (the machine has no network). */
export const LAUNCH = {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-extensions', '--mute-audio'],
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

export async function freePortNumber() {
  return freePort();
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Start nephele-cloud on a free port; resolves once it answers. */
export async function startCloud({ seed, dist, buildDelayMs = 1500, log }) {
  const port = await freePort();
  const args = ['--listen', `127.0.0.1:${port}`, '--seed', seed, '--build-delay-ms', String(buildDelayMs)];
  if (dist) args.push('--dist', dist);
  // One log line per request would be part of what we measure: keep warnings only.
  const child = spawn(CLOUD, args, { env: { ...process.env, RUST_LOG: 'warn' }, stdio: ['ignore', 'ignore', log ? 'inherit' : 'ignore'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`nephele-cloud exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/metrics`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    await sleep(100);
  }
  return {
    url,
    pid: child.pid,
    child,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    },
    /** Peak and current resident memory of the process, in bytes (Linux). */
    memory() {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = (k) => Number((status.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm')) || [0, 0])[1]) * 1024;
      return { peak: kb('VmHWM'), rss: kb('VmRSS') };
    },
  };
}

export async function api(base, method, path, body) {
  const r = await fetch(base + path, {
    method,
    headers: { 'X-Auth-Token': TOKEN, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/**
 * What the seed cannot hold: one private network with a subnet (the 100th
 * network; ports made through the API go there) and `fips` floating IPs.
 */
export async function setupTenant(base, { fips = 0 } = {}) {
  const net = (await api(base, 'POST', '/network/v2.0/networks', { network: { name: 'bench-private', type: 'MAC_FILTERED' } })).network;
  await api(base, 'POST', '/network/v2.0/subnets', {
    subnet: { network_id: net.id, cidr: '10.250.0.0/22', ip_version: 4, name: 'bench-private-v4' },
  });
  for (let i = 0; i < fips; i++) {
    await api(base, 'POST', '/network/v2.0/floatingips', { floatingip: { floating_network_id: '1' } });
  }
  return String(net.id);
}

/** Servers seeded without ports, for pending (BUILD) ports: the last `spare` ids. */
export function spareServers(seedText) {
  const ids = [...seedText.matchAll(/^\[\[servers\]\]\nid = (\d+)/gm)].map((m) => Number(m[1]));
  const used = new Set([...seedText.matchAll(/^server = (\d+)$/gm)].map((m) => Number(m[1])));
  return ids.filter((id) => !used.has(id));
}

/** Create a port on `server` (BUILD until the cloud's build delay has passed). */
export async function createPendingPort(base, network, server) {
  return (await api(base, 'POST', '/network/v2.0/ports', { port: { network_id: network, device_id: String(server) } })).port;
}

/** Request counts from /metrics: { "GET /network/v2.0/ports/{id} 200": n, ... } */
export async function metrics(base) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const counts = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('nephele_http_requests_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    counts[`${labels.method} ${labels.route} ${labels.status}`] = value;
  }
  return counts;
}

export function diffCounts(before, after) {
  const out = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] || 0);
    if (d > 0 && !k.includes('/metrics')) out[k] = d;
  }
  return out;
}

// ---------------------------------------------------------------- traces

/** A top-level task on a thread of a Chromium trace. */
export const isTask = (e) => e.ph === 'X' && (e.name === 'RunTask' || e.name === 'ThreadControllerImpl::RunTask');

/**
 * The task that applied the one-row update: the longest task on the thread of
 * the `bench:applied` mark that holds it. `{ error }` when the trace has neither.
 */
export function applyingTask(ev) {
  const applied = ev.find((e) => e.name === 'bench:applied');
  if (!applied) return { error: 'no bench:applied mark in the trace' };
  const same = (e) => e.pid === applied.pid && e.tid === applied.tid;
  const task = ev.filter((t) => same(t) && isTask(t) && t.ts <= applied.ts && applied.ts <= t.ts + t.dur)
    .sort((a, b) => b.dur - a.dur)[0];
  if (!task) return { error: 'no task around the update' };
  return { applied, same, task };
}
