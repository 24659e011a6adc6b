// The run page, /ui/w/{ws}/runs/{id}?tab=overview|metrics|logs|files|models: the run's header
// (status, experiment, sweep, cancel) and one tab. While the run is active its status, metric
// charts and log tail follow it live over the run's event stream (GET .../runs/{id}/events,
// Server-Sent Events: hello, run, metrics, log, end); the page holds an hour of a live run in
// bounded memory (charts keep at most maxPoints per series and reload downsampled past it; the
// log text is capped), and everything it opened is closed when the view is left.
import {wsPath, seg, pathSegs, ApiError} from '../api.js';
import {h, duration, num, status as statusBadge, page, isoTime, card} from '../dom.js';
import {lineChart} from '../chart.js';
import {filesPanel, modelsPanel, inputsCard, environmentCard, tagsCard, prop} from './run_parts.js';

const TABS = [['overview', 'Overview'], ['metrics', 'Metrics'], ['logs', 'Logs'],
              ['files', 'Files'], ['models', 'Models']];
const TERMINAL = new Set(['Completed', 'Failed', 'Canceled']);
const HISTORY_POINTS = 2000;      // a chart's history, downsampled by the server (min/max)
const LIVE_MAX_POINTS = 10000;    // past this a live series is loaded again downsampled
const LOG_CAP = 1 << 20;          // characters of log text kept in the page
const TABLE_ROWS_SHOWN = 200;     // the last rows of a table metric


/// The text of a log, appended to a <pre> as it comes, at most `cap` characters (the oldest
/// lines dropped); it follows the end while the reader is at the end.
function logView(pre, cap = LOG_CAP) {
  const text = document.createTextNode('');
  pre.replaceChildren(text);
  return {
    append(chunk) {
      if (!chunk) return;
      const atEnd = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 40;
      if (text.length + chunk.length > cap) {
        let kept = (text.data + chunk).slice(-Math.floor(cap * 0.75));
        const nl = kept.indexOf('\n');
        if (nl >= 0 && nl < 4096) kept = kept.slice(nl + 1);
        text.data = '… (earlier lines dropped; download the whole log)\n' + kept;
      } else {
        text.appendData(chunk);
      }
      if (atEnd) pre.scrollTop = pre.scrollHeight;
    },
    clear() { text.data = ''; },
  };
}

export async function render(root, route, ctx) {
  const {api} = ctx;
  const ws = route.ws;
  const id = route.params.id;
  const tab = TABS.some(([k]) => k === route.query.get('tab')) ? route.query.get('tab') : 'overview';
  const base = wsPath(ws, `runs/${seg(id)}`);
  document.title = `${id} · runs · Glia`;  // the tab's name from the start, not the last view's
  let run = await api.get(base);
  document.title = `${run.display_name || run.id} · runs · Glia`;

  const cleanups = [];
  let closed = false;
  const cleanup = () => {
    closed = true;
    for (const fn of cleanups.splice(0)) { try { fn(); } catch (_) { /* gone anyway */ } }
  };
  const fail = (e) => { if (!closed) ctx.toast(e.message || String(e), 'error'); };

  // ---------------------------------------------------------------- header
  const badge = h('span', {id: 'run-status'});
  const durationEl = h('span', {class: 'muted'});
  // Shown while the live stream is down (EventSource retries by itself; a reconnect's hello
  // hides it again).
  const connEl = h('span', {id: 'run-connection', class: 'run-conn', role: 'status', hidden: true},
                   'connection to the server lost; retrying…');
  const cancelButton = h('button', {id: 'cancel-run', class: 'danger', type: 'button',
                                    onclick: cancelRun}, 'Cancel run');
  const links = h('div', {class: 'run-links muted'});
  const head = h('header', {class: 'run-head'},
                 h('div', {class: 'run-title'},
                   h('h1', {}, run.display_name || run.id, ' ', badge),
                   links),
                 h('div', {class: 'toolbar'}, connEl, durationEl, cancelButton));
  const tabs = h('nav', {class: 'tabs', 'aria-label': 'Run'},
                 TABS.map(([key, label]) => h('a', {
                   href: location.pathname + (key === 'overview' ? '' : `?tab=${key}`),
                   'data-link': true, 'data-tab': key,
                   'aria-current': key === tab ? 'page' : false}, label)));
  const body = h('div', {class: 'run-body'});
  root.append(head, tabs, body);

  function drawHeader() {
    badge.className = `status status-${String(run.status).toLowerCase()}`;
    badge.textContent = run.status;
    const parts = [h('span', {}, 'id ', h('code', {}, run.id))];
    if (run.experiment)
      parts.push(h('span', {}, 'experiment ', h('a', {href: page(ws, 'experiments', run.experiment),
                                                       'data-link': true}, run.experiment)));
    if (run.job_type === 'sweep')
      parts.push(h('a', {href: page(ws, 'sweeps', run.id), 'data-link': true, id: 'sweep-link'},
                   'sweep trials and charts'));
    if (run.parent) {
      const trial = 'trial_index' in run;
      parts.push(h('span', {}, trial ? `trial ${run.trial_index} of ` : 'child of ',
                   h('a', {href: trial ? page(ws, 'sweeps', run.parent) : page(ws, 'runs', run.parent),
                           'data-link': true, id: 'sweep-parent-link'},
                     (trial ? 'sweep ' : 'run ') + run.parent)));
    }
    links.replaceChildren(...parts.flatMap((p, i) => (i ? [' · ', p] : [p])));
    cancelButton.hidden = TERMINAL.has(run.status) || run.status === 'CancelRequested';
    drawDuration();
  }
  function drawDuration() {
    if (!run.started_at) { durationEl.textContent = ''; return; }
    const start = Date.parse(run.started_at) / 1000;
    const end = run.ended_at ? Date.parse(run.ended_at) / 1000 : Date.now() / 1000;
    durationEl.textContent = (TERMINAL.has(run.status) ? 'ran ' : 'running for ') +
                             duration(Math.max(0, end - start));
  }
  const tick = setInterval(() => { if (!TERMINAL.has(run.status)) drawDuration(); }, 1000);
  cleanups.push(() => clearInterval(tick));

  async function cancelRun() {
    if (!confirm(`Cancel run ${run.id}?`)) return;
    cancelButton.disabled = true;
    try {
      await api.post(`${base}/cancel`, null);
      ctx.toast(`Cancel requested for ${run.id}`);
    } catch (e) {
      fail(e);
    } finally {
      cancelButton.disabled = false;
    }
  }

  // Everything that shows the run's JSON redraws from it on a `run` event.
  const onRun = [drawHeader];
  function setRun(r) {
    run = r;
    for (const fn of onRun) fn();
  }
  drawHeader();

  // ---------------------------------------------------------------- the event stream
  // Opened for the tabs that follow the run; `hello` means "from here no point is missed":
  // only then are the histories loaded (an ended run's at once).
  const live = !TERMINAL.has(run.status);
  const handlers = {hello: [], metrics: [], log: [], end: [], run: [setRun]};
  let source = null;
  function openEvents(logTail) {
    source = api.events(`${base}/events`, {
      hello: (d) => {
        connEl.hidden = true;
        handlers.hello.forEach((f) => f(d));
      },
      run: (d) => handlers.run.forEach((f) => f(d)),
      metrics: (d) => handlers.metrics.forEach((f) => f(d)),
      log: (d) => handlers.log.forEach((f) => f(d)),
      end: (d) => {
        source.close();
        connEl.hidden = true;
        if (d && d.status && d.status !== run.status) setRun({...run, status: d.status});
        handlers.end.forEach((f) => f(d));
      },
      error: () => {
        if (closed) return;
        connEl.hidden = false;
        // EventSource reconnects by itself (a new hello follows), except after an HTTP error:
        // then the page asks again itself.
        if (source.readyState === EventSource.CLOSED) retryEvents(logTail);
      },
    }, {log_tail: logTail});
    cleanups.push(() => source.close());
  }
  // A refused stream: the server stopping or restarting answers 503 (EventSource then gives up
  // for good, and the page stayed frozen). Tried again every few seconds while the run cannot
  // be read for a reason that may pass (no connection, a 5xx); a 4xx (the run gone, no longer
  // allowed) is final: the page shows what it has, not live.
  function retryEvents(logTail) {
    const timer = setTimeout(async () => {
      if (closed) return;
      try {
        setRun(await api.get(base));
      } catch (e) {
        if (closed) return;
        if (e instanceof ApiError && e.status < 500) {
          connEl.hidden = true;
          handlers.end.forEach((f) => f(null));
        } else {
          retryEvents(logTail);
        }
        return;
      }
      if (!closed) openEvents(logTail);  // an ended run's stream sends the rest, then end
    }, 3000);
    cleanups.push(() => clearTimeout(timer));
  }

  // ---------------------------------------------------------------- the tab
  let ready;
  if (tab === 'overview') ready = overview();
  else if (tab === 'metrics') ready = metricsTab();
  else if (tab === 'logs') ready = logsTab();
  else if (tab === 'files') ready = filesTab();
  else ready = modelsTab();
  if (tab === 'files' || tab === 'models') {
    if (live) openEvents(0);  // the header follows the run
  }
  try {
    await ready;
  } catch (e) {
    cleanup();
    throw e;
  }
  return cleanup;

  // ---------------------------------------------------------------- metric charts
  // The charts of the run's scalar metrics in `grid`: histories loaded (downsampled), live
  // points appended; resolves once the first histories are drawn.
  function metricCharts(grid, {fullWidth = false} = {}) {
    const charts = new Map();  // name → {chart, loaded, queue}
    cleanups.push(() => { for (const c of charts.values()) c.chart.destroy(); charts.clear(); });
    const empty = h('p', {class: 'muted'}, 'No metrics logged yet.');
    grid.append(empty);

    function ensure(name) {
      let c = charts.get(name);
      if (c) return c;
      const el = h('div', {});
      const chart = lineChart(el, {
        metric: name, title: name, csvName: `${run.id}-${name}.csv`,
        maxPoints: LIVE_MAX_POINTS,
        onOverflow: (n) => reload(n),
        fetchFull: async (n) => (await api.get(`${base}/metrics/${pathSegs(n)}`)).points,
      });
      el.addEventListener('chart-error', (e) => fail(e.detail));
      c = {chart, loaded: false, queue: []};
      charts.set(name, c);
      empty.hidden = true;
      grid.append(h('section', {class: 'card chart-card' + (fullWidth ? ' wide' : '')}, el));
      return c;
    }

    async function history(name) {
      return api.get(`${base}/metrics/${pathSegs(name)}`,
                     {max_points: HISTORY_POINTS, method: 'minmax'});
    }

    async function load(name) {
      const c = ensure(name);
      // Points pushed while the history is on its way wait in the queue: appended now, they
      // would be replaced by a history read before they were logged (a chart made by a push
      // before its history, or any chart after a reconnect's hello).
      c.loaded = false;
      try {
        const r = await history(name);
        if (closed) return;
        c.chart.setSeries([{name, points: r.points, total: r.total}]);
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) fail(e);  // no point yet: 404
        if (closed) return;
        c.chart.setSeries([{name, points: [], total: 0}]);
      }
      c.loaded = true;
      for (const pts of c.queue.splice(0)) c.chart.append(name, pts);
    }

    async function reload(name) {
      try {
        const r = await history(name);
        if (!closed) charts.get(name)?.chart.replaceSeries(name, r.points, r.total);
      } catch (e) { fail(e); }
    }

    return {
      async loadAll(names) {
        await Promise.all(names.map(load));
        for (const c of charts.values()) c.chart.flush();
      },
      push(points) {
        for (const [name, pts] of Object.entries(points || {})) {
          const known = charts.has(name);
          const c = ensure(name);
          if (!known) c.loaded = true;  // a metric new since hello: all its points are pushed
          if (c.loaded) {
            c.chart.append(name, pts);
          } else {
            c.queue.push(pts);
            // Bounded even if its history never comes.
            while (c.queue.reduce((n, q) => n + q.length, 0) > LIVE_MAX_POINTS) c.queue.shift();
          }
        }
      },
    };
  }

  // Charts that follow the run: loads after hello while live, at once otherwise; a second
  // hello (the stream reconnected) reloads them. Resolves when first drawn.
  function followCharts(panel) {
    let firstDone;
    const first = new Promise((resolve) => { firstDone = resolve; });
    const loadNames = async (names) => {
      try {
        await panel.loadAll(names);
      } finally {
        firstDone();
      }
    };
    if (live) {
      let hellos = 0;
      handlers.hello.push(async () => {
        hellos++;
        try {
          const latest = await api.get(`${base}/metrics`);
          if (!closed) await loadNames(Object.keys(latest));
        } catch (e) { fail(e); firstDone(); }
        if (hellos > 1) ctx.toast('Reconnected to the run');
      });
      handlers.metrics.push((d) => panel.push(d.points));
      handlers.end.push((d) => {
        if (d === null) loadNames(Object.keys(run.metrics || {}));  // no stream: not live
      });
    } else {
      loadNames(Object.keys(run.metrics || {}));
    }
    // Never hold the page blank for a stream that is slow to say hello.
    return Promise.race([first, new Promise((r) => setTimeout(r, 8000))]);
  }

  function images() {
    const box = h('div', {id: 'run-images', class: 'run-images'});
    const draw = () => {
      const list = run.images || [];
      if (box.childElementCount === list.length) return;
      box.replaceChildren(...list.map((img) => h('figure', {},
          h('a', {href: `${base}/files/${pathSegs(img.path)}`, target: '_blank', rel: 'noopener'},
            h('img', {src: `${base}/files/${pathSegs(img.path)}`, alt: img.name, loading: 'lazy'})),
          h('figcaption', {}, img.name, img.step ? ` (step ${img.step})` : ''))));
    };
    draw();
    onRun.push(draw);
    return box;
  }

  function logPanel(tail, cls) {
    const pre = h('pre', {id: 'run-log', class: `log ${cls || ''}`, tabindex: 0,
                          'aria-label': 'Log'});
    const view = logView(pre);
    let hellos = 0;
    handlers.hello.push(() => { if (++hellos > 1) view.clear(); });
    handlers.log.push((d) => view.append(d.text));
    handlers.end.push((d) => {
      if (d === null && !pre.textContent) pre.textContent = '(the live log is not available)';
    });
    return {pre, tail};
  }

  function logDownload() {
    return h('a', {href: `${base}/log`, download: `${run.id}.log`, id: 'run-log-download'},
             'Download the whole log');
  }

  // ---------------------------------------------------------------- overview
  async function overview() {
    const details = h('dl', {class: 'props'});
    const historyList = h('ol', {id: 'run-status-history', class: 'status-history'});
    const error = h('div', {});
    const info = h('div', {class: 'grid run-overview'});
    function drawDetails() {
      details.replaceChildren(
          ...prop('Experiment', run.experiment), ...prop('Created', isoTime(run.created_at)),
          ...prop('Started', isoTime(run.started_at)), ...prop('Ended', isoTime(run.ended_at)),
          ...prop('Duration', run.duration_seconds !== undefined && TERMINAL.has(run.status)
                                  ? duration(run.duration_seconds) : ''),
          ...prop('Compute', run.compute), ...prop('Job type', run.job_type),
          ...prop('Exit code', run.exit_code === null ? '' : String(run.exit_code)),
          ...prop('Submitted by', run.submitted_by ? run.submitted_by.name : ''),
          ...prop('Process', run.pid ? String(run.pid) : ''),
          ...prop('Time limit', run.timeout_seconds ? duration(run.timeout_seconds) : ''),
          ...prop('Code snapshot', run.code_snapshot
              ? h('span', {}, h('code', {title: run.code_snapshot}, run.code_snapshot.slice(0, 12)),
                  ` (${run.code_files} files)`) : ''),
          ...prop('Job file', run.job_file), ...prop('Files', String(run.files ?? '')));
      const hist = run.history || [];
      historyList.replaceChildren(...hist.map((s, i) => {
        const prev = i ? Date.parse(hist[i - 1].at) : null;
        const dt = prev !== null ? (Date.parse(s.at) - prev) / 1000 : null;
        return h('li', {'data-status': s.status}, statusBadge(s.status), ' ',
                 h('span', {class: 'muted'}, isoTime(s.at),
                   dt !== null && dt >= 0.05 ? ` (+${duration(dt)})` : ''));
      }));
      error.replaceChildren(run.error
          ? h('section', {class: 'card run-error', role: 'alert'}, h('h2', {}, 'Error'),
              h('pre', {class: 'log'}, run.error))
          : '');
    }
    drawDetails();
    onRun.push(drawDetails);

    info.append(card('Details', details), card('Status history', historyList));
    const inputs = inputsCard(run, ws);
    if (inputs) info.append(inputs);
    info.append(card('Command', h('pre', {class: 'log command'}, run.command || '')));
    const env = environmentCard(run);
    if (env) info.append(env);
    const tagsEl = tagsCard(run);
    if (tagsEl) info.append(tagsEl);

    const grid = h('div', {class: 'grid run-charts'});
    const panel = metricCharts(grid);
    const log = logPanel(65536, 'log-short');
    const charts = [h('h2', {}, 'Metrics'), grid, images()];
    const logPart = [h('h2', {}, 'Log ', h('small', {}, logDownload())), log.pre];
    // A run in progress: what it is doing first (charts, then the log); an ended one: its
    // details first.
    if (live) body.append(error, ...charts, ...logPart, h('h2', {}, 'Details'), info);
    else body.append(error, info, ...charts, ...logPart);
    openEvents(log.tail);
    await followCharts(panel);
  }

  // ---------------------------------------------------------------- metrics tab
  async function metricsTab() {
    const grid = h('div', {class: 'grid run-charts'});
    const panel = metricCharts(grid);
    const tables = h('div', {id: 'run-tables'});
    const imgs = images();
    const imgHead = h('h2', {}, 'Images');
    const showHead = () => { imgHead.hidden = !(run.images || []).length; };
    showHead();
    onRun.push(showHead);
    body.append(grid, imgHead, imgs, tables);
    if (live) openEvents(0);
    const drawn = followCharts(panel);
    loadTables(tables);
    handlers.end.push(() => loadTables(tables));
    await drawn;
  }

  // Table metrics (run.log_row / log_table): each table's row count and its last rows.
  async function loadTables(box) {
    let tables;
    try {
      tables = (await api.get(wsPath(ws, `runs/${seg(id)}/tables`), {last: TABLE_ROWS_SHOWN}))
          .tables || {};
    } catch (e) {
      return;  // tables are an extra; the charts are the page
    }
    if (closed) return;
    const byName = new Map(Object.entries(tables).map(([name, t]) =>
        [name, {count: t.total, rows: t.rows.filter((r) => r && typeof r === 'object')}]));
    box.replaceChildren(...[...byName].map(([name, t]) => {
      const cols = [...new Set(t.rows.flatMap((r) => Object.keys(r)))];
      return h('section', {class: 'card run-table', 'data-table': name},
               h('h2', {}, name, ' ', h('small', {class: 'muted'}, t.count > t.rows.length
                   ? `(the last ${t.rows.length} of ${t.count} rows)` : `(${t.count} rows)`)),
               h('div', {class: 'table-scroll'},
                 h('table', {}, h('thead', {}, h('tr', {}, cols.map((c) => h('th', {class: 'num'}, c)))),
                   h('tbody', {}, t.rows.map((r) => h('tr', {}, cols.map((c) =>
                       h('td', {class: typeof r[c] === 'number' ? 'num' : ''}, num(r[c])))))))));
    }));
    if (byName.size) box.prepend(h('h2', {}, 'Tables'));
  }

  // ---------------------------------------------------------------- logs tab
  async function logsTab() {
    const log = logPanel(262144, 'log-tall');
    body.append(h('div', {class: 'toolbar'}, logDownload(),
                  h('span', {class: 'muted'}, live ? 'following the run' : '')), log.pre);
    let firstDone;
    const first = new Promise((r) => { firstDone = r; });
    handlers.log.push(() => firstDone());
    handlers.end.push(() => firstDone());
    handlers.hello.push(() => setTimeout(firstDone, 700));  // a log may be empty
    openEvents(log.tail);
    await Promise.race([first, new Promise((r) => setTimeout(r, 5000))]);
  }

  async function filesTab() {
    body.append(await filesPanel({api, base, fail, isClosed: () => closed}));
  }

  async function modelsTab() {
    body.append(await modelsPanel({api, ws, id}));
  }
}
