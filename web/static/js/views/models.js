// The model registry: the registered models (GET .../models, one row per name) and a version's
// page (GET .../models/{name}/versions/{v}): tags, properties, files with download links, and
// its lineage — the run that registered it, the dataset versions that run read, its code
// snapshot and environment (from the run's JSON).
import {pathSegs, seg, wsPath} from '../api.js';
import {bytes, chips, empty, h, page, props, showError, status, time, when} from '../dom.js';

export async function render(root, route, ctx) {
  return route.params.name ? version(root, route, ctx) : list(root, route, ctx);
}

async function list(root, route, ctx) {
  const {ws} = route;
  document.title = `Models · ${ws} · Glia`;
  const filter = h('input', {type: 'search', id: 'models-filter', 'data-filter': true,
                             placeholder: 'Filter models  ( / )', 'aria-label': 'Filter models'});
  const count = h('span', {class: 'muted'});
  const body = h('div', {});
  root.append(h('div', {class: 'view-head'}, h('h1', {}, 'Models'), count),
              h('div', {class: 'toolbar'}, filter), body);
  let versions;
  try {
    versions = await ctx.api.get(wsPath(ws, 'models'));
  } catch (e) {
    showError(body, e, ctx);
    return;
  }
  const byName = new Map();
  for (const v of versions) {
    if (!byName.has(v.name)) byName.set(v.name, []);
    byName.get(v.name).push(v);
  }
  count.textContent = `${byName.size} model${byName.size === 1 ? '' : 's'}, ${versions.length} version${versions.length === 1 ? '' : 's'}`;
  if (!byName.size) {
    body.append(empty('No registered models yet.',
                      h('p', {class: 'muted'}, 'Register one from a run: ',
                        h('code', {}, 'glia model register --name NAME --run RUN --path outputs/model'))));
    return;
  }
  const rows = [...byName.entries()].map(([name, vs]) => {
    vs.sort((a, b) => b.version - a.version);
    const latest = vs[0];
    const href = page(ws, 'models', name, String(latest.version));
    const tr = h('tr', {'data-testid': 'model-row', 'data-model': name, 'data-href': href},
                 h('td', {}, h('a', {href, 'data-link': true}, name),
                   latest.description ? h('div', {class: 'muted small'}, latest.description) : null),
                 h('td', {class: 'num'}, `v${latest.version}`),
                 h('td', {}, vs.slice(0, 8).map((v) =>
                   h('a', {href: page(ws, 'models', name, String(v.version)), 'data-link': true,
                           class: 'chip'}, `v${v.version}`)), vs.length > 8 ? ` +${vs.length - 8}` : ''),
                 h('td', {}, latest.run ? h('a', {href: page(ws, 'runs', latest.run), 'data-link': true,
                                                  class: 'mono'}, latest.run) : h('span', {class: 'muted'}, '—')),
                 h('td', {}, chips(latest.tags)),
                 h('td', {class: 'num'}, bytes(latest.bytes)),
                 h('td', {}, when(latest.created_at)));
    return {name, tr};
  });
  body.append(h('table', {class: 'list', id: 'models-table'},
                h('thead', {}, h('tr', {}, ['Model', 'Latest', 'Versions', 'Run', 'Tags', 'Size', 'Registered']
                  .map((l, i) => h('th', {scope: 'col', class: i === 1 || i === 5 ? 'num' : undefined}, l)))),
                h('tbody', {}, rows.map((r) => r.tr))));
  const none = h('p', {class: 'muted', hidden: true}, 'No model matches the filter.');
  body.append(none);
  filter.addEventListener('input', () => {
    const q = filter.value.trim().toLowerCase();
    let shown = 0;
    for (const r of rows) { r.tr.hidden = q && !r.name.toLowerCase().includes(q); shown += !r.tr.hidden; }
    none.hidden = shown > 0;
  });
}

async function version(root, route, ctx) {
  const {ws} = route;
  const {name} = route.params;
  const v = route.params.version;
  document.title = `${name}:${v} · models · Glia`;
  const head = h('div', {class: 'view-head'},
                 h('h1', {}, h('a', {href: page(ws, 'models'), 'data-link': true, class: 'muted'}, 'Models'),
                   ' / ', name, ' ', h('span', {class: 'muted'}, `v${v}`)));
  const body = h('div', {id: 'model-detail'});
  root.append(head, body);
  let m, siblings = [];
  try {
    [m, siblings] = await Promise.all([
      ctx.api.get(wsPath(ws, `models/${seg(name)}/versions/${seg(v)}`)),
      ctx.api.get(wsPath(ws, 'models'), {name}).catch(() => []),
    ]);
  } catch (e) {
    showError(body, e, ctx);
    return;
  }
  if (String(m.version) !== v) head.querySelector('h1 span').textContent = `v${m.version}`;
  siblings.sort((a, b) => b.version - a.version);
  const versionsNav = h('nav', {class: 'chips', 'aria-label': 'Versions'}, siblings.map((s) =>
    h('a', {href: page(ws, 'models', name, String(s.version)), 'data-link': true, class: 'chip',
            'aria-current': s.version === m.version ? 'page' : false}, `v${s.version}`)));

  const filesUrl = (p) => wsPath(ws, `models/${seg(m.name)}/versions/${m.version}/files/${pathSegs(p)}`);
  const files = m.file_list || [];
  const filesEl = files.length
    ? h('table', {class: 'list', id: 'model-files'},
        h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'File'), h('th', {scope: 'col', class: 'num'}, 'Size'),
                         h('th', {scope: 'col'}, 'SHA-256'))),
        h('tbody', {}, files.map((f) => h('tr', {},
          h('td', {}, h('a', {href: filesUrl(f.path), download: f.path.split('/').pop(),
                              'data-testid': 'file-link'}, f.path)),
          h('td', {class: 'num'}, bytes(f.size)),
          h('td', {class: 'mono muted', title: f.sha256}, (f.sha256 || '').slice(0, 12))))))
    : h('p', {class: 'muted'}, 'No files.');

  const lineage = h('div', {id: 'model-lineage', class: 'lineage', 'aria-busy': 'true'},
                    h('p', {class: 'muted'}, 'Loading the lineage…'));
  body.append(
    h('div', {class: 'toolbar'}, h('span', {class: 'muted'}, 'Versions:'), versionsNav),
    h('div', {class: 'grid'},
      h('section', {class: 'card'}, h('h2', {}, 'Version'),
        props({Name: m.name, Version: m.version, Description: m.description,
               Registered: time(m.created_at), 'By': m.created_by, Path: m.path,
               Files: `${m.files} (${bytes(m.bytes)})`,
               'Content hash': h('span', {class: 'mono', title: m.content_hash}, (m.content_hash || '').slice(0, 16))})),
      h('section', {class: 'card'}, h('h2', {}, 'Tags'), chips(m.tags),
        h('h2', {}, 'Properties'), props(m.properties))),
    h('h2', {}, 'Lineage'), lineage,
    h('h2', {}, 'Files'), filesEl);

  await drawLineage(lineage, ws, m, ctx);
}

// model version → run → dataset versions, code snapshot, environment.
async function drawLineage(el, ws, m, ctx) {
  const l = m.lineage || {};
  const runId = l.run || m.run;
  const node = (kind, title, ...rest) => h('div', {class: 'node', 'data-kind': kind},
                                           h('div', {class: 'node-kind'}, kind), h('div', {class: 'node-title'}, title), ...rest);
  const arrow = () => h('div', {class: 'arrow', 'aria-hidden': 'true'}, '←');
  const modelNode = node('model', `${m.name}:${m.version}`, h('div', {class: 'muted small'}, time(m.created_at)));
  if (!runId) {
    el.replaceChildren(h('div', {class: 'flow'}, modelNode),
                       h('p', {class: 'muted'}, 'Registered from files, not from a run: no lineage recorded.'));
    el.removeAttribute('aria-busy');
    return;
  }
  let run = null;
  try {
    run = await ctx.api.get(wsPath(ws, `runs/${seg(runId)}`));
  } catch (e) {
    ctx.toast(`Lineage: run ${runId}: ${e.message}`, 'error');
  }
  const runNode = node('run', h('a', {href: page(ws, 'runs', runId), 'data-link': true, 'data-testid': 'lineage-run'},
                                (run && run.display_name) || runId),
                       run ? h('div', {}, status(run.status), ' ', h('span', {class: 'muted small'}, run.experiment)) :
                             h('div', {class: 'muted small'}, l.run_status || 'not readable'));
  const datasets = l.datasets && l.datasets.length ? l.datasets : (run && run.datasets) || [];
  const dsNodes = datasets.map((d) => node('dataset',
    h('a', {href: page(ws, 'datasets', d.dataset, String(d.version)), 'data-link': true, 'data-testid': 'lineage-dataset'},
      `${d.dataset}:${d.version}`),
    h('div', {class: 'muted small'}, `input ${d.input}${d.mode ? ' · ' + d.mode : ''}`)));
  const snapshot = l.code_snapshot || (run && run.code_snapshot) || '';
  const codeNode = snapshot ? node('code', h('span', {class: 'mono', title: snapshot}, snapshot.slice(0, 12)),
                                   h('div', {class: 'muted small'}, run && run.code_files !== undefined ? `${run.code_files} files` : 'snapshot'))
                            : null;
  const env = run && ((run.properties && run.properties.environment) || (run.job && run.job.environment));
  let envNode = null;
  if (typeof env === 'string' && env) {
    const [envName, envVersion] = env.split(':');
    envNode = node('environment', envVersion ? h('span', {}, envName, h('span', {class: 'muted'}, ':' + envVersion)) : env);
  } else if (env && typeof env === 'object') {
    envNode = node('environment', env.image || env.conda_file || 'inline',
                   h('div', {class: 'muted small'}, env.description || (env.conda_yaml ? 'conda' : '')));
  }
  else if (run && run.job) {
    envNode = node('environment', h('span', {class: 'muted'}, 'none'),
                   h('div', {class: 'muted small'}, 'the machine\'s own interpreter'));
  }
  const inputs = [...dsNodes, codeNode, envNode].filter(Boolean);
  el.replaceChildren(...[
    h('div', {class: 'flow'}, modelNode, arrow(), runNode,
      inputs.length ? [arrow(), h('div', {class: 'inputs'}, inputs)] : null),
    !inputs.length ? h('p', {class: 'muted'}, 'The run recorded no dataset inputs, code snapshot or environment.') : null,
    run && run.command ? h('p', {class: 'small'}, h('span', {class: 'muted'}, 'Command: '), h('code', {}, run.command)) : null,
  ].filter(Boolean));
  el.removeAttribute('aria-busy');
}
