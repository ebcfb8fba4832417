// The floor for `make bench`: the least a browser page can do to show the same
// tables as the portal. Plain JavaScript, no framework, no build step. It reads
// the portal's session from sessionStorage, fetches the same JSON in the same
// order as the portal's page (same requests, same dependencies between them),
// renders the same row markup with one innerHTML assignment, and polls pending
// ports like the portal's poller (one request per second: GET /ports/<id> for
// one pending port, GET /ports for several; nothing while the tab is hidden).
'use strict';

(async () => {
  const page = document.body.dataset.page;
  const session = JSON.parse(sessionStorage.getItem('nephele.session') || 'null');
  const section = document.querySelector('section.page');
  if (!session) {
    section.lastElementChild.textContent = 'No session: sign in to the portal first.';
    return;
  }
  const headers = { 'X-Auth-Token': session.token, Accept: 'application/json' };
  const get = async (url) => {
    const r = await fetch(url, { headers });
    if (!r.ok) throw new Error(`${url}: ${r.status}`);
    return r.json();
  };
  const ep = session.endpoints;
  const esc = (s) =>
    String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
  const copy = (text, label) =>
    `<button type="button" class="icon-button" aria-label="Copy ${esc(label)}" title="Copy ${esc(label)}">Copy</button>`;
  const PENDING = new Set(['BUILD', 'PENDING', 'CONNECTING', 'DISCONNECTING', 'DELETING', 'ATTACHING', 'DETACHING', 'MOVING']);
  const badgeClass = (s) =>
    s === 'ACTIVE' ? 'badge ok' : PENDING.has(s) ? 'badge pending' : ['ERROR', 'DELETED', 'STUCK'].includes(s) ? 'badge error' : 'badge neutral';
  const badge = (s) =>
    `<span class="${badgeClass(s)}">${PENDING.has(s) ? '<span class="spinner" aria-hidden="true"></span>' : ''}${esc(s)}</span>`;
  const byNumericId = (a, b) => (Number(a.id) || Infinity) - (Number(b.id) || Infinity);

  // The portal fetches config.json at start-up, beside the page's own calls.
  const config = get('/config.json');

  const table = (caption, head, rows) =>
    `<div class="table-wrap"><table class="data"><caption class="visually-hidden">${caption}</caption>` +
    `<thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;

  if (page === 'networks') {
    const [nets, subnets, ports, servers] = await Promise.all([
      get(`${ep.network}/networks`),
      get(`${ep.network}/subnets`),
      get(`${ep.network}/ports`),
      get(`${ep.compute}/servers/detail`),
      get(`${ep.network}/floatingips`),
    ]);
    await Promise.allSettled([get(`${ep.account}/quotas`), get(`${ep.account}/projects`)]);
    await config;
    const cidr = new Map(subnets.subnets.map((s) => [String(s.id), s.cidr]));
    const serverName = new Map(servers.servers.map((s) => [String(s.id), s.name]));
    const attached = new Map();
    for (const p of ports.ports) {
      if (p.device_id == null) continue;
      const id = String(p.device_id);
      const name = serverName.get(id) || `server ${id}`;
      const text = p.status === 'ACTIVE' ? name : `${name} (${p.status.toLowerCase()})`;
      const key = String(p.network_id);
      if (!attached.has(key)) attached.set(key, new Set());
      attached.get(key).add(text);
    }
    const list = nets.networks.slice().sort((a, b) => {
      const x = a.name.toLowerCase(), y = b.name.toLowerCase();
      return x < y ? -1 : x > y ? 1 : byNumericId(a, b);
    });
    const th = (label, sort) =>
      `<th scope="col" aria-sort="${sort}"><button type="button" class="sort">${label}<span class="sort-mark" aria-hidden="true">${sort === 'ascending' ? ' ▲' : ''}</span></button></th>`;
    const head = th('Name', 'ascending') + th('ID', 'none') + th('Type', 'none') + th('Status', 'none') +
      '<th scope="col">Access</th><th scope="col">Subnets</th><th scope="col">Connected servers</th>' +
      '<th scope="col"><span class="visually-hidden">Actions</span></th>';
    let rows = '';
    for (const n of list) {
      const id = String(n.id);
      const name = n.name || '(no name)';
      const servers = [...(attached.get(id) || [])].sort().join(', ');
      rows += `<tr><th scope="row"><a href="/networks/${esc(id)}">${esc(name)}</a></th>` +
        `<td class="mono">${esc(id)}${copy(id, `network id ${id}`)}</td><td>${esc(n.type)}</td>` +
        `<td>${badge(n.status)}</td><td>${n.public ? 'Public' : 'Private'}</td>` +
        `<td class="mono">${esc((n.subnets || []).map((s) => cidr.get(String(s)) || s).join(', '))}</td>` +
        `<td>${esc(servers)}</td><td class="actions"><button type="button" class="button danger" ` +
        `aria-label="Delete network ${esc(n.name || id)}">Delete</button></td></tr>`;
    }
    section.lastElementChild.outerHTML = table('Networks', head, rows);
    return;
  }

  // page === 'ports'
  const [ports, nets, servers] = await Promise.all([
    get(`${ep.network}/ports`),
    get(`${ep.network}/networks`),
    get(`${ep.compute}/servers/detail`),
  ]);
  const interval = (await config).poll?.interval_ms ?? 1000;
  const netName = new Map(nets.networks.map((n) => [String(n.id), n.name]));
  const serverName = new Map(servers.servers.map((s) => [String(s.id), s.name]));
  const rowHtml = (p) => {
    const id = String(p.id);
    const net = String(p.network_id);
    const server = p.device_id == null ? '—' : `${serverName.get(String(p.device_id)) || `server ${p.device_id}`} (${p.device_id})`;
    const addrs = (p.fixed_ips || []).map((ip) => ip.ip_address).filter(Boolean).join(', ');
    return `<tr data-id="${esc(id)}"><th scope="row" class="mono">${esc(id)}${copy(id, `port ${id}`)}</th>` +
      `<td><a href="/networks/${esc(net)}">${esc(netName.get(net) || net)}</a></td><td>${esc(server)}</td>` +
      `<td class="mono">${addrs ? esc(addrs) + copy(addrs, `addresses ${addrs}`) : '<span class="muted">none</span>'}</td>` +
      `<td class="mono">${esc(p.mac_address || '—')}</td><td>${badge(p.status)}</td>` +
      `<td class="actions"><button type="button" class="button danger" aria-label="Delete port ${esc(id)}">Delete</button></td></tr>`;
  };
  const head = '<th scope="col">Port</th><th scope="col">Network</th><th scope="col">Server</th>' +
    '<th scope="col">Addresses</th><th scope="col">MAC</th><th scope="col">Status</th>' +
    '<th scope="col"><span class="visually-hidden">Actions</span></th>';
  section.lastElementChild.outerHTML = table('Ports', head, ports.ports.map(rowHtml).join(''));

  // Live status: the same polling rule as the portal's poller.
  const tbody = section.querySelector('tbody');
  const rowOf = new Map();
  for (const tr of tbody.rows) rowOf.set(tr.dataset.id, tr);
  const status = new Map(ports.ports.map((p) => [String(p.id), p.status]));
  const pending = () => [...status].filter(([, s]) => PENDING.has(s)).map(([id]) => id);
  const apply = (p) => {
    const id = String(p.id);
    if (status.get(id) === p.status) return;
    status.set(id, p.status);
    const cell = rowOf.get(id)?.cells[5];
    if (cell) cell.innerHTML = badge(p.status);
  };
  let busy = false;
  setInterval(async () => {
    if (busy || document.visibilityState !== 'visible') return;
    const ids = pending();
    if (ids.length === 0) return;
    busy = true;
    try {
      if (ids.length === 1) apply((await get(`${ep.network}/ports/${ids[0]}`)).port);
      else for (const p of (await get(`${ep.network}/ports`)).ports) apply(p);
    } catch (e) {
      // retried on the next tick, like the portal
    } finally {
      busy = false;
    }
  }, interval);
})();
