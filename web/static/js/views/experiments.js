// The workspace's experiments (GET .../experiments), each a link to its runs table, with its
// run count and last activity filled in afterwards from the runs search (one small request per
// experiment, a few at a time: the list itself never waits for them).
import {wsPath} from '../api.js';
import {empty, h, page, showError, status, when} from '../dom.js';

const PARALLEL = 4;

export async function render(root, route, ctx) {
  const {ws} = route;
  document.title = `Experiments · ${ws} · Glia`;
  const filter = h('input', {type: 'search', id: 'experiments-filter', 'data-filter': true,
                             placeholder: 'Filter experiments  ( / )', 'aria-label': 'Filter experiments'});
  const count = h('span', {class: 'muted'});
  const body = h('div', {});
  root.append(h('div', {class: 'view-head'}, h('h1', {}, 'Experiments'), count),
              h('div', {class: 'toolbar'}, filter), body);

  let experiments;
  try {
    experiments = await ctx.api.get(wsPath(ws, 'experiments'));
  } catch (e) {
    showError(body, e, ctx);
    return;
  }
  count.textContent = `${experiments.length} experiment${experiments.length === 1 ? '' : 's'}`;
  if (!experiments.length) {
    body.append(empty('No experiments yet.',
                      h('p', {class: 'muted'}, 'Submit a job (', h('code', {}, 'glia job submit job.yml'),
                        ') or log runs through the MLflow API: each run names its experiment.')));
    return;
  }

  const rows = experiments.map((e) => {
    const href = page(ws, 'experiments', e.name);
    const runs = h('td', {class: 'num', 'data-col': 'runs'}, '…');
    const last = h('td', {'data-col': 'last'}, '');
    const lastStatus = h('td', {'data-col': 'status'}, '');
    const tr = h('tr', {'data-testid': 'experiment-row', 'data-experiment': e.name, 'data-href': href},
                 h('td', {}, h('a', {href, 'data-link': true}, e.name)), runs, lastStatus, last);
    return {e, tr, runs, last, lastStatus};
  });
  const tbody = h('tbody', {}, rows.map((r) => r.tr));
  body.append(h('table', {class: 'list', id: 'experiments-table'},
                h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Experiment'),
                                 h('th', {class: 'num', scope: 'col'}, 'Runs'),
                                 h('th', {scope: 'col'}, 'Latest run'),
                                 h('th', {scope: 'col'}, 'Last activity'))),
                tbody));
  const none = h('p', {class: 'muted', hidden: true}, 'No experiment matches the filter.');
  body.append(none);
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    let shown = 0;
    for (const r of rows) {
      const show = !q || r.e.name.toLowerCase().includes(q);
      r.tr.hidden = !show;
      shown += show;
    }
    none.hidden = shown > 0;
  });

  // Counts and last activity: the newest run of each experiment and the total (runs search).
  const controller = new AbortController();
  let next = 0;
  let warned = false;
  async function worker() {
    while (next < rows.length && !controller.signal.aborted) {
      const r = rows[next++];
      try {
        const res = await ctx.api.get(wsPath(ws, 'runs/search'),
                                      {experiment: r.e.name, limit: 1}, controller.signal);
        r.runs.textContent = res.total === undefined ? '' : res.total.toLocaleString();
        const newest = res.runs && res.runs[0];
        if (newest) {
          r.lastStatus.replaceChildren(status(newest.status), ' ',
                                       h('a', {href: page(ws, 'runs', newest.id), 'data-link': true,
                                               class: 'muted'}, newest.display_name || newest.id));
          r.last.replaceChildren(when(newest.ended_at || newest.started_at || newest.created_at));
        }
      } catch (e) {
        if (controller.signal.aborted) return;
        r.runs.textContent = '—';
        if (!warned) { warned = true; ctx.toast(`Run counts: ${e.message}`, 'error'); }
      }
    }
  }
  for (let i = 0; i < Math.min(PARALLEL, rows.length); i++) worker();
  return () => controller.abort();
}
