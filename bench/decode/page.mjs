// The harness page of bench/decode/run, served by nephele-cloud with the portal's
// CSP: loads one decoder module (decode.js, from lib.rs) and offers
// window.decodeBench to the driver (measure.mjs).
import init, { decode, kept_bytes, drop_list } from './decode.js';

const wasm = await init({ module_or_path: new URL('decode_bg.wasm', import.meta.url) });

// JS heap in use (--enable-precise-memory-info), without a GC: sampled when the
// body is in JavaScript's hands (text, JS objects or ArrayBuffer) and after decode.
const heap = () => performance.memory.usedJSHeapSize;
let atBody = null;
for (const m of ['text', 'json', 'arrayBuffer']) {
  const orig = Response.prototype[m];
  Response.prototype[m] = function () {
    return orig.call(this).then((v) => {
      atBody = heap();
      return v;
    });
  };
}

window.decodeBench = {
  wasmBytes: () => wasm.memory.buffer.byteLength,
  async run(path, token) {
    const res = await fetch(path, { headers: { 'X-Auth-Token': token, Accept: 'application/json' } });
    if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
    const t0 = performance.now();
    const count = await decode(res); // reads the body too: json() parses while reading
    const ms = performance.now() - t0;
    const after = heap();
    return { count, keptBytes: kept_bytes(), ms, heapAtBody: atBody, heapAfter: after };
  },
  drop: () => drop_list(),
};
document.title = 'ready';
