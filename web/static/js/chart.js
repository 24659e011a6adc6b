// Line charts over Debian's dygraphs (window.Dygraph, loaded by index.html): one or several
// series overlaid, x = step, wall time or time since the series' first point, a log-scale y,
// smoothing (dygraphs' rollPeriod), hover values in a legend that follows the mouse, and a
// "CSV" button that saves the full series. Live points are appended in batches, drawn once per
// animation frame with updateOptions (the graph is made once); a series held past maxPoints
// asks its owner to load it again downsampled (onOverflow), so a chart never grows without end.
//
// The element gets class "metric-chart" and the test hooks of docs/webview.md: data-points
// (points held and plotted), data-total (the series' full length on the server), data-min and
// data-max (the extremes of the plotted values).
import {h, num, time, duration} from './dom.js';

const PALETTES = {
  light: ['#0a5bd3', '#d1490b', '#1a7f37', '#8250df', '#bf3989', '#0f7b8a', '#9a6700', '#57606a',
          '#cf222e', '#116329'],
  dark: ['#58a6ff', '#ff9b54', '#3fb950', '#bc8cff', '#ff7eb6', '#39c5cf', '#e3b341', '#8b949e',
         '#ff7b72', '#7ee787'],
};
const GRID = {light: '#e4e8ec', dark: '#262c33'};
const AXIS = {light: '#8c959f', dark: '#6e7681'};
const DEFAULT_MAX_POINTS = 10000;

const darkQuery = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
function theme() { return darkQuery && darkQuery.matches ? 'dark' : 'light'; }

/// A series' color from its index, readable on the current theme's background.
export function seriesColor(i) {
  const p = PALETTES[theme()];
  return p[i % p.length];
}

/// The points of `points` ({step, value, wall_time}) kept by min/max buckets: about `target`
/// points, each bucket's lowest and highest value in their order (spikes stay).
export function minmaxDecimate(points, target) {
  const n = points.length;
  if (n <= target) return points;
  const buckets = Math.max(1, Math.floor(target / 2));
  const out = [];
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor((b * n) / buckets), hi = Math.floor(((b + 1) * n) / buckets);
    if (hi <= lo) continue;
    let mi = -1, ma = -1;
    for (let i = lo; i < hi; i++) {
      const v = points[i].value;
      if (v === null || !isFinite(v)) continue;
      if (mi < 0 || v < points[mi].value) mi = i;
      if (ma < 0 || v > points[ma].value) ma = i;
    }
    if (mi < 0) continue;  // no finite value in this bucket
    if (mi === ma) out.push(points[mi]);
    else if (mi < ma) out.push(points[mi], points[ma]);
    else out.push(points[ma], points[mi]);
  }
  if (out[out.length - 1] !== points[n - 1]) out.push(points[n - 1]);  // the last stays the last
  return out;
}

// An axis label: at most 4 significant digits, no trailing zeros.
function tick(v) {
  if (typeof v !== 'number' || !isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-4)) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

// Whether point p comes after q in a series (the step, then the time it was logged).
function after(p, q) {
  return p.step > q.step || (p.step === q.step && p.wall_time > q.wall_time);
}

// The hover legend of a chart with many series: x and the highlighted series (labels are
// escaped by dygraphs: labelHTML).
function nearestLegend(data) {
  if (data.x === undefined) return '';
  const s = data.series.find((x) => x.isHighlighted) || null;
  if (!s) return data.xHTML;
  return `${data.xHTML}<br><b><span style="color: ${s.color}">${s.labelHTML}</span></b>: ${s.yHTML}`;
}

function csvCell(v) {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/// Saves `text` as a file named `filename` (a Blob behind a temporary download link).
export function saveFile(filename, text, type = 'text/csv') {
  const url = URL.createObjectURL(new Blob([text], {type}));
  const a = h('a', {href: url, download: filename, hidden: true});
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/// lineChart(el, opts) → {setSeries, append, replaceSeries, setHighlight, destroy, el}
/// opts: metric (data-metric), title, xMode ('step' | 'time' | 'relative'), logscale, smoothing,
/// height (px), maxPoints (per series, default 10,000), onOverflow(name) (load the series again
/// downsampled and hand it to replaceSeries), fetchFull(name) → all points (the CSV button),
/// csvName (or a function giving it when the CSV is saved), legend (a list of the series under
/// the chart; default: when several),
/// series colors: a CSS color or a function returning one (asked again when the theme changes),
/// highlight (a series drawn thicker), ylabel, empty (text while there is nothing to plot).
export function lineChart(el, opts = {}) {
  const maxPoints = opts.maxPoints || DEFAULT_MAX_POINTS;
  const state = {
    xMode: opts.xMode || 'step',
    logscale: !!opts.logscale,
    roll: Math.max(1, opts.smoothing || 1),
    highlight: opts.highlight || null,
  };
  const series = new Map();  // name → {name, label, color, points, total, overflowing}
  let graph = null;
  let frame = 0, timer = 0;
  let destroyed = false;

  el.classList.add('metric-chart');
  if (opts.metric !== undefined) el.dataset.metric = opts.metric;
  el.dataset.points = '0';
  el.dataset.total = '0';
  el.dataset.min = '';
  el.dataset.max = '';

  // --- the toolbar
  const xSelect = h('select', {'aria-label': 'x axis', onchange: (e) => {
    state.xMode = e.target.value;
    schedule(true);
  }}, [['step', 'step'], ['time', 'time'], ['relative', 'elapsed']].map(
      ([v, label]) => h('option', {value: v, selected: v === state.xMode}, label)));
  const logBox = h('input', {type: 'checkbox', checked: state.logscale, onchange: (e) => {
    state.logscale = e.target.checked;
    schedule(true);
  }});
  const rollOut = h('output', {class: 'chart-roll'}, String(state.roll));
  const rollInput = h('input', {type: 'range', min: 1, max: 50, value: state.roll,
                                'aria-label': 'smoothing (points averaged)', oninput: (e) => {
                                  state.roll = Number(e.target.value);
                                  rollOut.textContent = String(state.roll);
                                  schedule(true);
                                }});
  const csvButton = opts.fetchFull
      ? h('button', {type: 'button', class: 'chart-csv', title: 'Download the full series as CSV',
                     onclick: () => downloadCsv()}, 'CSV')
      : null;
  const latest = h('span', {class: 'chart-latest'});
  const tools = h('div', {class: 'chart-tools'},
                  opts.title ? h('span', {class: 'chart-title', title: opts.title}, opts.title,
                                 ' ', latest) : null,
                  h('label', {}, 'x ', xSelect),
                  h('label', {}, logBox, ' log'),
                  h('label', {title: 'smoothing: a rolling mean over N points'}, 'smooth ',
                    rollInput, rollOut),
                  csvButton);
  const plot = h('div', {class: 'chart-plot', style: {height: `${opts.height || 240}px`,
                                                      width: '100%'}});
  const empty = h('p', {class: 'muted chart-empty'}, opts.empty || 'No points yet.');
  const legend = h('div', {class: 'chart-legend'});
  el.replaceChildren(tools, plot, empty, legend);

  function xOf(p, first) {
    if (state.xMode === 'time') return p.wall_time * 1000;
    if (state.xMode === 'relative') return p.wall_time - first.wall_time;
    return p.step;
  }

  // The rows dygraphs plots: [x, y1, y2, ...] sorted by x (nulls where a series has no point).
  function rows() {
    const list = [...series.values()];
    if (list.length === 1) {
      const pts = list[0].points;
      const out = new Array(pts.length);
      let sorted = true;
      for (let i = 0; i < pts.length; i++) {
        out[i] = [xOf(pts[i], pts[0]), pts[i].value];
        if (i && out[i][0] < out[i - 1][0]) sorted = false;
      }
      if (!sorted) out.sort((a, b) => a[0] - b[0]);
      return out;
    }
    const byX = new Map();
    list.forEach((s, k) => {
      for (const p of s.points) {
        const x = xOf(p, s.points[0]);
        let row = byX.get(x);
        if (!row) {
          row = new Array(list.length + 1).fill(null);
          row[0] = x;
          byX.set(x, row);
        }
        row[k + 1] = p.value;
      }
    });
    return [...byX.values()].sort((a, b) => a[0] - b[0]);
  }

  function axisOptions() {
    const x = state.xMode === 'time'
        ? {valueFormatter: (ms) => time(ms / 1000), axisLabelFormatter: Dygraph.dateAxisLabelFormatter,
           ticker: Dygraph.dateTicker}
        : state.xMode === 'relative'
            ? {valueFormatter: (s) => duration(s), axisLabelFormatter: (s) => duration(s),
               ticker: Dygraph.numericTicks}
            : {valueFormatter: (v) => `step ${v}`, axisLabelFormatter: (v) => tick(v),
               ticker: Dygraph.numericTicks};
    return {x, y: {valueFormatter: (v) => num(v), axisLabelFormatter: (v) => tick(v),
                   axisLabelWidth: 60}};
  }

  function options() {
    const t = theme();
    const list = [...series.values()];
    const perSeries = {};
    for (const s of list) {
      const o = {};
      if (s.name === state.highlight) o.strokeWidth = 3;
      // A series of one point has no line to draw: its point is drawn (a run that logged one
      // value, overlaid in compare, was otherwise invisible).
      if (s.points.length === 1) Object.assign(o, {drawPoints: true, pointSize: 3});
      if (Object.keys(o).length) perSeries[s.label] = o;
    }
    return {
      labels: ['x', ...list.map((s) => s.label)],
      colors: list.map((s, i) => colorOf(s, i)),
      series: perSeries,
      legend: 'follow',
      labelsSeparateLines: true,
      // Many series (a sweep's trials): the hover legend names the nearest one only.
      highlightSeriesOpts: list.length > 8 ? {strokeWidth: 2.5} : undefined,
      legendFormatter: list.length > 8 ? nearestLegend : undefined,
      rollPeriod: state.roll,
      showRoller: false,
      logscale: state.logscale,
      connectSeparatedPoints: true,
      strokeWidth: 1.5,
      highlightCircleSize: 3,
      drawPoints: list.length === 1 && list[0].points.length < 60,
      pointSize: 2,
      gridLineColor: GRID[t],
      axisLineColor: AXIS[t],
      ylabel: opts.ylabel || undefined,
      height: opts.height || 240,
      axes: axisOptions(),
      animatedZooms: false,
    };
  }

  function updateAttributes() {
    let points = 0, total = 0, min = Infinity, max = -Infinity;
    for (const s of series.values()) {
      points += s.points.length;
      total += s.total;
      for (const p of s.points) {
        const v = p.value;
        if (v === null || !isFinite(v)) continue;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    el.dataset.points = String(points);
    el.dataset.total = String(total);
    el.dataset.min = min === Infinity ? '' : String(min);
    el.dataset.max = max === -Infinity ? '' : String(max);
    return points;
  }

  // A series' color: its own (a function is asked each time: one that follows the theme) or
  // the palette's by its place.
  function colorOf(s, i) {
    if (typeof s.color === 'function') return s.color();
    return s.color || PALETTES[theme()][i % PALETTES[theme()].length];
  }

  function drawLegend() {
    const list = [...series.values()];
    const show = opts.legend === undefined ? list.length > 1 : opts.legend;
    if (!show) { legend.replaceChildren(); return; }
    legend.replaceChildren(...list.map((s, i) => h('span', {class: 'chart-key'},
        h('span', {class: 'chart-swatch', style: {background: colorOf(s, i)}}),
        s.href ? h('a', {href: s.href, 'data-link': true}, s.label) : s.label)));
  }

  let needsOptions = true;
  let wasFlat = '';  // the x of a chart whose points all share one (and the x mode)
  function draw() {
    frame = 0;
    timer = 0;
    if (destroyed) return;
    const n = updateAttributes();
    // One series: its last value beside the title.
    const only = series.size === 1 ? [...series.values()][0] : null;
    const last = only && only.points[only.points.length - 1];
    latest.textContent = last ? `${num(last.value)} at step ${last.step}` : '';
    empty.hidden = n > 0;
    plot.hidden = n === 0;
    if (n === 0) {
      if (graph) { graph.destroy(); graph = null; }
      wasFlat = '';
      needsOptions = true;
      return;
    }
    const data = rows();
    // Every point at one x (runs that logged one value): dygraphs' x range would be that x
    // alone, the points on the frame's edge; a range around it instead (set and cleared only
    // when this changes: a window set each time would undo the reader's zoom).
    const x0 = data[0][0];
    const flat = data[data.length - 1][0] === x0 ? `${state.xMode}:${x0}` : '';
    const pad = state.xMode === 'time' ? 1000 : 1;
    const range = flat !== wasFlat ? {dateWindow: flat ? [x0 - pad, x0 + pad] : null} : {};
    wasFlat = flat;
    if (!graph) {
      graph = new Dygraph(plot, data, {...options(), ...range});
    } else if (needsOptions) {
      graph.updateOptions({file: data, ...options(), ...range});
    } else {
      graph.updateOptions({file: data, ...range});
    }
    if (needsOptions) drawLegend();
    needsOptions = false;
  }

  // Draws at the next animation frame (once, whatever was appended meanwhile); a hidden page
  // gets no frames, so a timer there.
  function schedule(withOptions = false) {
    if (withOptions) needsOptions = true;
    if (frame || timer || destroyed) return;
    if (document.hidden) timer = setTimeout(draw, 500);
    else frame = requestAnimationFrame(draw);
  }

  function entry(name, label, extra = {}) {
    return {name, label: label || name, color: extra.color || null, href: extra.href || null,
            points: [], total: 0, overflowing: false};
  }

  function uniqueLabel(label, name) {
    const taken = new Set([...series.values()].filter((s) => s.name !== name).map((s) => s.label));
    if (!taken.has(label) && label !== 'x') return label;
    for (let i = 2; ; i++) if (!taken.has(`${label} (${i})`)) return `${label} (${i})`;
  }

  function keepBounded(s) {
    if (s.points.length <= maxPoints) return;
    if (opts.onOverflow && !s.overflowing) {
      s.overflowing = true;
      opts.onOverflow(s.name);
    }
    // No reload (or one still on its way while points keep coming): thin the series here.
    if (!opts.onOverflow || s.points.length > 2 * maxPoints)
      s.points = minmaxDecimate(s.points, Math.floor(maxPoints / 2));
  }

  async function downloadCsv() {
    if (!opts.fetchFull) return;
    csvButton.disabled = true;
    try {
      const list = [...series.values()];
      const several = list.length > 1;
      const lines = [several ? 'series,step,value,wall_time' : 'step,value,wall_time'];
      for (const s of list) {
        const pts = await opts.fetchFull(s.name);
        for (const p of pts) {
          const cells = [p.step, p.value, p.wall_time];
          if (several) cells.unshift(s.label);
          lines.push(cells.map(csvCell).join(','));
        }
      }
      const named = typeof opts.csvName === 'function' ? opts.csvName() : opts.csvName;
      const base = named || `${opts.metric || 'series'}.csv`;
      saveFile(base.endsWith('.csv') ? base : base + '.csv', lines.join('\n') + '\n');
    } catch (e) {
      el.dispatchEvent(new CustomEvent('chart-error', {bubbles: true, detail: e}));
    } finally {
      csvButton.disabled = false;
    }
  }

  const onTheme = () => schedule(true);
  if (darkQuery) darkQuery.addEventListener('change', onTheme);

  const api = {
    el,
    /// Replaces every series: [{name, label, points, total, color, href}].
    setSeries(list) {
      series.clear();
      for (const item of list) {
        const s = entry(item.name, uniqueLabel(item.label || item.name, item.name), item);
        s.points = (item.points || []).slice();
        s.total = item.total ?? s.points.length;
        keepBounded(s);
        series.set(item.name, s);
      }
      schedule(true);
    },
    /// Adds live points to a series (made if new); points not after its last are dropped.
    append(name, points, label) {
      let s = series.get(name);
      const isNew = !s;
      if (isNew) {
        s = entry(name, uniqueLabel(label || name, name));
        series.set(name, s);
      }
      let added = 0;
      for (const p of points) {
        const last = s.points[s.points.length - 1];
        if (last && !after(p, last)) continue;
        s.points.push(p);
        added++;
      }
      if (!added && !isNew) return 0;
      s.total += added;
      keepBounded(s);
      schedule(isNew);
      return added;
    },
    /// A series loaded again (downsampled, `total` on the server): the points held after its
    /// last are kept after it.
    replaceSeries(name, points, total) {
      const s = series.get(name) || entry(name, name);
      const last = points[points.length - 1];
      const tail = last ? s.points.filter((p) => after(p, last)) : s.points;
      s.points = points.concat(tail);
      s.total = (total ?? points.length) + tail.length;
      s.overflowing = false;
      series.set(name, s);
      keepBounded(s);
      schedule(true);
    },
    /// The series drawn thicker (the best trial), or null.
    setHighlight(name) {
      if (state.highlight === name) return;
      state.highlight = name;
      schedule(true);
    },
    hasSeries(name) { return series.has(name); },
    seriesNames() { return [...series.keys()]; },
    /// Draws now (instead of at the next frame): a view that resolves once the data is drawn.
    flush() {
      if (frame) cancelAnimationFrame(frame);
      if (timer) clearTimeout(timer);
      draw();
    },
    destroy() {
      destroyed = true;
      if (frame) cancelAnimationFrame(frame);
      if (timer) clearTimeout(timer);
      if (darkQuery) darkQuery.removeEventListener('change', onTheme);
      if (graph) graph.destroy();
      graph = null;
      series.clear();
    },
  };
  return api;
}
