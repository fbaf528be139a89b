// The twin-mesh trace dashboard: a list with filters, charts over time, and one page per trace.
// Plain DOM and SVG, no dependencies; every value from a trace goes in through textContent, never as HTML.
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#3b6fd8', '#e08a2c', '#2f9e6e', '#c43d3d'];
const FILTERS = ['from', 'to', 'author', 'model', 'status', 'min_latency_ms', 'q'];

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null) continue;
    if (key === 'class') node.className = value; else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  return node;
}

async function getJson(url) {
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ? body.error.message : response.status + ' ' + response.statusText);
  return body;
}

const fmt = {
  time: ms => ms ? new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '') : '',
  ms: v => v === null || v === undefined ? '' : Math.round(v).toLocaleString('en'),
  num: v => v === null || v === undefined ? '-' : (Math.abs(v) >= 100 ? Math.round(v) : Number(v).toFixed(1)),
};

// ---- filters ---------------------------------------------------------------------------------------

function filterParams() {
  const form = document.getElementById('filters');
  const params = new URLSearchParams();
  for (const name of FILTERS) {
    const value = form.elements[name].value.trim();
    if (value) params.set(name, value);
  }
  return params;
}

function restoreFilters(params) {
  const form = document.getElementById('filters');
  for (const name of FILTERS) form.elements[name].value = params.get(name) || '';
}

// ---- the list and the charts -----------------------------------------------------------------------

async function showList(params) {
  document.getElementById('trace-view').hidden = true;
  document.getElementById('list-view').hidden = false;
  restoreFilters(params);
  const status = document.getElementById('status');
  status.textContent = 'loading...';
  try {
    const [traces, stats] = await Promise.all([
      getJson('/api/traces?' + withLimit(params, 200)),
      getJson('/api/stats?' + params),
    ]);
    renderTraces(traces.data);
    renderCharts(stats);
    status.textContent = 'updated ' + fmt.time(Date.now()) + ' UTC';
  } catch (e) {
    status.textContent = '';
    status.append(el('span', {class: 'error'}, 'cannot load: ' + e.message));
  }
}

function withLimit(params, limit) {
  const copy = new URLSearchParams(params);
  copy.set('limit', limit);
  return copy;
}

function renderTraces(records) {
  const body = document.querySelector('#traces tbody');
  body.replaceChildren();
  document.getElementById('count').textContent = '(' + records.length + (records.length === 200 ? '+' : '') + ')';
  for (const t of records) {
    const request = t.request || {};
    const latencies = t.latencies || {};
    const tokens = t.tokens || {};
    const link = el('a', {href: '#/trace/' + encodeURIComponent(t.trace_id)}, t.trace_id.slice(0, 12));
    body.append(el('tr', {class: t.status, 'data-trace-id': t.trace_id},
      el('td', null, fmt.time(t.times && t.times.received_at)),
      el('td', null, el('code', null, link)),
      el('td', null, request.author || ''),
      el('td', null, request.model || ''),
      el('td', {class: 'status'}, t.status || ''),
      el('td', {class: 'num'}, fmt.ms(latencies.ttft_ms)),
      el('td', {class: 'num'}, fmt.ms(latencies.total_ms)),
      el('td', {class: 'num'}, (tokens.prompt || 0) + ' / ' + (tokens.answer || 0)),
      el('td', {class: 'answer', title: t.answer || ''}, t.error ? t.error.message : (t.answer || ''))));
  }
  if (records.length === 0) {
    body.append(el('tr', null, el('td', {colspan: 9, class: 'muted'}, 'No trace matches these filters.')));
  }
}

function renderCharts(stats) {
  const charts = document.getElementById('charts');
  charts.replaceChildren();
  const b = stats.buckets;
  const series = (key, name) => ({name, points: b.map(x => [x.start, x[key]])});
  const specs = [
    {id: 'rpm', title: 'Requests per minute', series: [series('requests_per_minute', 'requests/min')]},
    {id: 'ttft', title: 'Time to first token (ms)', series: [series('ttft_p50_ms', 'p50'), series('ttft_p95_ms', 'p95')]},
    {id: 'latency', title: 'Latency (ms)', series: [series('latency_p50_ms', 'p50'), series('latency_p95_ms', 'p95')]},
    {id: 'tps', title: 'Decode tokens/s', series: [series('decode_tokens_per_s', 'tokens/s')]},
    {id: 'errors', title: 'Error rate (%)', series: [{name: 'errors', points: b.map(x => [x.start, x.error_rate * 100])}]},
  ];
  for (const spec of specs) charts.append(chart(spec, stats.from, stats.to));
}

/** A line chart over [from, to] with a point per bucket; gaps (null values) break nothing, they are skipped. */
function chart(spec, from, to) {
  const width = 320, height = 150, left = 40, right = 8, top = 8, bottom = 20;
  const values = spec.series.flatMap(s => s.points.map(p => p[1])).filter(v => v !== null && v !== undefined);
  const highest = Math.max(0, ...values);
  const max = (highest > 0 ? highest : 1) * 1.1;
  const x = t => left + (t - from) / Math.max(1, to - from) * (width - left - right);
  const y = v => top + (1 - v / max) * (height - top - bottom);
  const root = svg('svg', {viewBox: `0 0 ${width} ${height}`, class: 'chart', 'data-chart': spec.id, role: 'img', 'aria-label': spec.title});
  root.append(svg('line', {x1: left, y1: y(0), x2: width - right, y2: y(0), stroke: '#dde1e8'}));
  for (const frac of [0.5, 1]) {
    const v = max / 1.1 * frac;
    const label = svg('text', {x: left - 4, y: y(v) + 3, 'text-anchor': 'end', 'font-size': 9, fill: '#6b7385'});
    label.textContent = fmt.num(v);
    root.append(label, svg('line', {x1: left, y1: y(v), x2: width - right, y2: y(v), stroke: '#eef0f4'}));
  }
  for (const [ms, anchor] of [[from, 'start'], [to, 'end']]) {
    const label = svg('text', {x: x(ms), y: height - 5, 'text-anchor': anchor, 'font-size': 9, fill: '#6b7385'});
    label.textContent = new Date(ms).toISOString().slice(11, 16);
    root.append(label);
  }
  spec.series.forEach((s, i) => {
    const points = s.points.filter(p => p[1] !== null && p[1] !== undefined);
    const d = points.map((p, j) => (j === 0 ? 'M' : 'L') + x(p[0]).toFixed(1) + ' ' + y(p[1]).toFixed(1)).join(' ');
    root.append(svg('path', {d: d || 'M0 0', class: 'series', 'data-series': s.name, 'data-points': points.length,
      fill: 'none', stroke: COLORS[i], 'stroke-width': 1.5}));
    for (const p of points) root.append(svg('circle', {cx: x(p[0]), cy: y(p[1]), r: 2.2, fill: COLORS[i]}));
  });
  const legend = el('div', {class: 'legend'});
  spec.series.forEach((s, i) => {
    const swatch = el('i');
    swatch.style.background = COLORS[i];
    legend.append(swatch, s.name);
  });
  return el('div', {class: 'chart-card'}, el('h3', null, spec.title), root, legend);
}

// ---- one trace -------------------------------------------------------------------------------------

async function showTrace(id) {
  document.getElementById('list-view').hidden = true;
  document.getElementById('trace-view').hidden = false;
  document.getElementById('trace-id').textContent = id;
  const body = document.getElementById('trace-body');
  body.replaceChildren(el('p', {class: 'muted'}, 'loading...'));
  try {
    const t = await getJson('/api/traces/' + encodeURIComponent(id));
    body.replaceChildren(...traceSections(t));
  } catch (e) {
    body.replaceChildren(el('p', {class: 'error'}, e.message));
  }
}

function facts(pairs) {
  const dl = el('dl', {class: 'facts'});
  for (const [key, value] of pairs) {
    if (value === undefined || value === null || value === '') continue;
    dl.append(el('dt', null, key), el('dd', null, value));
  }
  return dl;
}

function traceSections(t) {
  const r = t.request || {};
  const times = t.times || {};
  const lat = t.latencies || {};
  const tokens = t.tokens || {};
  const sections = [];
  sections.push(facts([
    ['Status', el('span', {class: 'status-' + t.status}, t.status)],
    ['Received', fmt.time(times.received_at) + ' UTC'],
    ['Model', r.model], ['Author', r.author], ['RAG', r.rag ? 'on' : 'off'],
    ['Kind', (r.kind || '') + (r.stream ? ', streamed' : '')],
    ['Worker', t.worker_id], ['Finish reason', t.finish_reason],
    ['Sampling', r.sampling ? JSON.stringify(r.sampling) : null],
    ['Error', t.error ? t.error.status + ' ' + t.error.type + ': ' + t.error.message : null],
  ]));

  sections.push(el('h3', null, 'Timings'), timeline(lat), facts([
    ['Retrieval', lat.retrieval_ms !== undefined ? fmt.ms(lat.retrieval_ms) + ' ms' : null],
    ['Queue', lat.queue_ms !== undefined ? fmt.ms(lat.queue_ms) + ' ms' : null],
    ['First token', lat.ttft_ms !== undefined ? fmt.ms(lat.ttft_ms) + ' ms' : null],
    ['Decode', lat.ttft_ms !== undefined ? fmt.ms(lat.total_ms - lat.ttft_ms) + ' ms' : null],
    ['Inter-token', lat.inter_token_ms !== undefined ? Number(lat.inter_token_ms).toFixed(1) + ' ms' : null],
    ['Total', fmt.ms(lat.total_ms) + ' ms'],
  ]));

  sections.push(el('h3', null, 'Tokens'), facts([
    ['Prompt', tokens.prompt], ['of which context', tokens.context], ['Answer', tokens.answer],
    ['Decode speed', lat.ttft_ms !== undefined && lat.total_ms > lat.ttft_ms && tokens.answer
      ? (tokens.answer / ((lat.total_ms - lat.ttft_ms) / 1000)).toFixed(1) + ' tokens/s' : null],
  ]));

  sections.push(el('h3', null, 'Prompt template'), facts([['Template', t.prompt_template || '(none)']]));
  const vars = Object.entries(t.template_variables || {});
  if (vars.length) {
    const table = el('table', {id: 'variables'}, el('thead', null, el('tr', null, el('th', null, 'Variable'), el('th', null, 'Value'))));
    const tbody = el('tbody');
    for (const [k, v] of vars) tbody.append(el('tr', null, el('td', null, el('code', null, k)), el('td', null, el('pre', null, v))));
    table.append(tbody);
    sections.push(table);
  }

  const chunks = (t.retrieval && t.retrieval.chunks) || [];
  sections.push(el('h3', null, 'Retrieved context (' + chunks.length + ')'));
  if (chunks.length) {
    const table = el('table', {id: 'context'}, el('thead', null, el('tr', null,
      el('th', null, 'Chunk'), el('th', {class: 'num'}, 'Score'), el('th', null, 'Collection'), el('th', null, 'Source'))));
    const tbody = el('tbody');
    for (const c of chunks) {
      tbody.append(el('tr', null, el('td', null, el('code', null, c.id)), el('td', {class: 'num'}, Number(c.score).toFixed(3)),
        el('td', null, c.collection || ''), el('td', null, c.source || '')));
    }
    table.append(tbody);
    sections.push(table);
  } else {
    sections.push(el('p', {class: 'muted'}, t.request && t.request.rag ? 'Retrieval found nothing.' : 'RAG was off.'));
  }

  sections.push(el('h3', null, 'Messages sent to the model'));
  if (t.prompt) sections.push(el('pre', {class: 'prompt'}, t.prompt));
  for (const m of t.messages || []) {
    sections.push(el('div', {class: 'message'}, el('div', {class: 'role'}, m.role), el('pre', null, m.content)));
  }
  sections.push(el('h3', null, 'Answer'), el('pre', {id: 'answer'}, t.answer || ''));
  return sections;
}

/** One bar: retrieval, queue (to the worker), first token, decode, on the request's own time axis. */
function timeline(lat) {
  const total = Math.max(1, lat.total_ms || 1);
  const width = 1000, height = 84;
  const root = svg('svg', {viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none', 'data-chart': 'timeline'});
  const steps = [];
  const retrieval = lat.retrieval_ms || 0;
  const queue = lat.queue_ms !== undefined ? Math.max(0, lat.queue_ms) : 0;
  steps.push(['retrieval', 0, retrieval, COLORS[2]]);
  steps.push(['queue', retrieval, Math.max(retrieval, queue), COLORS[1]]);
  if (lat.ttft_ms !== undefined) {
    steps.push(['first token', Math.max(retrieval, queue), lat.ttft_ms, COLORS[0]]);
    steps.push(['decode', lat.ttft_ms, total, '#7b59c4']);
  } else {
    steps.push(['generation', Math.max(retrieval, queue), total, COLORS[0]]);
  }
  let row = 0;
  for (const [name, start, end, color] of steps) {
    if (end <= start) continue;
    row++;
    const x = start / total * width, w = Math.max(2, (end - start) / total * width);
    const rect = svg('rect', {x, y: 10, width: w, height: 28, fill: color, 'data-step': name});
    const title = svg('title');
    title.textContent = name + ': ' + Math.round(end - start) + ' ms';
    rect.append(title);
    // Short steps sit side by side: alternate two label rows so their labels do not overlap.
    const label = svg('text', {x: Math.min(x + 3, width - 150), y: row % 2 ? 54 : 72, 'font-size': 11, fill: '#1d2330'});
    label.textContent = name + ' ' + Math.round(end - start) + ' ms';
    root.append(rect, label);
  }
  return el('div', {class: 'timeline'}, root);
}

// ---- routing ---------------------------------------------------------------------------------------

function route() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query] = hash.split('?');
  if (path.startsWith('/trace/')) {
    showTrace(decodeURIComponent(path.slice('/trace/'.length)));
  } else {
    showList(new URLSearchParams(query || ''));
  }
}

document.getElementById('filters').addEventListener('submit', event => {
  event.preventDefault();
  const next = '#/?' + filterParams();
  if (location.hash === next) route(); else location.hash = next;
});
document.getElementById('reset').addEventListener('click', () => { location.hash = '#/'; });
window.addEventListener('hashchange', route);
route();
