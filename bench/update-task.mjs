// Where the one-row update's time goes: lists every traced event of the task
// that applied the status change (the one holding the `bench:applied` mark),
// nested, with durations in ms relative to the task's start. Reads the trace
// that `make bench` (phase update) keeps for its first run:
//
//   node bench/update-task.mjs target/bench/results/trace-update-nephele.json [min-ms]
//
// Events shorter than min-ms (default 0.02) are left out, marks always shown.
import { readFileSync } from 'node:fs';
import { applyingTask } from './lib.mjs';

const [file, minArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/update-task.mjs <trace.json> [min-ms]');
  process.exit(2);
}
const minMs = Number(minArg ?? 0.02);
const trace = JSON.parse(readFileSync(file, 'utf8'));
const ev = trace.traceEvents || trace;
const found = applyingTask(ev);
if (found.error) {
  console.error(`${file}: ${found.error} (was it made by the update phase?)`);
  process.exit(1);
}
const { same, task } = found;
const main = ev.filter((e) => same(e) && ['X', 'I', 'R', 'i'].includes(e.ph));
const end = task.ts + task.dur;
const inTask = main
  .filter((e) => e.ts >= task.ts && e.ts <= end)
  .sort((a, b) => a.ts - b.ts || (b.dur || 0) - (a.dur || 0));
const open = [];
for (const e of inTask) {
  while (open.length && e.ts >= open.at(-1)) open.pop();
  const mark = e.dur == null;
  if (mark || e.dur / 1000 >= minMs) {
    const d = mark ? '' : (e.dur / 1000).toFixed(3);
    const what = e.args?.data?.functionName || '';
    console.log(`${((e.ts - task.ts) / 1000).toFixed(3).padStart(8)} ${'  '.repeat(open.length)}${e.name} ${d} ${what}`.trimEnd());
  }
  if (e.dur) open.push(e.ts + e.dur);
}

// With TRACE_CPU=1 (bench/browser.mjs) the trace also holds V8's CPU samples:
// list those taken in the task, innermost frames first. Against a build with
// function names they say which Rust code the task ran (or compiled).
const renames = (n) => n.replace(/::h[0-9a-f]{16}$/, '').replace(/\[[0-9a-f]{16}\]/g, '');
for (const p of ev.filter((e) => e.name === 'Profile' && e.pid === task.pid)) {
  const nodes = new Map();
  const samples = [];
  let ts = p.args.data.startTime;
  for (const c of ev.filter((e) => e.name === 'ProfileChunk' && e.id === p.id && e.pid === p.pid)) {
    const cpu = c.args.data.cpuProfile || {};
    for (const n of cpu.nodes || []) nodes.set(n.id, n);
    const deltas = c.args.data.timeDeltas || [];
    (cpu.samples || []).forEach((s, i) => {
      ts += deltas[i] || 0;
      if (ts >= task.ts && ts <= end) samples.push([ts, s]);
    });
  }
  if (samples.length) console.log(`\nCPU samples in the task (${samples.length}):`);
  for (const [t, s] of samples) {
    const stack = [];
    for (let n = nodes.get(s); n && stack.length < 5; n = nodes.get(n.parent)) stack.push(renames(n.callFrame.functionName || '(anonymous)'));
    console.log(`${((t - task.ts) / 1000).toFixed(3).padStart(8)} ${stack.join(' < ')}`);
  }
}
