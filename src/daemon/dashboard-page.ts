// The live dashboard page a class can watch (`tsnet daemon --dashboard 127.0.0.1:9524`): plain HTML
// and JavaScript, no build step, no framework. It polls /api/state once a second and redraws: one
// card per network with its counters (and how fast they move), per-frame latency, endpoints, ports,
// the MAC table filling in (new entries flash) and peers. Served by dashboard-server.ts.

// ---- our choice ----
/** Poll period of the page, milliseconds. */
export const DASHBOARD_POLL_MS = 1000;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tsnet dashboard</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  :root { --bg:#0f1419; --card:#182029; --fg:#e6e6e6; --dim:#8b98a5; --acc:#4fc3f7; --ok:#81c784; --warn:#ffb74d; --bad:#e57373; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, sans-serif; background:var(--bg); color:var(--fg); }
  header { display:flex; align-items:baseline; gap:16px; padding:12px 20px; border-bottom:1px solid #2a3440; }
  header h1 { font-size:20px; margin:0; color:var(--acc); }
  header .meta { color:var(--dim); }
  #status.down { color:var(--bad); }
  main { display:grid; grid-template-columns:repeat(auto-fill, minmax(560px, 1fr)); gap:16px; padding:16px 20px; }
  .card { background:var(--card); border-radius:8px; padding:14px 16px; }
  .card h2 { margin:0 0 2px; font-size:18px; }
  .card .sub { color:var(--dim); margin-bottom:10px; }
  .stats { display:grid; grid-template-columns:repeat(6, 1fr); gap:8px; margin-bottom:10px; }
  .stat { background:#11181f; border-radius:6px; padding:6px 8px; }
  .stat .v { font-size:18px; font-variant-numeric:tabular-nums; }
  .stat .k { color:var(--dim); font-size:11px; text-transform:uppercase; }
  .stat .r { color:var(--ok); font-size:11px; }
  table { width:100%; border-collapse:collapse; margin:4px 0 10px; font-variant-numeric:tabular-nums; }
  th { text-align:left; color:var(--dim); font-weight:normal; font-size:11px; text-transform:uppercase; border-bottom:1px solid #2a3440; }
  td { padding:2px 6px 2px 0; font-family:ui-monospace, monospace; font-size:12.5px; }
  h3 { font-size:12px; color:var(--acc); margin:8px 0 0; text-transform:uppercase; letter-spacing:.05em; }
  tr.new td { animation: flash 2s ease-out; }
  @keyframes flash { from { background:#2e7d32; } to { background:transparent; } }
  .drops { color:var(--warn); }
  .empty { color:var(--dim); font-style:italic; }
  #hosts span { margin-right:12px; }
</style>
</head>
<body>
<header>
  <h1>tsnet</h1>
  <span class="meta" id="daemon">connecting…</span>
  <span class="meta" id="hosts"></span>
  <span class="meta" id="status"></span>
</header>
<main id="networks"></main>
<script>
"use strict";
const POLL_MS = ${DASHBOARD_POLL_MS};
const seenMacs = new Map();   // network id -> Set of "mac|port"
let previous = null;          // last state, for rates

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}
function table(headers, rows, rowClass) {
  if (rows.length === 0) return el('div', { class: 'empty' }, 'none');
  const t = el('table', {}, el('tr', {}, ...headers.map((h) => el('th', {}, h))));
  rows.forEach((r, i) => t.append(el('tr', rowClass ? { class: rowClass(i) } : {}, ...r.map((c) => el('td', {}, c)))));
  return t;
}
function sum(o) { return Object.values(o || {}).reduce((a, b) => a + b, 0); }
function age(ms, kind) { return kind === 'static' ? 'static' : (ms / 1000).toFixed(1) + 's'; }
function rate(now, before, dt) { return before === undefined || dt <= 0 ? '' : Math.max(0, (now - before) / dt).toFixed(1) + '/s'; }

function stat(key, value, r) {
  return el('div', { class: 'stat', 'data-stat': key }, el('div', { class: 'k' }, key), el('div', { class: 'v' }, value), el('div', { class: 'r' }, r || '\\u00a0'));
}

function renderNetwork(n, prev, dt) {
  const card = el('section', { class: 'card', 'data-network': n.name });
  card.append(el('h2', {}, n.name), el('div', { class: 'sub' }, n.driver + ' · ' + n.subnet + ' · gateway ' + n.gateway + (n.running ? '' : ' · not running')));
  const c = n.switch ? n.switch.counters : null;
  const pc = prev && prev.switch ? prev.switch.counters : {};
  if (c) {
    const lat = n.switch.latency;
    card.append(el('div', { class: 'stats' },
      stat('frames', c.rxFrames, rate(c.rxFrames, pc.rxFrames, dt)),
      stat('forwarded', c.forwarded, rate(c.forwarded, pc.forwarded, dt)),
      stat('flooded', c.flooded, rate(c.flooded, pc.flooded, dt)),
      stat('dropped', sum(c.dropped), rate(sum(c.dropped), pc.dropped ? sum(pc.dropped) : undefined, dt)),
      stat('macs', n.switch.fdb.size, 'learned ' + c.learned),
      stat('latency', lat && lat.bursts ? lat.p50Us + 'µs' : '–', lat && lat.bursts ? 'p99 ' + lat.p99Us + 'µs' : lat ? 'no frames yet' : 'not measured')));
  }
  card.append(el('h3', {}, 'Endpoints'));
  card.append(table(['container', 'if', 'ipv4', 'mac'], n.endpoints.map((e) => [e.container, e.ifName, e.ipv4, e.mac])));
  card.append(el('h3', {}, 'Ports'));
  card.append(table(['port', 'kind', 'rx frames', 'tx frames', 'rx bytes', 'tx bytes', 'drops'], n.ports.map((p) => {
    const d = sum(p.switchSide.drops) + sum(p.device.drops);
    const drops = Object.entries(Object.assign({}, p.switchSide.drops, p.device.drops)).map(([k, v]) => k + '=' + v).join(' ');
    return [p.label, p.kind, p.switchSide.rxFrames, p.switchSide.txFrames, p.switchSide.rxBytes, p.switchSide.txBytes, d ? drops : '0'];
  })));
  card.append(el('h3', {}, 'MAC table'));
  const seen = seenMacs.get(n.id) || new Set();
  const first = !seenMacs.has(n.id);
  const fresh = n.fdb.map((r) => !first && !seen.has(r.mac + '|' + r.port));
  seenMacs.set(n.id, new Set(n.fdb.map((r) => r.mac + '|' + r.port)));
  card.append(table(['mac', 'port', 'vtep', 'type', 'age'], n.fdb.map((r) => [r.mac, r.port, r.vtep || '-', r.kind, age(r.ageMs, r.kind)]), (i) => (fresh[i] ? 'new' : '')));
  if (n.driver === 'overlay') {
    card.append(el('h3', {}, 'Peers'));
    if (n.peers.peers.length === 0) card.append(el('div', { class: 'empty' }, n.peers.message || 'none'));
    else card.append(table(['vtep', 'state', 'rtt', 'macs', 'endpoints'], n.peers.peers.map((p) => [p.vtep, p.state, p.rttMs === null ? '-' : p.rttMs.toFixed(1) + 'ms', p.macs, p.endpoints])));
  }
  return card;
}

function render(s) {
  const dt = previous ? (s.time - previous.time) / 1000 : 0;
  document.getElementById('daemon').textContent = s.daemon ? 'daemon ' + s.daemon.version + ' (pid ' + s.daemon.pid + ') · ' + s.networks.length + ' networks · ' + s.daemon.containers + ' containers' : s.networks.length + ' networks';
  const hosts = document.getElementById('hosts');
  hosts.replaceChildren(...s.hosts.map((h) => el('span', {}, h.address + ' ' + h.state)));
  const main = document.getElementById('networks');
  const byId = new Map((previous ? previous.networks : []).map((n) => [n.id, n]));
  main.replaceChildren(...(s.networks.length ? s.networks.map((n) => renderNetwork(n, byId.get(n.id), dt)) : [el('div', { class: 'empty' }, 'no networks yet: tsnet network create NAME')]));
  previous = s;
}

async function poll() {
  const status = document.getElementById('status');
  try {
    const r = await fetch('api/state', { cache: 'no-store' });
    if (!r.ok) throw new Error('HTTP ' + r.status);
    render(await r.json());
    status.textContent = 'live · ' + new Date().toLocaleTimeString();
    status.className = '';
  } catch (e) {
    status.textContent = 'daemon unreachable: ' + e.message;
    status.className = 'down';
  }
  setTimeout(poll, POLL_MS);
}
poll();
</script>
</body>
</html>
`;
