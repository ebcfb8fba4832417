// Create/delete load on the local cloud: C clients, each in a loop creates an
// unattached port on the tenant's private network (POST /ports, 201, DOWN) and
// deletes it (DELETE /ports/<id>, 204, gone at once). oha cannot chain a create
// with the delete of the id it returned, so this small client does it; each
// request's latency is timed on its own.
//
//   node bench/churn.mjs BASE NETWORK_ID CLIENTS SECONDS > result.json
import { Agent, request } from 'node:http';
import { TOKEN } from './lib.mjs';

const [base, network, clients, seconds] = [process.argv[2], process.argv[3], Number(process.argv[4]), Number(process.argv[5])];
const url = new URL(base);
const agent = new Agent({ keepAlive: true, maxSockets: clients });

function send(method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body ? JSON.stringify(body) : null;
    const t0 = process.hrtime.bigint();
    const req = request(
      { host: url.hostname, port: url.port, method, path, agent,
        headers: { 'X-Auth-Token': TOKEN, 'Content-Type': 'application/json', ...(data ? { 'Content-Length': Buffer.byteLength(data) } : {}) } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString(), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

const lat = { create: [], delete: [] };
const errors = {};
const end = Date.now() + seconds * 1000;
async function client() {
  while (Date.now() < end) {
    const c = await send('POST', '/network/v2.0/ports', { port: { network_id: network } });
    if (c.status !== 201) {
      errors[`POST ${c.status}`] = (errors[`POST ${c.status}`] || 0) + 1;
      continue;
    }
    lat.create.push(c.ms);
    const id = JSON.parse(c.body).port.id;
    const d = await send('DELETE', `/network/v2.0/ports/${id}`);
    if (d.status !== 204) errors[`DELETE ${d.status}`] = (errors[`DELETE ${d.status}`] || 0) + 1;
    else lat.delete.push(d.ms);
  }
}
const t0 = Date.now();
await Promise.all(Array.from({ length: clients }, client));
const wall = (Date.now() - t0) / 1000;
const pct = (xs, p) => {
  const v = xs.slice().sort((a, b) => a - b);
  return v.length ? v[Math.min(v.length - 1, Math.floor((p / 100) * v.length))] : null;
};
const summary = (xs) => ({ count: xs.length, p50: pct(xs, 50), p99: pct(xs, 99), max: pct(xs, 100) });
process.stdout.write(JSON.stringify({
  clients, seconds: wall,
  requestsPerSecond: (lat.create.length + lat.delete.length) / wall,
  cyclesPerSecond: lat.delete.length / wall,
  create: summary(lat.create), delete: summary(lat.delete), errors,
}) + '\n');
agent.destroy();
