// The app shell: a History-API router over the view modules (static/js/views/*.js), the
// workspace nav, the toast, and the way to the login page when the API answers 401.
import {api, ApiError} from './api.js';
import {h} from './dom.js';

// URL patterns → view modules. {name} captures one segment.
const ROUTES = [
  ['/ui/login', 'login'],
  ['/ui/w/{ws}/experiments', 'experiments'],
  ['/ui/w/{ws}/experiments/{exp}', 'runs'],
  ['/ui/w/{ws}/runs/{id}', 'run'],
  ['/ui/w/{ws}/compare', 'compare'],
  ['/ui/w/{ws}/sweeps/{id}', 'sweep'],
  ['/ui/w/{ws}/models', 'models'],
  ['/ui/w/{ws}/models/{name}/{version}', 'models'],
  ['/ui/w/{ws}/datasets', 'datasets'],
  ['/ui/w/{ws}/datasets/{name}/{version}', 'datasets'],
  ['/ui/w/{ws}/compute', 'compute'],
];

const NAV = [['experiments', 'Experiments'], ['models', 'Models'], ['datasets', 'Datasets'],
             ['compute', 'Compute']];

let cleanup = null;
let session = null;  // {user, workspaces: [{name, role}]} once known
let generation = 0;

function match(pathname) {
  const parts = pathname.replace(/\/+$/, '').split('/');
  for (const [pattern, view] of ROUTES) {
    const want = pattern.split('/');
    if (want.length !== parts.length) continue;
    const params = {};
    let ok = true;
    for (let i = 0; i < want.length && ok; i++) {
      if (want[i].startsWith('{')) params[want[i].slice(1, -1)] = decodeURIComponent(parts[i]);
      else ok = want[i] === parts[i];
    }
    if (ok) return {view, params};
  }
  return null;
}

export function toast(message, kind = 'info') {
  const el = document.getElementById('toast');
  el.textContent = message;
  el.dataset.kind = kind;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, kind === 'error' ? 8000 : 3000);
}

export function navigate(url, {replace = false} = {}) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}

async function loadSession() {
  const r = await api.get('/api/v1/workspaces');
  session = {user: r.user || '', workspaces: r.workspaces || []};
  return session;
}

function drawNav(ws, view) {
  const nav = document.getElementById('nav');
  nav.replaceChildren();
  if (!ws) {  // the login page: nobody is signed in there (not the user who just signed out)
    document.getElementById('whoami').replaceChildren();
    return;
  }
  for (const [key, label] of NAV) {
    const active = view === key || (key === 'experiments' && ['runs', 'run', 'compare', 'sweep']
                                                                  .includes(view));
    nav.append(h('a', {href: `/ui/w/${encodeURIComponent(ws)}/${key}`, 'data-link': true,
                       'data-nav': key, 'aria-current': active ? 'page' : false}, label));
  }
  if (session && session.workspaces.length > 1) {
    const select = h('select', {'aria-label': 'Workspace', onchange: (e) =>
                                  navigate(`/ui/w/${encodeURIComponent(e.target.value)}/experiments`)},
                     session.workspaces.map((w) => h('option', {value: w.name,
                                                                 selected: w.name === ws}, w.name)));
    nav.prepend(select);
  }
  const who = document.getElementById('whoami');
  const role = session?.workspaces.find((w) => w.name === ws)?.role;
  who.replaceChildren(session ? `${session.user}${role ? ' · ' + role : ''}` : '',
                      h('button', {class: 'link', id: 'key-help-open', title: 'Keyboard shortcuts (?)',
                                   onclick: keyHelp}, 'Keys'),
                      h('button', {class: 'link', id: 'logout', onclick: logout}, 'Sign out'));
}

async function logout() {
  try { await api.post('/ui/logout'); } catch (_) { /* signed out anyway */ }
  session = null;
  navigate('/ui/login');
}

function toLogin() {
  session = null;
  if (location.pathname === '/ui/login') return;  // there already (several requests got a 401)
  const next = location.pathname + location.search;
  navigate('/ui/login' + (next.startsWith('/ui/login') ? '' : '?next=' + encodeURIComponent(next)),
           {replace: true});
}

export async function render() {
  const mine = ++generation;
  if (cleanup) { try { cleanup(); } catch (_) { /* the old view is gone anyway */ } }
  cleanup = null;
  document.body.dataset.ready = '0';
  const main = document.getElementById('main');
  main.replaceChildren();
  try {
    let m = match(location.pathname);
    // The view's module loads while the session is asked for (neither waits on the other).
    const loading = m ? import(`./views/${m.view}.js`) : null;
    if (loading) loading.catch(() => {});  // awaited below; a failure is reported there
    if (m?.view !== 'login' && !session) await loadSession();
    if (!m) {  // /ui/ or an unknown page: the first workspace's experiments
      const first = session?.workspaces[0]?.name;
      if (!first) throw new ApiError(403, 'Permission', 'this token opens no workspace');
      navigate(`/ui/w/${encodeURIComponent(first)}/experiments`, {replace: true});
      return;
    }
    const ws = m.params.ws;
    drawNav(ws, m.view);
    const role = session?.workspaces.find((w) => w.name === ws)?.role || 'reader';
    // A view's messages only while it is shown: a request of a view already left (as the one
    // whose 401 led to the login page) says nothing over the next page.
    const viewToast = (message, kind) => { if (mine === generation) toast(message, kind); };
    const ctx = {api, navigate, toast: viewToast, user: {name: session?.user || '', role},
                 refreshSession: loadSession};
    const module = await loading;
    if (mine !== generation) return;
    const root = h('div', {class: `view view-${m.view}`});
    main.append(root);
    const route = {ws, params: m.params, query: new URLSearchParams(location.search)};
    const done = await module.render(root, route, ctx);
    if (mine !== generation) { if (typeof done === 'function') done(); return; }
    cleanup = typeof done === 'function' ? done : null;
    document.body.dataset.view = m.view;
    document.body.dataset.ready = '1';
  } catch (e) {
    if (mine !== generation) return;
    if (e instanceof ApiError && e.status === 401) { session = null; toLogin(); return; }
    main.replaceChildren(h('div', {class: 'error-page', role: 'alert'},
                           h('h1', {}, e instanceof ApiError ? `${e.status} ${e.kind}` : 'Error'),
                           h('p', {}, e.message)));
    toast(e.message, 'error');
    document.body.dataset.ready = '1';
  }
}

// Links marked data-link navigate inside the app (a modified click opens a new tab as usual).
document.addEventListener('click', (e) => {
  const a = e.target.closest('a[data-link]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey ||
      e.altKey || a.target === '_blank')
    return;
  e.preventDefault();
  navigate(a.getAttribute('href'));
});
// A click on a list row (tr[data-href]) outside its links, buttons and inputs opens the row.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0) return;
  const row = e.target.closest('main tr[data-href]');
  if (!row || e.target.closest('a, button, input, select, label, textarea')) return;
  if (e.metaKey || e.ctrlKey) { window.open(row.dataset.href, '_blank'); return; }
  navigate(row.dataset.href);
});

// Keyboard: "/" focuses the view's filter (Escape leaves it); j/k or ↓/↑ move between the rows of
// a list (tr[data-href], focused with a visible ring), Enter opens the focused row. A view that
// draws its rows itself (the virtualized runs table) marks its table data-own-keys and handles
// these keys for its rows.
function typingIn(el) {
  return el && el.closest && el.closest('input, textarea, select, [contenteditable=""], [contenteditable=true]');
}

document.addEventListener('keydown', (e) => {
  if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
  const target = e.target;
  if (typingIn(target)) {
    if (e.key === 'Escape' && target.matches('[data-filter]')) target.blur();
    return;
  }
  if (e.key === '?') {
    e.preventDefault();
    keyHelp();
    return;
  }
  if (e.key === '/') {
    const filter = document.querySelector('main [data-filter]');
    if (filter) {
      e.preventDefault();
      filter.focus();
      if (filter.select) filter.select();
    }
    return;
  }
  if (document.querySelector('main [data-own-keys]')) return;
  const rows = [...document.querySelectorAll('main tr[data-href]')];
  if (!rows.length) return;
  const current = document.activeElement && document.activeElement.closest &&
                  document.activeElement.closest('tr[data-href]');
  let i = current ? rows.indexOf(current) : -1;
  if (e.key === 'j' || (e.key === 'ArrowDown' && current)) i = Math.min(rows.length - 1, i + 1);
  else if (e.key === 'k' || (e.key === 'ArrowUp' && current)) i = Math.max(0, i - 1);
  else if (e.key === 'Enter' && current && target === current) {
    e.preventDefault();
    navigate(current.dataset.href);
    return;
  } else {
    return;
  }
  e.preventDefault();
  const row = rows[i];
  row.tabIndex = -1;
  row.focus();
  row.scrollIntoView({block: 'nearest'});
});

// "?": the keys, in a dialog (Escape closes it).
const KEYS = [['/', 'focus the filter (Escape leaves it)'], ['j  ↓', 'next row'], ['k  ↑', 'previous row'],
              ['Enter', 'open the row'], ['x  Space', 'select the run (runs table)'],
              ['c', 'compare the selected runs (runs table)'],
              ['PageUp PageDown Home End', 'move by a page, to the ends (runs table)'], ['?', 'this help']];
function keyHelp() {
  let dialog = document.getElementById('key-help');
  if (!dialog) {
    dialog = h('dialog', {id: 'key-help', 'aria-label': 'Keyboard shortcuts'},
               h('h2', {}, 'Keyboard'),
               h('dl', {class: 'props'}, KEYS.map(([k, what]) => [h('dt', {}, h('kbd', {}, k)), h('dd', {}, what)])),
               h('form', {method: 'dialog'}, h('button', {type: 'submit'}, 'Close')));
    document.body.append(dialog);
  }
  if (!dialog.open) dialog.showModal();
}

window.addEventListener('popstate', render);
window.addEventListener('glia:unauthenticated', toLogin);
render();
