// Compute: the targets (GET .../computes), the queue (GET .../jobs?status=Queued, oldest first)
// and the running jobs (?status=Running), refreshed every few seconds while the page is open.
import {wsPath} from '../api.js';
import {duration, empty, h, page, showError, status, time, when} from '../dom.js';

const REFRESH_MS = 3000;
const LIMIT = 500;

export async function render(root, route, ctx) {
  const {ws} = route;
  document.title = `Compute · ${ws} · Glia`;
  const updated = h('span', {class: 'muted', id: 'compute-updated', 'aria-live': 'off'});
  const targetsEl = h('div', {});
  const queueEl = h('div', {id: 'compute-queue'});
  const runningEl = h('div', {id: 'compute-running'});
  const queueTitle = h('h2', {}, 'Queue');
  const runningTitle = h('h2', {}, 'Running');
  root.append(h('div', {class: 'view-head'}, h('h1', {}, 'Compute'), updated),
              h('h2', {}, 'Targets'), targetsEl, queueTitle, queueEl, runningTitle, runningEl);

  function targets(list) {
    if (!list.length) return empty('No compute targets.', h('p', {class: 'muted'},
                                    h('code', {}, 'glia compute create --name local'), ' makes one.'));
    return h('table', {class: 'list', id: 'compute-table'},
      h('thead', {}, h('tr', {}, ['Target', 'Type', 'Max concurrent', 'Threads per job', 'Running', 'Queued', 'Created']
        .map((l, i) => h('th', {scope: 'col', class: [2, 3, 4, 5].includes(i) ? 'num' : undefined}, l)))),
      h('tbody', {}, list.map((t) => h('tr', {'data-testid': 'compute-row', 'data-compute': t.name},
        h('td', {}, h('strong', {}, t.name), t.description ? h('div', {class: 'muted small'}, t.description) : null),
        h('td', {}, t.type),
        h('td', {class: 'num'}, t.max_concurrent),
        h('td', {class: 'num'}, typeof t.threads_per_job === 'number' ? t.threads_per_job
                                                                    : h('span', {class: 'muted'}, t.threads_per_job || '')),
        h('td', {class: 'num'}, h('span', {class: 'meter', title: `${t.running} of ${t.max_concurrent}`},
                                  `${t.running} / ${t.max_concurrent}`)),
        h('td', {class: 'num'}, t.queued),
        h('td', {}, when(t.created_at))))));
  }

  function jobs(id, list, kind) {
    if (!list.length) return empty(kind === 'queued' ? 'Nothing is queued.' : 'Nothing is running.');
    return h('table', {class: 'list', id},
      h('thead', {}, h('tr', {}, (kind === 'queued'
        ? ['#', 'Job', 'Experiment', 'Compute', 'Queued', 'Waiting', 'Submitted by']
        : ['Job', 'Experiment', 'Compute', 'Started', 'Running for', 'Submitted by'])
        .map((l) => h('th', {scope: 'col', class: l === '#' || l === 'Waiting' || l === 'Running for' ? 'num' : undefined}, l)))),
      h('tbody', {}, list.map((r, i) => {
        const href = page(ws, 'runs', r.id);
        const since = Date.parse(kind === 'queued' ? r.created_at : r.started_at);
        return h('tr', {'data-href': href, 'data-testid': 'job-row', 'data-run-id': r.id},
                 kind === 'queued' ? h('td', {class: 'num'}, i + 1) : null,
                 h('td', {}, h('a', {href, 'data-link': true}, r.display_name || r.id), ' ', status(r.status),
                   r.display_name ? h('span', {class: 'muted id'}, r.id) : null),
                 h('td', {}, h('a', {href: page(ws, 'experiments', r.experiment), 'data-link': true, class: 'muted'}, r.experiment)),
                 h('td', {}, r.compute),
                 h('td', {}, time(kind === 'queued' ? r.created_at : r.started_at)),
                 h('td', {class: 'num'}, isNaN(since) ? '' : duration(Math.max(0, Date.now() / 1000 - since / 1000))),
                 h('td', {}, r.submitted_by ? r.submitted_by.name : ''));
      })));
  }

  let timer = 0;
  let stopped = false;
  let failedBefore = false;
  let controller = null;
  async function refresh(first) {
    controller = new AbortController();
    const signal = controller.signal;
    try {
      const [computes, queued, running] = await Promise.all([
        ctx.api.get(wsPath(ws, 'computes'), undefined, signal),
        ctx.api.get(wsPath(ws, 'jobs'), {status: 'Queued', limit: LIMIT, oldest_first: 'true'}, signal),
        ctx.api.get(wsPath(ws, 'jobs'), {status: 'Running', limit: LIMIT}, signal),
      ]);
      if (stopped) return;
      targetsEl.replaceChildren(targets(computes));
      queueEl.replaceChildren(jobs('queue-table', queued, 'queued'));
      runningEl.replaceChildren(jobs('running-table', running, 'running'));
      queueTitle.textContent = `Queue (${queued.length}${queued.length === LIMIT ? '+' : ''})`;
      runningTitle.textContent = `Running (${running.length}${running.length === LIMIT ? '+' : ''})`;
      updated.textContent = `updated ${new Date().toLocaleTimeString()} · every ${REFRESH_MS / 1000} s`;
      failedBefore = false;
    } catch (e) {
      if (stopped) return;
      if (first) showError(targetsEl, e, ctx);
      else if (!failedBefore) ctx.toast(`Refresh failed: ${e.message}`, 'error');
      updated.textContent = `refresh failed: ${e.message}`;
      failedBefore = true;
    }
  }
  function schedule() {
    if (stopped) return;
    timer = setTimeout(async () => {
      if (!document.hidden) await refresh(false);
      schedule();
    }, REFRESH_MS);
  }
  await refresh(true);
  schedule();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (controller) controller.abort();
  };
}
