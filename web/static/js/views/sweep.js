// A sweep, /ui/w/{ws}/sweeps/{id} (the sweep's parent run; docs/sweeps.md): its trials sorted by
// the primary metric (#trials-table: the best marked, early-terminated ones marked), the primary
// metric of every trial over its steps (#sweep-chart), and a parallel-coordinates chart of the
// parameters → the metric (#parallel-coords, SVG drawn here). Polled every few seconds while
// the sweep or one of its trials is still going.
import {wsPath, seg, pathSegs} from '../api.js';
import {h, num, duration, status as statusBadge, page, isoTime} from '../dom.js';
import {lineChart, seriesColor} from '../chart.js';

const POLL_MS = 3000;
const HISTORY_POINTS = 1000;
const CHART_TRIALS = 100;  // trials plotted in #sweep-chart (the best ones)
const TERMINAL = new Set(['Completed', 'Failed', 'Canceled']);
const LOG_TYPES = new Set(['loguniform', 'qloguniform', 'lognormal', 'qlognormal']);
const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/// Trials best first by the goal; those without a metric last, by index.
export function sortTrials(trials, goal) {
  const sign = goal === 'minimize' ? 1 : -1;
  return [...trials].sort((a, b) => {
    const am = a.best_metric, bm = b.best_metric;
    if (am === null || am === undefined || bm === null || bm === undefined) {
      if ((am ?? null) === null && (bm ?? null) !== null) return 1;
      if ((bm ?? null) === null && (am ?? null) !== null) return -1;
      return a.index - b.index;
    }
    return am === bm ? a.index - b.index : sign * (am - bm);
  });
}

// A color for t in [0, 1] (0 the worst trial, 1 the best), readable on light and dark.
const RAMP = [[0x6e, 0x7b, 0xd9], [0x2f, 0xa8, 0x9a], [0xe8, 0x9a, 0x1a]];
export function rampColor(t) {
  t = Math.min(1, Math.max(0, t));
  const k = t < 0.5 ? 0 : 1, u = t < 0.5 ? t * 2 : (t - 0.5) * 2;
  const c = RAMP[k].map((v, i) => Math.round(v + (RAMP[k + 1][i] - v) * u));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

// One axis of the parallel coordinates: a function value → [0, 1] (1 at the top) and ticks.
function makeAxis(name, spec, values, {metric = false, goal = 'maximize'} = {}) {
  const type = spec?.type;
  const present = values.filter((v) => v !== undefined && v !== null);
  if (type === 'choice' || present.some((v) => typeof v !== 'number')) {
    const keys = [];
    const labels = new Map();
    for (const v of [...(spec?.values || []), ...present]) {
      const k = JSON.stringify(v);
      if (!labels.has(k)) { keys.push(k); labels.set(k, v); }
    }
    const pos = (k) => (keys.length < 2 ? 0.5 : keys.indexOf(k) / (keys.length - 1));
    return {name, kind: 'ordinal', at: (v) => pos(JSON.stringify(v)),
            ticks: keys.map((k) => ({at: pos(k), label: String(labels.get(k))}))};
  }
  let lo = Math.min(...present), hi = Math.max(...present);
  if (type === 'uniform' || type === 'quniform') {
    lo = Math.min(lo, spec.min_value);
    hi = Math.max(hi, spec.max_value);
  } else if (type === 'loguniform' || type === 'qloguniform') {
    lo = Math.min(lo, Math.exp(spec.min_value));
    hi = Math.max(hi, Math.exp(spec.max_value));
  } else if (type === 'randint') {
    lo = Math.min(lo, 0);
    hi = Math.max(hi, spec.upper - 1);
  }
  if (!present.length && !isFinite(lo)) { lo = 0; hi = 1; }
  const log = LOG_TYPES.has(type) && lo > 0;
  const f = log ? Math.log : (x) => x;
  const a = f(lo), b = f(hi);
  let at = (v) => (b === a ? 0.5 : (f(v) - a) / (b - a));
  if (metric && goal === 'minimize') { const up = at; at = (v) => 1 - up(v); }
  const mid = log ? Math.sqrt(lo * hi) : (lo + hi) / 2;
  const ticks = (lo === hi ? [lo] : [lo, mid, hi]).map((v) => ({at: at(v), label: num(v)}));
  return {name, kind: log ? 'log' : 'linear', at, ticks};
}

export function parallelCoordinates(sweep, trials, ws) {
  const space = sweep.search_space || {};
  const params = [...new Set([...Object.keys(space), ...trials.flatMap((t) =>
    Object.keys(t.parameters || {}))])];
  const metricName = sweep.primary_metric;
  const axes = params.map((p) => makeAxis(p, space[p], trials.map((t) => t.parameters?.[p])));
  const metricValues = trials.map((t) => t.best_metric).filter((v) => v !== null && v !== undefined);
  axes.push(makeAxis(metricName, null, metricValues, {metric: true, goal: sweep.goal}));

  const W = Math.max(560, 150 * axes.length), H = 320;
  const pad = {l: 70, r: 70, t: 36, b: 24};
  const x = (i) => pad.l + (axes.length < 2 ? 0 : (i * (W - pad.l - pad.r)) / (axes.length - 1));
  const y = (u) => pad.t + (1 - u) * (H - pad.t - pad.b);
  const lo = Math.min(...metricValues), hi = Math.max(...metricValues);
  const goodness = (m) => {
    if (m === null || m === undefined || !metricValues.length) return null;
    if (hi === lo) return 1;
    const t = (m - lo) / (hi - lo);
    return sweep.goal === 'minimize' ? 1 - t : t;
  };

  const svg = s('svg', {viewBox: `0 0 ${W} ${H}`, role: 'img', class: 'parcoords',
                        'aria-label': `Parallel coordinates: ${params.join(', ')} → ${metricName}`,
                        preserveAspectRatio: 'xMidYMid meet'});
  const lines = s('g', {class: 'pc-lines'});
  const ordered = [...trials].sort((a, b) => (a.id === sweep.best_trial) - (b.id === sweep.best_trial) ||
                                             (goodness(a.best_metric) ?? -1) - (goodness(b.best_metric) ?? -1));
  for (const t of ordered) {
    const pts = [];
    axes.forEach((ax, i) => {
      const v = i === axes.length - 1 ? t.best_metric : t.parameters?.[ax.name];
      if (v === undefined || v === null || (typeof v === 'number' && !isFinite(v))) return;
      pts.push(`${x(i).toFixed(1)},${y(ax.at(v)).toFixed(1)}`);
    });
    if (pts.length < 2) continue;
    const g = goodness(t.best_metric);
    const best = t.id === sweep.best_trial;
    const desc = `trial ${t.index}: ` + params.map((p) => `${p}=${t.parameters?.[p] === undefined
        ? '–' : typeof t.parameters[p] === 'number' ? num(t.parameters[p]) : t.parameters[p]}`).join(', ') +
        ` → ${metricName} ${t.best_metric === null ? '(none)' : num(t.best_metric)}` +
        (t.early_terminated ? ' (stopped early)' : '') + (best ? ' — best' : '');
    lines.append(s('a', {href: page(ws, 'runs', t.id), 'data-link': '', 'aria-label': desc},
      s('polyline', {points: pts.join(' '), fill: 'none',
                     class: `pc-line${best ? ' pc-best' : ''}${g === null ? ' pc-none' : ''}` +
                            `${t.early_terminated ? ' pc-early' : ''}`,
                     stroke: best ? null : g === null ? null : rampColor(g),
                     'data-trial': t.id}, s('title', {}, desc))));
  }
  const axesG = s('g', {class: 'pc-axes'});
  axes.forEach((ax, i) => {
    const isMetric = i === axes.length - 1;
    axesG.append(s('line', {x1: x(i), x2: x(i), y1: y(0), y2: y(1), class: 'pc-axis'}),
                 s('text', {x: x(i), y: 16, class: 'pc-name', 'text-anchor': 'middle'},
                   ax.name + (ax.kind === 'log' ? ' (log)' : '') +
                   (isMetric ? (sweep.goal === 'minimize' ? ' ↓' : ' ↑') : '')));
    for (const tk of ax.ticks) {
      const anchor = i === axes.length - 1 ? 'start' : 'end';
      const dx = anchor === 'start' ? 6 : -6;
      axesG.append(s('line', {x1: x(i) - 3, x2: x(i) + 3, y1: y(tk.at), y2: y(tk.at), class: 'pc-axis'}),
                   s('text', {x: x(i) + dx, y: y(tk.at) + 4, class: 'pc-tick', 'text-anchor': anchor},
                     tk.label));
    }
  });
  svg.append(axesG, lines);
  return svg;
}

export async function render(root, route, ctx) {
  const {api} = ctx;
  const ws = route.ws;
  const id = route.params.id;
  const base = wsPath(ws, `runs/${seg(id)}`);
  document.title = `${id} · sweeps · Glia`;
  let run = await api.get(base);
  document.title = `Sweep ${run.display_name || run.id} · Glia`;
  if (!run.sweep) {
    root.append(h('h1', {}, run.display_name || run.id),
                h('p', {}, 'This run is not a sweep. ',
                  h('a', {href: page(ws, 'runs', id), 'data-link': true}, 'Open the run')));
    return;
  }
  let closed = false;
  let timer = 0;

  const badge = h('span', {id: 'sweep-status'});
  const summary = h('dl', {class: 'props', id: 'sweep-summary'});
  const head = h('header', {class: 'run-head'},
                 h('div', {class: 'run-title'}, h('h1', {}, 'Sweep ', run.display_name || run.id, ' ', badge),
                   h('div', {class: 'run-links muted'},
                     h('span', {}, 'experiment ', h('a', {href: page(ws, 'experiments', run.experiment),
                                                          'data-link': true}, run.experiment)),
                     ' · ', h('a', {href: page(ws, 'runs', id), 'data-link': true}, 'the sweep run\'s details and log'))));
  const chartEl = h('div', {id: 'sweep-chart'});
  const chart = lineChart(chartEl, {
    metric: run.sweep.primary_metric, legend: false, height: 300, maxPoints: 5000,
    empty: 'No trial has logged the primary metric yet.',
    csvName: `${id}-${run.sweep.primary_metric}.csv`,
    fetchFull: async (trialId) => (await api.get(
        `${wsPath(ws, `runs/${seg(trialId)}`)}/metrics/${pathSegs(run.sweep.primary_metric)}`)).points,
  });
  chartEl.addEventListener('chart-error', (e) => ctx.toast(e.detail.message, 'error'));
  const pc = h('div', {id: 'parallel-coords', class: 'parcoords-box'});
  const table = h('table', {id: 'trials-table'});
  root.append(head,
              h('section', {class: 'card'}, summary),
              h('div', {class: 'grid sweep-grid'},
                h('section', {class: 'card'}, h('h2', {}, `${run.sweep.primary_metric} of every trial`),
                  chartEl),
                h('section', {class: 'card'}, h('h2', {}, 'Parameters → ', run.sweep.primary_metric), pc,
                  h('div', {class: 'pc-legend muted'}, 'worse ',
                    h('span', {class: 'pc-ramp', style: {background:
                      `linear-gradient(90deg, ${rampColor(0)}, ${rampColor(0.5)}, ${rampColor(1)})`}}),
                    ' better · thick: the best trial · dashed: stopped early'))),
              h('h2', {}, 'Trials'),
              h('div', {class: 'table-scroll card'}, table));

  function drawSummary() {
    const sw = run.sweep;
    badge.replaceChildren(statusBadge(run.status));
    const done = sw.trials.filter((t) => TERMINAL.has(t.status)).length;
    const early = sw.trials.filter((t) => t.early_terminated).length;
    const best = sw.trials.find((t) => t.id === sw.best_trial);
    summary.replaceChildren(
        h('dt', {}, 'Objective'), h('dd', {}, `${sw.goal} ${sw.primary_metric}`),
        h('dt', {}, 'Best trial'), h('dd', {}, best
            ? [h('a', {href: page(ws, 'runs', best.id), 'data-link': true}, `trial ${best.index}`),
               ` — ${sw.primary_metric} ${num(sw.best_metric)}`] : '—'),
        h('dt', {}, 'Trials'), h('dd', {}, `${sw.trials.length} of at most ${sw.max_total_trials} ` +
                                          `(${done} ended, ${early} stopped early; ` +
                                          `${sw.max_concurrent_trials} at once)`),
        h('dt', {}, 'Sampling'), h('dd', {}, sw.sampling_algorithm +
                                           (sw.seed !== null ? ` (seed ${sw.seed})` : '')),
        h('dt', {}, 'Early termination'), h('dd', {}, sw.early_termination || 'none'),
        h('dt', {}, 'Started'), h('dd', {}, isoTime(run.started_at) +
            (run.duration_seconds !== undefined ? ` (${duration(run.duration_seconds)})` : '')),
        ...(run.error ? [h('dt', {}, 'Error'), h('dd', {class: 'error'}, run.error)] : []));
  }

  function drawTable() {
    const sw = run.sweep;
    const params = [...new Set([...Object.keys(sw.search_space || {}),
                                ...sw.trials.flatMap((t) => Object.keys(t.parameters || {}))])];
    const sorted = sortTrials(sw.trials, sw.goal);
    table.replaceChildren(
        h('thead', {}, h('tr', {}, h('th', {class: 'num'}, '#'), h('th', {}, 'Trial'),
                         h('th', {}, 'Status'),
                         params.map((p) => h('th', {class: 'num'}, p)),
                         h('th', {class: 'num', 'aria-sort': sw.goal === 'minimize' ? 'ascending' : 'descending'},
                           `${sw.primary_metric} (best)`),
                         h('th', {class: 'num'}, 'Intervals'), h('th', {}, 'Note'))),
        h('tbody', {}, sorted.map((t) => {
          const best = t.id === sw.best_trial;
          return h('tr', {'data-testid': 'trial-row', 'data-run-id': t.id,
                          'data-best': best ? 'true' : 'false',
                          'data-early-terminated': t.early_terminated ? 'true' : 'false',
                          class: best ? 'best' : ''},
                   h('td', {class: 'num'}, String(t.index)),
                   h('td', {}, h('a', {href: page(ws, 'runs', t.id), 'data-link': true}, t.id),
                     best ? h('span', {class: 'trial-badge best-badge', title: 'the best trial'}, ' ★ best') : ''),
                   h('td', {}, statusBadge(t.status)),
                   params.map((p) => h('td', {class: 'num'}, num(t.parameters?.[p]))),
                   h('td', {class: 'num'}, t.best_metric === null ? '' : num(t.best_metric)),
                   h('td', {class: 'num'}, String(t.intervals ?? '')),
                   h('td', {class: 'note'}, t.early_terminated
                       ? h('span', {class: 'trial-badge early-badge', title: t.early_terminated},
                           'stopped early: ', t.early_terminated) : ''));
        })));
  }

  function drawParallel() {
    const trials = run.sweep.trials;
    pc.replaceChildren(trials.length ? parallelCoordinates(run.sweep, trials, ws)
                                     : h('p', {class: 'muted'}, 'No trials yet.'));
  }

  // The chart: the trials' primary metric, loaded again for a trial whose intervals changed.
  const seen = new Map();  // trial id → intervals loaded
  async function loadChart() {
    const sw = run.sweep;
    const plotted = sortTrials(sw.trials, sw.goal).filter((t) => t.intervals > 0).slice(0, CHART_TRIALS);
    const stale = plotted.filter((t) => seen.get(t.id) !== t.intervals);
    const fetched = await Promise.all(stale.map(async (t) => {
      try {
        return await api.get(`${wsPath(ws, `runs/${seg(t.id)}`)}/metrics/${pathSegs(sw.primary_metric)}`,
                             {max_points: HISTORY_POINTS, method: 'minmax'});
      } catch (e) {
        return null;
      }
    }));
    if (closed) return;
    const keep = new Set(plotted.map((t) => t.id));
    const changedSet = !chart.seriesNames().every((n) => keep.has(n)) ||
                       plotted.some((t) => !chart.hasSeries(t.id));
    const byId = new Map(stale.map((t, i) => [t.id, fetched[i]]));
    if (changedSet) {
      // Series made again in the order of the trials (colors stay with the index).
      const previous = new Map(chart.seriesNames().map((n) => [n, null]));
      const list = [];
      for (const t of [...plotted].sort((a, b) => a.index - b.index)) {
        const r = byId.get(t.id);
        if (r) seen.set(t.id, t.intervals);
        list.push({name: t.id, label: `trial ${t.index}`, href: page(ws, 'runs', t.id),
                   color: t.id === sw.best_trial ? () => seriesColor(0) : rampColor(goodness(t)),
                   points: r ? r.points : (cache.get(t.id) || []), total: r ? r.total : undefined});
        if (r) cache.set(t.id, r.points);
        previous.delete(t.id);
      }
      for (const n of previous.keys()) cache.delete(n);
      chart.setSeries(list);
    } else {
      for (const t of stale) {
        const r = byId.get(t.id);
        if (!r) continue;
        seen.set(t.id, t.intervals);
        cache.set(t.id, r.points);
        chart.replaceSeries(t.id, r.points, r.total);
      }
    }
    chart.setHighlight(sw.best_trial);
    chart.flush();
  }
  const cache = new Map();  // trial id → its last loaded points (the chart's own copy)
  // 0 for the worst best metric of the trials, 1 for the best (their colors).
  function goodness(t) {
    const values = run.sweep.trials.map((x) => x.best_metric).filter((v) => v !== null);
    const lo = Math.min(...values), hi = Math.max(...values);
    if (t.best_metric === null || !values.length) return 0;
    if (hi === lo) return 1;
    const u = (t.best_metric - lo) / (hi - lo);
    return run.sweep.goal === 'minimize' ? 1 - u : u;
  }

  function active() {
    return !TERMINAL.has(run.status) || run.sweep.trials.some((t) => !TERMINAL.has(t.status));
  }

  async function poll() {
    timer = 0;
    if (closed) return;
    try {
      const next = await api.get(base);
      if (closed) return;
      run = next;
      drawSummary();
      drawTable();
      drawParallel();
      await loadChart();
    } catch (e) {
      if (!closed) ctx.toast(e.message, 'error');
    }
    if (!closed && active()) timer = setTimeout(poll, POLL_MS);
  }

  drawSummary();
  drawTable();
  drawParallel();
  await loadChart();
  if (active()) timer = setTimeout(poll, POLL_MS);
  return () => {
    closed = true;
    if (timer) clearTimeout(timer);
    chart.destroy();
    cache.clear();
  };
}
