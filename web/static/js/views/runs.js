// An experiment's runs table, smooth at 100,000 runs: the server filters, sorts and pages
// (GET .../runs/search, keyset pages loaded as the user scrolls), and the table is virtualized —
// only the rows in view (and a margin) exist in the DOM, each of a fixed height, between two
// spacer rows sized from the total. The sort, filter, status and tag live in the URL query.
import {wsPath} from '../api.js';
import {duration, h, num, page, seconds, showError, status, time} from '../dom.js';

const PAGE = 200;         // rows per request while scrolling
const CATCH_UP = 1000;    // rows per request when the view jumped far past what is loaded
const MARGIN = 15;        // rows drawn above and below the visible ones
const MAX_DISCOVERED = 8; // metric and param columns found on the first page, each
const MAX_COMPARE = 50;   // runs in one comparison (their ids travel in the URL)
const STATUSES = ['NotStarted', 'Queued', 'Preparing', 'Starting', 'Running', 'Finalizing',
                  'CancelRequested', 'Completed', 'Failed', 'Canceled'];

/// A key as MLflow's filter and order_by syntax take it: `quoted` unless a plain identifier.
export function quoteKey(k) {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : '`' + k.replace(/`/g, '') + '`';
}
function quoteValue(v) { return `'${String(v).replace(/'/g, "''")}'`; }

/// "metrics.loss ASC" → {key: 'metrics.loss', dir: 'ASC'}.
function parseSort(text) {
  const m = /^(.*?)(?:\s+(ASC|DESC))?$/i.exec((text || '').trim());
  return m && m[1] ? {key: m[1], dir: (m[2] || 'ASC').toUpperCase()} : null;
}

/// The filter the server gets: the free expression, the status and the tag, joined by "and".
export function combinedFilter({filter, status: st, tag}) {
  const parts = [];
  if (filter && filter.trim()) parts.push(filter.trim());
  if (st) parts.push(`attributes.status = ${quoteValue(st)}`);
  if (tag && tag.trim()) {
    const t = tag.trim();
    const eq = t.indexOf('=');
    if (eq < 0) parts.push(`tags.${quoteKey(t)} LIKE '%'`);
    else parts.push(`tags.${quoteKey(t.slice(0, eq).trim())} = ${quoteValue(t.slice(eq + 1).trim())}`);
  }
  return parts.join(' and ');
}

// Only what the table shows is kept of each run (100,000 of them may be loaded).
function slim(run) {
  return {
    id: run.id, name: run.display_name || '', status: run.status,
    started: seconds(run.started_at), created: seconds(run.created_at),
    duration: run.duration_seconds, metrics: run.metrics || {}, params: run.params || {},
    sweep: run.job_type === 'sweep' || !!run.sweep, parent: run.parent || '',
  };
}

export async function render(root, route, ctx) {
  const {ws} = route;
  const exp = route.params.exp;
  document.title = `${exp} · runs · Glia`;
  const state = {
    sort: route.query.get('sort') || '',
    filter: route.query.get('filter') || '',
    status: route.query.get('status') || '',
    tag: route.query.get('tag') || '',
  };
  const colsKey = `glia.runs.columns.${ws}.${exp}`;
  let hidden;
  try { hidden = new Set(JSON.parse(localStorage.getItem(colsKey) || '[]')); } catch (_) { hidden = new Set(); }

  // ---- the page's parts ----
  const totalEl = h('span', {id: 'runs-total', class: 'muted'}, '');
  const statusSel = h('select', {id: 'runs-status', 'aria-label': 'Status'},
                      h('option', {value: ''}, 'Any status'),
                      STATUSES.map((s) => h('option', {value: s, selected: s === state.status}, s)));
  const filterIn = h('input', {id: 'runs-filter', type: 'search', 'data-filter': true, spellcheck: 'false',
                               value: state.filter, 'aria-label': 'Filter expression',
                               placeholder: "metrics.accuracy > 0.9 and params.lr = '0.01'   ( / )"});
  const tagIn = h('input', {id: 'runs-tag', type: 'search', value: state.tag, 'aria-label': 'Tag',
                            placeholder: 'tag=value', size: 14});
  const form = h('form', {class: 'filter-form', role: 'search'}, statusSel, filterIn, tagIn,
                 h('button', {type: 'submit'}, 'Apply'));
  const errorEl = h('div', {id: 'runs-error', role: 'alert', hidden: true});
  const compareBtn = h('button', {id: 'compare-selected', class: 'primary', disabled: true,
                                  title: 'Select two or more runs'}, 'Compare');
  const columnsMenu = h('details', {class: 'menu'}, h('summary', {}, 'Columns'));
  const columnsList = h('div', {class: 'menu-body'});
  columnsMenu.append(columnsList);
  const clearSel = h('button', {class: 'link', hidden: true}, 'Clear selection');
  const refreshBtn = h('button', {id: 'runs-refresh', title: 'Load the runs again (new runs, new values)'}, 'Refresh');
  const thead = h('thead', {});
  const tbody = h('tbody', {});
  const tableEl = h('table', {id: 'runs-table', class: 'virtual', 'data-own-keys': true,
                              'aria-rowcount': 0}, h('colgroup', {}), thead, tbody);
  const scroller = h('div', {id: 'runs-scroll', class: 'scroller', tabindex: 0,
                             'aria-label': 'Runs (j/k or arrows to move, Enter to open, x to select)'},
                     tableEl);
  const emptyEl = h('div', {class: 'empty', 'data-testid': 'empty', hidden: true});
  root.append(h('div', {class: 'view-head'},
                h('h1', {}, h('a', {href: page(ws, 'experiments'), 'data-link': true, class: 'muted'},
                              'Experiments'), ' / ', exp),
                totalEl),
              h('div', {class: 'toolbar'}, form, columnsMenu, refreshBtn, h('span', {class: 'spacer'}),
                clearSel, compareBtn),
              errorEl, scroller, emptyEl);

  // ---- columns ----
  const baseCols = [
    {key: 'select', label: '', width: 40},
    {key: 'name', label: 'Run', sort: 'attributes.run_name', width: 260},
    {key: 'status', label: 'Status', sort: 'attributes.status', width: 120},
    {key: 'started', label: 'Started', sort: 'attributes.start_time', width: 175},
    {key: 'duration', label: 'Duration', width: 110, num: true},
  ];
  const metricNames = [], paramNames = [];
  function discover(runs) {
    const count = (names, field) => {
      const freq = new Map();
      for (const r of runs) for (const k of Object.keys(r[field])) freq.set(k, (freq.get(k) || 0) + 1);
      const found = [...freq.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
                                       .map(([k]) => k).filter((k) => !names.includes(k));
      names.push(...found.slice(0, Math.max(0, MAX_DISCOVERED - names.length)));
    };
    count(metricNames, 'metrics');
    count(paramNames, 'params');
    // A sort by a metric or param not discovered still shows its column.
    const s = parseSort(state.sort);
    const m = s && /^(metrics|params)\.`?(.*?)`?$/.exec(s.key);
    if (m) { const list = m[1] === 'metrics' ? metricNames : paramNames; if (!list.includes(m[2])) list.push(m[2]); }
  }
  function allCols() {
    return [...baseCols,
            ...metricNames.map((n) => ({key: 'm:' + n, label: n, metric: n, num: true, width: 110,
                                       sort: 'metrics.' + quoteKey(n)})),
            ...paramNames.map((n) => ({key: 'p:' + n, label: n, param: n, width: 110,
                                      sort: 'params.' + quoteKey(n)}))];
  }
  let cols = [];
  function drawHead() {
    cols = allCols().filter((c) => !hidden.has(c.key));
    const sort = parseSort(state.sort);
    tableEl.querySelector('colgroup').replaceChildren(...cols.map((c) => h('col', {style: {width: c.width + 'px'}})));
    tableEl.style.width = cols.reduce((s, c) => s + c.width, 0) + 'px';
    const selectAll = h('input', {type: 'checkbox', 'aria-label': 'Select the loaded runs',
                                  'data-testid': 'run-select-all', onchange: (e) => {
                                    for (const r of rows) if (r) e.target.checked ? selected.add(r.id) : selected.delete(r.id);
                                    selectionChanged();
                                  }});
    thead.replaceChildren(h('tr', {}, cols.map((c) => {
      if (c.key === 'select') return h('th', {scope: 'col'}, selectAll);
      const attrs = {scope: 'col', class: [c.num ? 'num' : '', c.metric ? 'metric' : '', c.param ? 'param' : ''].join(' ').trim() || undefined,
                     title: c.metric ? `metric ${c.metric}` : c.param ? `parameter ${c.param}` : undefined};
      if (c.sort) {
        attrs['data-sort'] = c.sort;
        attrs['aria-sort'] = sort && sort.key === c.sort ? (sort.dir === 'DESC' ? 'descending' : 'ascending') : 'none';
        attrs.tabindex = 0;
        attrs.onclick = () => sortBy(c);
        attrs.onkeydown = (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sortBy(c); } };
      }
      return h('th', attrs, c.label);
    })));
    columnsList.replaceChildren(...allCols().filter((c) => c.key !== 'select' && c.key !== 'name').map((c) =>
      h('label', {class: 'check'}, h('input', {type: 'checkbox', checked: !hidden.has(c.key), onchange: (e) => {
        if (e.target.checked) hidden.delete(c.key); else hidden.add(c.key);
        try { localStorage.setItem(colsKey, JSON.stringify([...hidden])); } catch (_) { /* private mode */ }
        drawHead();
        rowCache.clear();
        paint(true);
      }}), c.metric ? `metric ${c.label}` : c.param ? `param ${c.label}` : c.label)));
  }

  function sortBy(c) {
    const cur = parseSort(state.sort);
    const dir = cur && cur.key === c.sort ? (cur.dir === 'ASC' ? 'DESC' : 'ASC')
                                          : (c.metric || c.key === 'started' ? 'DESC' : 'ASC');
    state.sort = `${c.sort} ${dir}`;
    reload();
  }

  // ---- data ----
  let rows = [];           // slim runs, in the table's order
  let total = 0;
  let token = '';
  let done = false;
  let loading = null;      // the page request in flight
  let controller = new AbortController();
  let rowH = 33;
  let headH = 0;
  let painted = false;
  let cursor = -1;
  const selected = new Set();
  const rowCache = new Map(); // run id → <tr> drawn

  function pushUrl() {
    const q = new URLSearchParams();
    for (const k of ['sort', 'filter', 'status', 'tag']) if (state[k]) q.set(k, state[k]);
    const s = q.toString();
    history.replaceState(null, '', location.pathname + (s ? '?' + s : ''));
  }

  async function fetchPage(limit) {
    const query = {experiment: exp, limit};
    const f = combinedFilter(state);
    if (f) query.filter = f;
    if (state.sort) query.order_by = state.sort;
    if (token) query.page_token = token;
    return ctx.api.get(wsPath(ws, 'runs/search'), query, controller.signal);
  }

  // Loads pages in order until `n` rows are there (keyset pages cannot be skipped).
  function loadUntil(n) {
    if (loading || done || rows.length >= n) return loading;
    const signal = controller.signal;
    loading = (async () => {
      try {
        while (!done && rows.length < n && !signal.aborted) {
          const res = await fetchPage(n - rows.length > 2 * PAGE ? CATCH_UP : PAGE);
          if (signal.aborted) return;
          const page = (res.runs || []).map(slim);
          if (!rows.length) {
            discover(page);
            drawHead();
          }
          rows.push(...page);
          token = res.next_page_token || '';
          done = !token || !page.length;
          total = done ? rows.length : Math.max(res.total ?? 0, rows.length);
          showTotal();
          paint();
        }
      } catch (e) {
        if (signal.aborted) return;
        failed(e);
      } finally {
        if (!signal.aborted) {
          loading = null;
          paint();  // the view may have moved on past what was asked for
        }
      }
    })();
    return loading;
  }

  // A refused filter or a failed page: the message above the table (and in the toast); the
  // table keeps the rows it has (Refresh tries again).
  function failed(e) {
    done = true;
    errorEl.hidden = false;
    errorEl.replaceChildren(h('strong', {}, e.status === 400 ? 'The filter or sort was refused: '
                                            : rows.length ? 'Could not load more runs: ' : 'Error: '),
                            e.message);
    ctx.toast(e.message, 'error');
    total = rows.length;
    showTotal();
    paint(true);
  }

  function showTotal() {
    totalEl.textContent = `${total.toLocaleString()} run${total === 1 ? '' : 's'}` +
                          (!done && rows.length < total ? ` · ${rows.length.toLocaleString()} loaded` : '');
    tableEl.setAttribute('aria-rowcount', String(total + 1));
    const nothing = done && !rows.length && errorEl.hidden;
    emptyEl.hidden = !nothing;
    if (nothing) {
      const filtered = combinedFilter(state);
      emptyEl.replaceChildren(h('div', {}, h('p', {}, filtered ? 'No run matches the filter.' : 'This experiment has no runs yet.'),
                              filtered ? h('button', {onclick: () => { Object.assign(state, {filter: '', status: '', tag: ''});
                                                                       filterIn.value = tagIn.value = statusSel.value = ''; reload(); }},
                                           'Clear the filter') : null));
    }
    scroller.hidden = nothing;
  }

  function reload() {
    controller.abort();
    controller = new AbortController();
    loading = null;
    rows = [];
    total = 0;
    token = '';
    done = false;
    cursor = -1;
    rowCache.clear();
    errorEl.hidden = true;
    pushUrl();
    drawHead();
    scroller.scrollTop = 0;
    totalEl.textContent = 'Loading…';
    paint(true);
    return loadUntil(PAGE);
  }

  // ---- drawing ----
  function cell(c, r) {
    switch (c.key) {
      case 'select':
        return h('td', {class: 'select'}, h('input', {type: 'checkbox', 'data-testid': 'run-select',
                                                      'aria-label': `Select ${r.name || r.id}`,
                                                      checked: selected.has(r.id), 'data-run-id': r.id}));
      case 'name': {
        const href = r.sweep ? page(ws, 'sweeps', r.id) : page(ws, 'runs', r.id);
        return h('td', {class: 'name', title: `${r.name} (${r.id})`},
                 h('a', {href, 'data-link': true, 'data-testid': 'run-link'}, r.name || r.id),
                 r.sweep ? h('span', {class: 'badge'}, 'sweep') : null,
                 r.parent ? h('a', {href: page(ws, 'sweeps', r.parent), 'data-link': true, class: 'badge',
                                    title: `trial of sweep ${r.parent}`}, 'trial') : null,
                 r.name && r.name !== r.id ? h('span', {class: 'muted id'}, r.id) : null);
      }
      case 'status': return h('td', {}, status(r.status));
      case 'started': return h('td', {}, r.started ? time(r.started) : h('span', {class: 'muted'}, r.created ? 'queued ' + time(r.created) : ''));
      case 'duration': return h('td', {class: 'num'}, duration(r.duration));
      default:
        if (c.metric) return h('td', {class: 'num'}, num(r.metrics[c.metric]));
        return h('td', {title: r.params[c.param] ?? ''}, r.params[c.param] ?? '');
    }
  }

  function rowEl(i) {
    const r = rows[i];
    if (!r) {
      return h('tr', {class: 'placeholder', 'aria-rowindex': i + 2},
               h('td', {colspan: cols.length}, h('span', {class: 'muted'}, 'Loading…')));
    }
    let tr = rowCache.get(r.id);
    if (!tr) {
      tr = h('tr', {class: 'run-row', id: 'run-row-' + r.id, 'data-testid': 'run-row', 'data-run-id': r.id,
                    'data-index': i, 'aria-rowindex': i + 2}, cols.map((c) => cell(c, r)));
      rowCache.set(r.id, tr);
    }
    tr.classList.toggle('cursor', i === cursor);
    tr.setAttribute('aria-selected', selected.has(r.id) ? 'true' : 'false');
    return tr;
  }

  // The scroller fills the window below the toolbar (its own scrollbar: the header stays).
  let fittedFor = '';
  function fit() {
    const topPx = Math.round(scroller.getBoundingClientRect().top + window.scrollY);
    const key = `${topPx}:${window.innerHeight}`;
    if (key === fittedFor || scroller.hidden) return;
    fittedFor = key;
    scroller.style.height = Math.max(240, window.innerHeight - topPx - 16) + 'px';
  }

  let frame = 0;
  let lastWindow = '';
  function paint(force = false) {
    if (force) lastWindow = '';
    if (frame) return;
    frame = requestAnimationFrame(() => { frame = 0; draw(); });
  }
  function draw() {
    fit();
    headH = thead.offsetHeight;
    const view = scroller.clientHeight || 600;
    const top = Math.max(0, scroller.scrollTop - headH);
    const first = Math.max(0, Math.floor(top / rowH) - MARGIN);
    const last = Math.min(total, Math.ceil((top + view) / rowH) + MARGIN);
    const key = `${first}:${last}:${rows.length}:${cursor}:${cols.length}`;
    if (key !== lastWindow) {
      lastWindow = key;
      const keep = new Set();
      const trs = [];
      for (let i = first; i < last; i++) {
        const tr = rowEl(i);
        trs.push(tr);
        if (rows[i]) keep.add(rows[i].id);
      }
      for (const id of rowCache.keys()) if (!keep.has(id)) rowCache.delete(id);
      const spacer = (px) => h('tr', {class: 'spacer', 'aria-hidden': 'true'},
                               h('td', {colspan: cols.length, style: {height: px + 'px'}}));
      tbody.replaceChildren(spacer(first * rowH), ...trs, spacer(Math.max(0, total - last) * rowH));
      if (!painted && trs.length && rows.length) {
        painted = true;
        performance.mark('runs-table-painted');
        const measured = trs[0].getBoundingClientRect().height;
        if (measured > 0 && Math.abs(measured - rowH) > 0.5) { rowH = measured; lastWindow = ''; paint(); }
      }
    }
    // Rows in view that are not loaded yet: load up to them (and a page more).
    if (last > rows.length && !done) loadUntil(last + PAGE);
  }
  scroller.addEventListener('scroll', () => paint(), {passive: true});
  const onResize = () => paint(true);
  window.addEventListener('resize', onResize);

  // ---- selection ----
  function selectionChanged() {
    compareBtn.disabled = selected.size < 2 || selected.size > MAX_COMPARE;
    compareBtn.title = selected.size > MAX_COMPARE ? `Compare at most ${MAX_COMPARE} runs at once`
                                                   : 'Select two or more runs';
    compareBtn.textContent = selected.size ? `Compare ${selected.size}` : 'Compare';
    clearSel.hidden = selected.size === 0;
    for (const tr of rowCache.values()) {
      const id = tr.dataset.runId;
      tr.setAttribute('aria-selected', selected.has(id) ? 'true' : 'false');
      const box = tr.querySelector('input[data-testid=run-select]');
      if (box) box.checked = selected.has(id);
    }
  }
  tbody.addEventListener('change', (e) => {
    const box = e.target.closest('input[data-testid=run-select]');
    if (!box) return;
    if (box.checked) selected.add(box.dataset.runId); else selected.delete(box.dataset.runId);
    selectionChanged();
  });
  clearSel.addEventListener('click', () => { selected.clear(); selectionChanged(); });
  compareBtn.addEventListener('click', () => {
    if (selected.size < 2 || selected.size > MAX_COMPARE) return;
    ctx.navigate(`/ui/w/${encodeURIComponent(ws)}/compare?runs=${[...selected].map(encodeURIComponent).join(',')}`);
  });
  tbody.addEventListener('click', (e) => {
    const tr = e.target.closest('tr.run-row');
    if (!tr || e.target.closest('a, input, button')) return;
    cursor = Number(tr.dataset.index);
    paint(true);
  });

  // ---- filter ----
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    state.filter = filterIn.value.trim();
    state.tag = tagIn.value.trim();
    state.status = statusSel.value;
    reload();
  });
  refreshBtn.addEventListener('click', () => reload());
  statusSel.addEventListener('change', () => { state.status = statusSel.value; reload(); });

  // ---- keyboard (the table is marked data-own-keys: app.js leaves these keys to it) ----
  function moveTo(i) {
    if (!total) return;
    cursor = Math.max(0, Math.min(total - 1, i));
    const top = cursor * rowH + headH, bottom = top + rowH;
    if (top - headH < scroller.scrollTop) scroller.scrollTop = top - headH;
    else if (bottom > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = bottom - scroller.clientHeight;
    const r = rows[cursor];
    if (r) scroller.setAttribute('aria-activedescendant', 'run-row-' + r.id);
    paint(true);
  }
  function onKey(e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t.closest && t.closest('input, textarea, select, summary, button, a, th')) return;
    const pageRows = Math.max(1, Math.floor(scroller.clientHeight / rowH) - 1);
    switch (e.key) {
      case 'j': case 'ArrowDown': moveTo(cursor + 1); break;
      case 'k': case 'ArrowUp': moveTo(cursor < 0 ? 0 : cursor - 1); break;
      case 'PageDown': moveTo(cursor + pageRows); break;
      case 'PageUp': moveTo(cursor - pageRows); break;
      case 'Home': moveTo(0); break;
      case 'End': moveTo(total - 1); break;
      case 'x': case ' ': {
        const r = rows[cursor];
        if (!r) return;
        if (selected.has(r.id)) selected.delete(r.id); else selected.add(r.id);
        selectionChanged();
        break;
      }
      case 'Enter': {
        const r = rows[cursor];
        if (!r) return;
        ctx.navigate(r.sweep ? page(ws, 'sweeps', r.id) : page(ws, 'runs', r.id));
        break;
      }
      case 'c': if (!compareBtn.disabled) compareBtn.click(); else return; break;
      default: return;
    }
    e.preventDefault();
    if (document.activeElement !== scroller) scroller.focus({preventScroll: true});
  }
  document.addEventListener('keydown', onKey);

  drawHead();
  totalEl.textContent = 'Loading…';
  // The first page is the only wait: nothing else is requested before it.
  pushUrl();
  await loadUntil(PAGE);
  // Drawn now (a tab in the background gets no animation frames: the view still finishes).
  if (frame) { cancelAnimationFrame(frame); frame = 0; }
  draw();

  return () => {
    controller.abort();
    if (frame) cancelAnimationFrame(frame);
    document.removeEventListener('keydown', onKey);
    window.removeEventListener('resize', onResize);
  };
}
