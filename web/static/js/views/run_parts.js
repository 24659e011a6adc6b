// Parts of the run page (run.js): the overview's cards drawn from the run JSON (inputs with their
// dataset versions, environment, tags and parameters), the Files tab (the run's files as a folder
// tree with download links, small text files and images viewed in place) and the Models tab (the
// model versions registered from it).
import {wsPath, pathSegs} from '../api.js';
import {h, bytes, page, isoTime, card} from '../dom.js';

/// A label and value for a <dl class="props">; nothing for an empty value.
export function prop(label, value) {
  if (value === undefined || value === null || value === '') return [];
  return [h('dt', {}, label), h('dd', {}, value)];
}

const TEXT_VIEW_MAX = 512 * 1024;  // files viewed inline up to this size
const TEXT_EXT = /\.(txt|log|md|json|ya?ml|csv|tsv|py|sh|cfg|ini|toml|xml|html?|js|css|c|cc|cpp|h|hpp|r|ipynb|out|err|conf|properties)$/i;
// Raster images: the server answers them with their type (an SVG is bytes, never drawn).
const IMAGE_EXT = /\.(png|jpe?g|gif|webp)$/i;

/// The Files tab's content.
export async function filesPanel({api, base, fail, isClosed}) {
  const files = await api.get(`${base}/files`);
  const viewer = h('div', {id: 'file-viewer'});
  const tree = {dirs: new Map(), files: []};
  for (const f of files) {
    const parts = f.path.split('/');
    let node = tree;
    for (const d of parts.slice(0, -1)) {
      if (!node.dirs.has(d)) node.dirs.set(d, {dirs: new Map(), files: []});
      node = node.dirs.get(d);
    }
    node.files.push({...f, name: parts[parts.length - 1]});
  }
  async function view(f) {
    const url = `${base}/files/${pathSegs(f.path)}`;
    if (IMAGE_EXT.test(f.name)) {
      viewer.replaceChildren(card(f.path, h('img', {src: url, alt: f.path, class: 'file-image'})));
      return;
    }
    viewer.replaceChildren(card(f.path, h('p', {class: 'muted'}, 'Loading…')));
    try {
      const text = await api.text(url);
      if (!isClosed())
        viewer.replaceChildren(card(f.path, h('pre', {class: 'log file-text', id: 'file-text'}, text)));
    } catch (e) { fail(e); }
  }
  function list(node, prefix) {
    const dirs = [...node.dirs].sort(([a], [b]) => a.localeCompare(b));
    const items = node.files.sort((a, b) => a.name.localeCompare(b.name));
    return h('ul', {class: 'file-tree'},
             dirs.map(([name, child]) => h('li', {}, h('details', {open: true},
                 h('summary', {}, h('span', {class: 'folder'}, name + '/')),
                 list(child, prefix + name + '/')))),
             items.map((f) => {
               const viewable = (TEXT_EXT.test(f.name) && f.size <= TEXT_VIEW_MAX) ||
                                IMAGE_EXT.test(f.name);
               return h('li', {class: 'file'},
                        h('a', {href: `${base}/files/${pathSegs(f.path)}`, download: f.name,
                                'data-testid': 'file-link', 'data-path': f.path}, f.name),
                        ' ', h('span', {class: 'muted'}, bytes(f.size)),
                        viewable ? [' ', h('button', {type: 'button', class: 'link',
                                                      onclick: () => view(f)}, 'view')] : null);
             }));
  }
  const box = h('div', {id: 'run-files', class: 'card'},
                files.length ? list(tree, '') : h('p', {class: 'muted'}, 'No files.'));
  return h('div', {class: 'files-layout'}, box, viewer);
}

/// The Models tab's content.
export async function modelsPanel({api, ws, id}) {
  const models = await api.get(wsPath(ws, 'models'), {run: id});
  const box = h('div', {id: 'run-models'});
  if (!models.length) {
    box.append(h('p', {class: 'muted'}, 'No model version was registered from this run.'));
  } else {
    box.append(h('table', {},
      h('thead', {}, h('tr', {}, ['Model', 'Version', 'Path in the run', 'Files', 'Size', 'Created',
                                  'Tags'].map((t) => h('th', {}, t)))),
      h('tbody', {}, models.map((m) => h('tr', {'data-testid': 'model-row'},
        h('td', {}, h('a', {href: page(ws, 'models', m.name, String(m.version)), 'data-link': true},
                      m.name)),
        h('td', {class: 'num'}, String(m.version)), h('td', {}, m.path || ''),
        h('td', {class: 'num'}, String(m.files ?? '')), h('td', {class: 'num'}, bytes(m.bytes)),
        h('td', {}, isoTime(m.created_at)),
        h('td', {}, Object.entries(m.tags || {}).map(([k, v]) => `${k}=${v}`).join(', ')))))));
  }
  return box;
}

/// The overview's cards, drawn from the run JSON (GET .../runs/{id}).
export function inputsCard(run, ws) {
  const inputs = run.inputs || {};
  const datasets = run.datasets || [];
  const names = [...new Set([...Object.keys(inputs), ...datasets.map((d) => d.input)])];
  if (!names.length) return null;
  const rows = names.map((name) => {
    const ds = datasets.filter((d) => d.input === name);
    const v = inputs[name];
    const value = ds.length
        ? ds.map((d) => h('span', {}, h('a', {href: page(ws, 'datasets', d.dataset, String(d.version)),
                                              'data-link': true, 'data-testid': 'input-dataset'},
                                            `${d.dataset}:${d.version}`),
                          d.mode ? h('span', {class: 'muted'}, ` (${d.mode})`) : ''))
        : typeof v === 'object' && v !== null ? h('code', {}, JSON.stringify(v)) : String(v ?? '');
    return h('tr', {}, h('th', {scope: 'row'}, name), h('td', {}, value));
  });
  return card('Inputs', h('table', {class: 'kv', id: 'run-inputs'}, h('tbody', {}, rows)));
}

export function environmentCard(run) {
  const job = run.job || {};
  const env = job.environment;
  const vars = job.environment_variables || {};
  const resources = job.resources || {};
  const props = [
    ...prop('Environment', env === null || env === undefined ? 'the agent\'s own (none given)'
                             : typeof env === 'string' ? env : h('code', {}, JSON.stringify(env))),
    ...Object.entries(resources).flatMap(([k, v]) => prop(k, String(v))),
    ...Object.entries(vars).flatMap(([k, v]) => prop(k, h('code', {}, String(v)))),
  ];
  if (run.properties?.threads) props.push(...prop('Threads', `${run.properties.threads}` +
      (run.properties.threads_from ? ` (${run.properties.threads_from})` : '')));
  return card('Environment', h('dl', {class: 'props'}, props));
}

export function tagsCard(run) {
  const sections = [];
  const kv = (obj, cls) => h('div', {class: `run-chips ${cls}`},
      Object.entries(obj).map(([k, v]) => h('span', {class: 'run-chip'}, k,
                                             v === '' ? '' : h('b', {}, ` ${typeof v === 'object' ? JSON.stringify(v) : v}`))));
  if (run.tags && Object.keys(run.tags).length) sections.push(h('h3', {}, 'Tags'), kv(run.tags, 'tags'));
  if (run.params && Object.keys(run.params).length)
    sections.push(h('h3', {}, 'Parameters'), kv(run.params, 'params'));
  if (run.parameters && Object.keys(run.parameters).length)
    sections.push(h('h3', {}, 'Trial parameters'), kv(run.parameters, 'params'));
  const props = {...(run.properties || {})};
  delete props.threads;
  delete props.threads_from;
  if (Object.keys(props).length) sections.push(h('h3', {}, 'Properties'), kv(props, 'props'));
  return sections.length ? card('Tags and parameters', ...sections) : null;
}
