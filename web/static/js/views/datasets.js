// The registered datasets (GET .../datasets, one row per name) and a version's page
// (GET .../datasets/{name}/versions/{v}): its versions, where its files came from, its files
// with download links (each file is a blob of the workspace: GET .../blobs/{sha256}), and the
// runs that used it.
import {seg, wsPath} from '../api.js';
import {bytes, empty, h, page, props, showError, time, when} from '../dom.js';

export async function render(root, route, ctx) {
  return route.params.name ? version(root, route, ctx) : list(root, route, ctx);
}

function sourceEl(s) {
  const text = typeof s === 'string' ? s : JSON.stringify(s);
  return /^https?:\/\//i.test(text) ? h('a', {href: text, rel: 'noopener noreferrer', target: '_blank'}, text)
                                    : h('code', {}, text);
}

async function list(root, route, ctx) {
  const {ws} = route;
  document.title = `Datasets · ${ws} · Glia`;
  const filter = h('input', {type: 'search', id: 'datasets-filter', 'data-filter': true,
                             placeholder: 'Filter datasets  ( / )', 'aria-label': 'Filter datasets'});
  const archived = h('input', {type: 'checkbox', id: 'datasets-archived'});
  const count = h('span', {class: 'muted'});
  const body = h('div', {});
  root.append(h('div', {class: 'view-head'}, h('h1', {}, 'Datasets'), count),
              h('div', {class: 'toolbar'}, filter,
                h('label', {class: 'check'}, archived, 'Show archived versions')), body);
  let versions;
  try {
    versions = await ctx.api.get(wsPath(ws, 'datasets'));
  } catch (e) {
    showError(body, e, ctx);
    return;
  }
  if (!versions.length) {
    body.append(empty('No registered datasets yet.',
                      h('p', {class: 'muted'}, 'Register one: ',
                        h('code', {}, 'glia dataset create --name NAME PATH'),
                        ', or name a local folder as a job input.')));
    return;
  }
  const tbody = h('tbody', {});
  const none = h('p', {class: 'muted', hidden: true}, 'No dataset matches the filter.');
  body.append(h('table', {class: 'list', id: 'datasets-table'},
                h('thead', {}, h('tr', {}, ['Dataset', 'Latest', 'Versions', 'Files', 'Size', 'Source', 'Registered']
                  .map((l, i) => h('th', {scope: 'col', class: [1, 3, 4].includes(i) ? 'num' : undefined}, l)))),
                tbody), none);

  function draw() {
    const q = filter.value.trim().toLowerCase();
    const byName = new Map();
    for (const v of versions) {
      if (v.archived && !archived.checked) continue;
      if (q && !v.name.toLowerCase().includes(q)) continue;
      if (!byName.has(v.name)) byName.set(v.name, []);
      byName.get(v.name).push(v);
    }
    const names = new Set(versions.filter((v) => archived.checked || !v.archived).map((v) => v.name));
    count.textContent = `${names.size} dataset${names.size === 1 ? '' : 's'}`;
    tbody.replaceChildren(...[...byName.entries()].map(([name, vs]) => {
      vs.sort((a, b) => b.version - a.version);
      const d = vs[0];
      const href = page(ws, 'datasets', name, String(d.version));
      const sources = Array.isArray(d.sources) ? d.sources : [];
      return h('tr', {'data-testid': 'dataset-row', 'data-dataset': name, 'data-href': href},
               h('td', {}, h('a', {href, 'data-link': true}, name),
                 d.description ? h('div', {class: 'muted small'}, d.description) : null),
               h('td', {class: 'num'}, `v${d.version}`),
               h('td', {}, vs.slice(0, 8).map((x) => h('a', {href: page(ws, 'datasets', name, String(x.version)),
                                                            'data-link': true, class: 'chip' + (x.archived ? ' archived' : '')},
                                                         `v${x.version}`)), vs.length > 8 ? ` +${vs.length - 8}` : ''),
               h('td', {class: 'num'}, d.files),
               h('td', {class: 'num'}, bytes(d.bytes)),
               h('td', {class: 'source', title: sources.join('\n')}, sources.length ? sourceEl(sources[0]) : '',
                 sources.length > 1 ? h('span', {class: 'muted'}, ` +${sources.length - 1}`) : null),
               h('td', {}, when(d.created_at)));
    }));
    none.hidden = byName.size > 0;
  }
  filter.addEventListener('input', draw);
  archived.addEventListener('change', draw);
  draw();
}

async function version(root, route, ctx) {
  const {ws} = route;
  const {name} = route.params;
  const v = route.params.version;
  document.title = `${name}:${v} · datasets · Glia`;
  const label = h('span', {class: 'muted'}, `v${v}`);
  const body = h('div', {id: 'dataset-detail'});
  root.append(h('div', {class: 'view-head'},
                h('h1', {}, h('a', {href: page(ws, 'datasets'), 'data-link': true, class: 'muted'}, 'Datasets'),
                  ' / ', name, ' ', label)),
              body);
  let d, all;
  try {
    [d, all] = await Promise.all([ctx.api.get(wsPath(ws, `datasets/${seg(name)}/versions/${seg(v)}`)),
                                  ctx.api.get(wsPath(ws, 'datasets')).catch(() => [])]);
  } catch (e) {
    showError(body, e, ctx);
    return;
  }
  label.textContent = `v${d.version}` + (d.archived ? ' (archived)' : '');
  const siblings = all.filter((x) => x.name === d.name).sort((a, b) => b.version - a.version);

  const versionsTable = h('table', {class: 'list', id: 'dataset-versions'},
    h('thead', {}, h('tr', {}, ['Version', 'Files', 'Size', 'Content hash', 'Registered', 'By']
      .map((l, i) => h('th', {scope: 'col', class: i === 1 || i === 2 ? 'num' : undefined}, l)))),
    h('tbody', {}, siblings.map((x) => {
      const href = page(ws, 'datasets', x.name, String(x.version));
      return h('tr', {'data-href': href, 'aria-current': x.version === d.version ? 'page' : false},
               h('td', {}, h('a', {href, 'data-link': true}, `v${x.version}`), x.archived ? h('span', {class: 'badge'}, 'archived') : null),
               h('td', {class: 'num'}, x.files), h('td', {class: 'num'}, bytes(x.bytes)),
               h('td', {class: 'mono muted', title: x.content_hash}, (x.content_hash || '').slice(0, 12)),
               h('td', {}, when(x.created_at)), h('td', {}, x.created_by));
    })));

  const files = d.file_list || [];
  const blobUrl = (sha) => wsPath(ws, `blobs/${seg(sha)}`);
  const filesEl = files.length
    ? h('table', {class: 'list', id: 'dataset-files'},
        h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'File'), h('th', {scope: 'col', class: 'num'}, 'Size'),
                         h('th', {scope: 'col'}, 'SHA-256'))),
        h('tbody', {}, files.slice(0, 1000).map((f) => h('tr', {},
          h('td', {}, h('a', {href: blobUrl(f.sha256), download: f.path.split('/').pop(), 'data-testid': 'file-link'}, f.path)),
          h('td', {class: 'num'}, bytes(f.size)),
          h('td', {class: 'mono muted', title: f.sha256}, (f.sha256 || '').slice(0, 12))))))
    : h('p', {class: 'muted'}, 'No files.');

  const used = d.used_by || [];
  const usedEl = used.length
    ? h('table', {class: 'list', id: 'dataset-used-by'},
        h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Run'), h('th', {scope: 'col'}, 'Input'), h('th', {scope: 'col'}, 'Mode'))),
        h('tbody', {}, used.map((u) => {
          const href = page(ws, 'runs', u.run);
          return h('tr', {'data-href': href, 'data-testid': 'dataset-run'},
                   h('td', {}, h('a', {href, 'data-link': true, class: 'mono'}, u.run)),
                   h('td', {}, u.input), h('td', {}, u.mode));
        })))
    : h('p', {class: 'muted'}, 'No run has used this version yet.');

  const sources = Array.isArray(d.sources) ? d.sources : [];
  body.append(
    h('div', {class: 'grid'},
      h('section', {class: 'card'}, h('h2', {}, 'Version'),
        props({Name: d.name, Version: d.version, Description: d.description,
               Registered: time(d.created_at), By: d.created_by, Files: `${d.files} (${bytes(d.bytes)})`,
               'Content hash': h('span', {class: 'mono', title: d.content_hash}, (d.content_hash || '').slice(0, 16)),
               Archived: d.archived ? 'yes' : ''})),
      h('section', {class: 'card'}, h('h2', {}, 'Registered from'),
        sources.length ? h('ul', {class: 'plain'}, sources.map((s) => h('li', {}, sourceEl(s))))
                       : h('p', {class: 'muted'}, 'not recorded'),
        h('p', {class: 'muted small'}, 'Use it in a job: ', h('code', {}, `path: glia:${d.name}:${d.version}`)))),
    h('h2', {}, `Files (${files.length})`), filesEl,
    h('p', {class: 'muted', hidden: files.length <= 1000}, `The first 1000 of ${files.length} files.`),
    h('h2', {}, 'Versions'), versionsTable,
    h('h2', {}, `Used by (${used.length})`), usedEl);
}
