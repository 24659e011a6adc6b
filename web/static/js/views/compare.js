// Compare runs, /ui/w/{ws}/compare?runs=A,B,C&metric=NAME: one metric of every run overlaid in
// one chart (#compare-chart), a picker over the union of the runs' metrics, and a table of
// their parameters and latest metrics (#compare-table; a row whose values differ is marked).
import {wsPath, seg, pathSegs} from '../api.js';
import {h, num, duration, status as statusBadge, page, isoTime} from '../dom.js';
import {lineChart} from '../chart.js';

const HISTORY_POINTS = 2000;

export async function render(root, route, ctx) {
  const {api} = ctx;
  const ws = route.ws;
  const ids = [...new Set((route.query.get('runs') || '').split(',').map((s) => s.trim())
                            .filter(Boolean))];
  document.title = `Compare runs · ${ws} · Glia`;
  root.append(h('h1', {}, 'Compare runs'));
  if (!ids.length) {
    root.append(h('p', {class: 'muted'}, 'No runs to compare: select runs in an experiment\'s ' +
                                         'runs table and press Compare.'));
    return;
  }
  const runPath = (id) => wsPath(ws, `runs/${seg(id)}`);
  const runs = [];
  const missing = [];
  for (const [i, r] of (await Promise.allSettled(ids.map((id) => api.get(runPath(id))))).entries()) {
    if (r.status === 'fulfilled') runs.push(r.value);
    else missing.push(`${ids[i]}: ${r.reason.message}`);
  }
  if (missing.length) ctx.toast(`Not shown: ${missing.join('; ')}`, 'error');
  if (!runs.length) {
    root.append(h('p', {class: 'muted'}, 'None of these runs could be read.'));
    return;
  }

  // Labels: the display name, with the id where two runs share one.
  const counts = {};
  for (const r of runs) counts[r.display_name || r.id] = (counts[r.display_name || r.id] || 0) + 1;
  const label = (r) => {
    const name = r.display_name || r.id;
    return counts[name] > 1 && name !== r.id ? `${name} (${r.id})` : name;
  };

  const names = [...new Set(runs.flatMap((r) => Object.keys(r.metrics || {})))].sort();
  const inAll = names.filter((n) => runs.every((r) => n in (r.metrics || {})));
  let metric = route.query.get('metric');
  if (!names.includes(metric)) metric = inAll[0] || names[0] || null;

  // ---------------------------------------------------------------- chart
  const picker = h('select', {id: 'compare-metric', 'aria-label': 'Metric', onchange: (e) => {
    metric = e.target.value;
    const q = new URLSearchParams(location.search);
    q.set('metric', metric);
    history.replaceState(null, '', `${location.pathname}?${q}`);
    loadChart().catch((err) => ctx.toast(err.message, 'error'));
  }}, names.map((n) => h('option', {value: n, selected: n === metric}, n)));
  const chartEl = h('div', {id: 'compare-chart'});
  const chart = lineChart(chartEl, {
    metric: metric || '', legend: true, height: 320, empty: 'No runs logged this metric.',
    csvName: () => `compare-${metric}.csv`,  // the metric picked when the CSV is saved
    fetchFull: async (id) => (await api.get(`${runPath(id)}/metrics/${pathSegs(metric)}`)).points,
  });
  chartEl.addEventListener('chart-error', (e) => ctx.toast(e.detail.message, 'error'));
  root.append(h('div', {class: 'toolbar'}, h('label', {}, 'Metric ', picker),
                h('span', {class: 'muted'}, `${runs.length} runs`)),
              h('section', {class: 'card'}, chartEl));

  let loadId = 0;
  async function loadChart() {
    const mine = ++loadId;
    chartEl.dataset.metric = metric || '';
    if (!metric) { chart.setSeries([]); chart.flush(); return; }
    const withMetric = runs.filter((r) => metric in (r.metrics || {}));
    const histories = await Promise.all(withMetric.map((r) =>
        api.get(`${runPath(r.id)}/metrics/${pathSegs(metric)}`,
                {max_points: HISTORY_POINTS, method: 'minmax'})));
    if (mine !== loadId) return;
    chart.setSeries(withMetric.map((r, i) => ({
      name: r.id, label: label(r), points: histories[i].points, total: histories[i].total,
      href: page(ws, 'runs', r.id)})));
    chart.flush();
  }

  // ---------------------------------------------------------------- table
  const table = h('table', {id: 'compare-table', class: 'compare-table'});
  const onlyDiff = h('input', {type: 'checkbox', onchange: (e) =>
    table.classList.toggle('only-differing', e.target.checked)});
  root.append(h('h2', {}, 'Parameters and metrics'),
              h('div', {class: 'toolbar'}, h('label', {}, onlyDiff, ' only rows that differ')),
              h('div', {class: 'table-scroll card'}, table));

  const head = h('tr', {}, h('th', {}, ''), runs.map((r) => h('th', {'data-run-id': r.id},
      h('a', {href: page(ws, 'runs', r.id), 'data-link': true}, label(r)))));
  const rows = [];
  const section = (title) => rows.push(h('tr', {class: 'section'},
                                          h('th', {colspan: runs.length + 1}, title)));
  // A row; one whose values differ is marked (not the run's own facts: status, times).
  const row = (name, values, {numeric = false, mark = true} = {}) => {
    const text = values.map((v) => (v === undefined || v === null ? '' : numeric ? num(v) : String(v)));
    const differs = mark && new Set(values.map((v) => JSON.stringify(v ?? null))).size > 1;
    rows.push(h('tr', {class: differs ? 'differs' : '', 'data-differs': differs ? 'true' : 'false'},
                h('th', {scope: 'row'}, name),
                text.map((t) => h('td', {class: numeric ? 'num' : ''}, t))));
  };
  row('Status', runs.map((r) => r.status), {mark: false});
  rows[rows.length - 1].querySelectorAll('td').forEach((td, i) =>
    td.replaceChildren(statusBadge(runs[i].status)));
  row('Experiment', runs.map((r) => r.experiment), {mark: false});
  row('Created', runs.map((r) => isoTime(r.created_at)), {mark: false});
  row('Duration', runs.map((r) => (r.duration_seconds === undefined ? '' : duration(r.duration_seconds))),
      {mark: false});

  const union = (key) => [...new Set(runs.flatMap((r) => Object.keys(r[key] || {})))].sort();
  const params = union('params'), trial = union('parameters'), inputs = union('inputs');
  if (params.length || trial.length || inputs.length) section('Parameters');
  for (const p of params) row(p, runs.map((r) => r.params?.[p]));
  for (const p of trial) row(p, runs.map((r) => r.parameters?.[p]));
  for (const p of inputs) {
    row(`inputs.${p}`, runs.map((r) => {
      const v = r.inputs?.[p];
      return typeof v === 'object' && v !== null ? JSON.stringify(v) : v;
    }));
  }
  const tags = union('tags');
  if (tags.length) section('Tags');
  for (const t of tags) row(t, runs.map((r) => r.tags?.[t]));
  if (names.length) section('Metrics (latest value)');
  for (const n of names) row(n, runs.map((r) => r.metrics?.[n]?.value), {numeric: true});
  table.append(h('thead', {}, head), h('tbody', {}, rows));

  try {
    await loadChart();
  } catch (e) {
    chart.destroy();
    throw e;
  }
  return () => {
    loadId++;  // a load still on its way draws nothing
    chart.destroy();
  };
}
