// The ops console's page script: polls /_ops/metrics and redraws every chart as inline SVG. Plain browser
// JavaScript with no dependencies, served as is (no build step, no CDN: the platform may run offline).
/* global document, window, location, setTimeout, URLSearchParams */
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['var(--c1)', 'var(--c2)', 'var(--c3)', 'var(--c4)', 'var(--c5)', 'var(--c6)'];
const REFRESH_MS = Number(new URLSearchParams(location.search).get('refresh') ?? 2000);

function el(tag, attributes = {}, text) {
  const node = tag.startsWith('svg:') ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

const fmtMs = (ms) => (ms === null || ms === undefined ? '–' : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const hhmm = (iso) => iso.slice(11, 16);

/** A round axis maximum whose four grid steps are round numbers too (whole numbers from 4 up). */
function niceMax(value) {
  if (value <= 0) return 4;
  const raw = value / 4;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 3, 4, 5, 6, 8, 10].map((multiple) => multiple * magnitude).find((candidate) => candidate >= raw);
  return Number((4 * step).toPrecision(6));
}

/** Axis frame shared by the charts: y grid with labels, x labels every few buckets. */
function frame(svg, { width, height, pad, max, labels, unit }) {
  for (let i = 0; i <= 4; i++) {
    const y = pad.top + ((height - pad.top - pad.bottom) * i) / 4;
    svg.append(el('svg:line', { x1: pad.left, x2: width - pad.right, y1: y, y2: y, stroke: 'var(--grid)' }));
    const value = max - (max * i) / 4;
    svg.append(
      el('svg:text', { x: pad.left - 6, y: y + 4, 'text-anchor': 'end' }, unit === 'ms' ? fmtMs(value) : Math.round(value * 10) / 10),
    );
  }
  const step = Math.max(1, Math.ceil(labels.length / 6));
  const slot = (width - pad.left - pad.right) / labels.length;
  labels.forEach((label, index) => {
    if (index % step !== 0 && index !== labels.length - 1) return;
    svg.append(el('svg:text', { x: pad.left + slot * (index + 0.5), y: height - 4, 'text-anchor': 'middle' }, label));
  });
}

/** Stacked bars per bucket: `series` is [{ name, values, color }]. */
function stackedBars(container, name, labels, series, { markers = [] } = {}) {
  const width = 520;
  const height = 190;
  const pad = { top: 10, right: 8, bottom: 20, left: 40 };
  const totals = labels.map((_, index) => series.reduce((sum, s) => sum + (s.values[index] ?? 0), 0));
  // Counts: at least 0-4 on the axis, so a quiet chart has whole-number labels.
  const max = niceMax(Math.max(...totals, 4));
  const svg = el('svg:svg', { viewBox: `0 0 ${width} ${height}`, 'data-chart': name, 'data-total': totals.reduce((a, b) => a + b, 0) });
  frame(svg, { width, height, pad, max, labels });
  const slot = (width - pad.left - pad.right) / labels.length;
  const plot = height - pad.top - pad.bottom;
  labels.forEach((label, index) => {
    let base = height - pad.bottom;
    for (const s of series) {
      const value = s.values[index] ?? 0;
      if (value <= 0) continue;
      const h = (value / max) * plot;
      base -= h;
      const bar = el('svg:rect', {
        class: 'bar',
        x: pad.left + slot * index + 1,
        y: base,
        width: Math.max(1, slot - 2),
        height: h,
        fill: s.color,
        'data-value': value,
      });
      bar.append(el('svg:title', {}, `${label} ${s.name}: ${value}`));
      svg.append(bar);
    }
    if (markers[index]) {
      svg.append(el('svg:circle', { class: 'marker', cx: pad.left + slot * (index + 0.5), cy: pad.top + 4, r: 4, fill: 'var(--bad)' }));
    }
  });
  container.append(svg);
  container.append(legend(series));
}

/** One line per series over the buckets; null values break the line. */
function lines(container, name, labels, series, unit) {
  const width = 520;
  const height = 190;
  const pad = { top: 10, right: 8, bottom: 20, left: 48 };
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v !== null))));
  const svg = el('svg:svg', { viewBox: `0 0 ${width} ${height}`, 'data-chart': name });
  frame(svg, { width, height, pad, max, labels, unit });
  const slot = (width - pad.left - pad.right) / labels.length;
  const plot = height - pad.top - pad.bottom;
  for (const s of series) {
    let d = '';
    s.values.forEach((value, index) => {
      if (value === null || value === undefined) return;
      const x = pad.left + slot * (index + 0.5);
      const y = height - pad.bottom - (value / max) * plot;
      d += `${d && s.values[index - 1] !== null && s.values[index - 1] !== undefined ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
      svg.append(el('svg:circle', { class: 'point', cx: x, cy: y, r: 2.5, fill: s.color, 'data-value': value }));
    });
    if (d) svg.append(el('svg:path', { class: 'line', d, fill: 'none', stroke: s.color, 'stroke-width': 2 }));
  }
  container.append(svg);
  container.append(legend(series));
}

/** Horizontal bars, two per row (p50 lighter, p99 darker), with the value at the end. */
function pairedBars(container, name, rows, unit) {
  const width = 520;
  const rowHeight = 26;
  const labelWidth = 210;
  const height = rows.length * rowHeight + 8;
  const max = niceMax(Math.max(0, ...rows.flatMap((row) => [row.a ?? 0, row.b ?? 0])));
  const svg = el('svg:svg', { viewBox: `0 0 ${width} ${height}`, 'data-chart': name });
  const plot = width - labelWidth - 70;
  rows.forEach((row, index) => {
    const y = 4 + index * rowHeight;
    svg.append(el('svg:text', { x: 0, y: y + 15 }, row.label.length > 34 ? `${row.label.slice(0, 33)}…` : row.label));
    const a = el('svg:rect', {
      class: 'bar',
      x: labelWidth,
      y: y + 2,
      width: Math.max(1, ((row.a ?? 0) / max) * plot),
      height: 9,
      fill: 'var(--c2)',
      'data-value': row.a,
    });
    const b = el('svg:rect', {
      class: 'bar',
      x: labelWidth,
      y: y + 12,
      width: Math.max(1, ((row.b ?? 0) / max) * plot),
      height: 9,
      fill: 'var(--c1)',
      'data-value': row.b,
    });
    svg.append(a, b);
    svg.append(
      el('svg:text', { x: labelWidth + Math.max(1, ((row.b ?? 0) / max) * plot) + 6, y: y + 20 }, unit === 'ms' ? fmtMs(row.b) : row.b),
    );
  });
  container.append(svg);
}

function legend(series) {
  const box = el('div', { class: 'legend' });
  for (const s of series) {
    const item = el('span');
    item.append(el('i', { style: `background:${s.color}` }), document.createTextNode(s.name));
    box.append(item);
  }
  return box;
}

function table(columns, rows) {
  const t = el('table');
  const head = el('tr');
  for (const column of columns) head.append(el('th', {}, column.title));
  t.append(head);
  for (const row of rows) {
    const tr = el('tr');
    for (const column of columns) {
      const td = el('td', {}, column.format ? column.format(row[column.key], row) : (row[column.key] ?? '–'));
      if (column.className) td.className = column.className(row[column.key], row) ?? '';
      tr.append(td);
    }
    t.append(tr);
  }
  return t;
}

function empty(container, text) {
  container.append(el('div', { class: 'empty' }, text));
}

function render(s) {
  const labels = s.heartbeats.map((minute) => hhmm(minute.minute));

  const banner = document.getElementById('banner');
  if (!s.monitor.enabled) {
    banner.className = 'off';
    banner.textContent = 'Heartbeat monitor off (start the platform with the monitor on: npm start).';
  } else if (s.monitor.alarm) {
    banner.className = 'alarm';
    banner.textContent = `HEARTBEAT ALARM since ${s.monitor.since}: customers cannot write. ${s.monitor.reason ?? ''}`;
  } else {
    banner.className = 'ok';
    banner.textContent = `Heartbeat OK${s.monitor.reason ? `: ${s.monitor.reason}` : ''} (checked every ${s.monitor.periodSeconds} s)`;
  }
  banner.dataset.alarm = String(s.monitor.alarm);

  const heartbeats = document.getElementById('heartbeats');
  heartbeats.replaceChildren();
  stackedBars(
    heartbeats,
    'heartbeats',
    labels,
    [
      { name: 'conversations', values: s.heartbeats.map((m) => m.conversations), color: 'var(--c1)' },
      { name: 'comments', values: s.heartbeats.map((m) => m.comments), color: 'var(--c2)' },
    ],
    { markers: s.heartbeats.map((m) => m.canaryFailures > 0) },
  );

  const canary = document.getElementById('canary');
  canary.replaceChildren();
  if (!s.canary.enabled) empty(canary, 'Canary off.');
  else {
    const status = s.canary.lastOk === null ? 'no run yet' : s.canary.lastOk ? `OK in ${fmtMs(s.canary.lastRoundTripMs)}` : 'FAILED';
    canary.append(
      el('div', { class: `big ${s.canary.lastOk === false ? 'bad' : s.canary.lastOk ? 'ok' : 'muted'}`, id: 'canary-status' }, status),
    );
    if (s.canary.lastFailure) canary.append(el('div', { class: 'bad' }, s.canary.lastFailure));
    canary.append(
      table(
        [
          { key: 'runs', title: 'runs (5 min)' },
          { key: 'failures', title: 'failures', className: (v) => (v > 0 ? 'bad' : '') },
          { key: 'roundTripP50Ms', title: 'round trip p50', format: fmtMs },
          { key: 'roundTripP99Ms', title: 'p99', format: fmtMs },
          { key: 'intervalSeconds', title: 'every', format: (v) => `${v} s` },
          { key: 'lastRunAt', title: 'last run', format: (v) => (v ? v.slice(11, 19) : '–') },
        ],
        [s.canary],
      ),
    );
  }

  const latency = document.getElementById('latency');
  latency.replaceChildren();
  if (s.routes.length === 0) empty(latency, 'No API requests in the last 5 minutes.');
  else {
    pairedBars(
      latency,
      'latency',
      s.routes.map((r) => ({ label: r.route, a: r.p50Ms, b: r.p99Ms })),
      'ms',
    );
    latency.append(
      legend([
        { name: 'p50', color: 'var(--c2)' },
        { name: 'p99', color: 'var(--c1)' },
      ]),
    );
    latency.append(
      table(
        [
          { key: 'route', title: 'route' },
          { key: 'requests', title: 'requests' },
          { key: 'errors4xx', title: '4xx', className: (v) => (v > 0 ? 'bad' : '') },
          { key: 'errors5xx', title: '5xx', className: (v) => (v > 0 ? 'bad' : '') },
          { key: 'p50Ms', title: 'p50', format: fmtMs },
          { key: 'p99Ms', title: 'p99', format: fmtMs },
        ],
        s.routes,
      ),
    );
  }

  const trend = document.getElementById('latency-trend');
  trend.replaceChildren();
  // Customer routes first: operator calls (this console reads /admin/migrations) should not crowd them out.
  const customerFirst = (route) => (route.route.includes(' /admin/') ? 1 : 0);
  const busiest = [...s.routes].sort((a, b) => customerFirst(a) - customerFirst(b) || b.requests - a.requests).slice(0, 5);
  if (busiest.length === 0) empty(trend, 'No API requests yet.');
  else
    lines(
      trend,
      'latency-trend',
      labels,
      busiest.map((route, index) => ({
        name: route.route,
        values: s.routeP99PerMinute.map((minute) => minute.p99Ms[route.route] ?? null),
        color: COLORS[index % COLORS.length],
      })),
      'ms',
    );

  const queues = document.getElementById('queues');
  queues.replaceChildren();
  if (s.queues.length === 0) empty(queues, 'Queue status unavailable.');
  else {
    lines(
      queues,
      'queues',
      labels,
      s.queues.map((queue, index) => ({
        name: queue.queue,
        values: s.queueDepthPerMinute.map((minute) => minute.depth[queue.queue] ?? null),
        color: COLORS[index % COLORS.length],
      })),
    );
    queues.append(
      table(
        [
          { key: 'queue', title: 'queue' },
          { key: 'visible', title: 'visible', className: (v, row) => (row.queue.endsWith('-dlq') && v > 0 ? 'bad' : '') },
          { key: 'inFlight', title: 'in flight' },
          { key: 'oldestAgeSeconds', title: 'oldest', format: (v) => (v === null ? '–' : `${Math.round(v)} s`) },
        ],
        s.queues,
      ),
    );
  }

  const groups = document.getElementById('groups');
  groups.replaceChildren();
  if (s.groups.length === 0) empty(groups, 'No jobs applied in the last 5 minutes.');
  else {
    pairedBars(
      groups,
      'groups',
      s.groups.slice(0, 12).map((g) => ({ label: `${g.group} (${g.jobs} jobs)`, a: g.dwellP50Ms, b: g.dwellP99Ms })),
      'ms',
    );
    groups.append(
      legend([
        { name: 'p50', color: 'var(--c2)' },
        { name: 'p99', color: 'var(--c1)' },
      ]),
    );
  }

  const overflow = document.getElementById('overflow');
  overflow.replaceChildren();
  overflow.append(el('div', { class: s.overflow.jobs > 0 ? 'big bad' : 'big' }, `${s.overflow.jobs} jobs overflowed in 5 min`));
  stackedBars(overflow, 'overflow', labels, [
    { name: 'JobsOverflowed', values: s.overflow.perMinute.map((m) => m.jobs), color: 'var(--c4)' },
  ]);

  const dlq = document.getElementById('dlq');
  dlq.replaceChildren();
  dlq.append(el('div', { class: s.deadLetters.total > 0 ? 'big bad' : 'big ok', id: 'dlq-total' }, `${s.deadLetters.total} dead letters`));
  dlq.append(
    table(
      [
        { key: 'queue', title: 'queue' },
        { key: 'visible', title: 'messages', className: (v) => (v > 0 ? 'bad' : '') },
      ],
      s.deadLetters.queues,
    ),
  );

  const migrations = document.getElementById('migrations');
  migrations.replaceChildren();
  migrations.append(el('h2', { style: 'margin-top:16px' }, 'Migrations in progress'));
  if (!s.migrations || s.migrations.length === 0) empty(migrations, 'none');
  else
    migrations.append(
      table(
        [
          { key: 'id', title: 'id' },
          { key: 'kind', title: 'kind' },
          { key: 'phase', title: 'phase' },
          { key: 'updatedAt', title: 'updated', format: (v) => (v ? v.slice(0, 19).replace('T', ' ') : '–') },
        ],
        s.migrations,
      ),
    );

  document.getElementById('updated').textContent = `updated ${s.generatedAt.slice(11, 19)} UTC · refreshes every ${REFRESH_MS / 1000} s`;
  document.body.dataset.rendered = s.generatedAt;
}

async function poll() {
  const error = document.getElementById('error');
  try {
    const response = await window.fetch('/_ops/metrics', { cache: 'no-store' });
    if (!response.ok) throw new Error(`GET /_ops/metrics answered ${response.status}`);
    render(await response.json());
    error.style.display = 'none';
  } catch (failure) {
    error.textContent = `Cannot load metrics: ${failure.message}. Is the platform running?`;
    error.style.display = 'block';
  }
  setTimeout(poll, REFRESH_MS);
}

poll();
