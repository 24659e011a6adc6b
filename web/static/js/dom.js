// Small DOM helpers shared by the views: an element builder and formatting.

/// h('a', {href: '/x', class: 'y', onclick: f, dataset: {id: 1}}, 'text', child, [more])
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/// Seconds → "1 h 02 min", "3 min 04 s", "12.3 s".
export function duration(seconds) {
  if (seconds === undefined || seconds === null || !isFinite(seconds)) return '';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const m = Math.floor(seconds / 60), s = Math.floor(seconds % 60);
  if (m < 60) return `${m} min ${String(s).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/// A time as the API gives it (ISO 8601 "2026-12-05T13:03:07Z", or Unix seconds) → seconds.
export function seconds(t) {
  if (t === undefined || t === null || t === '') return null;
  if (typeof t === 'number') return t;
  const ms = Date.parse(t);
  return isNaN(ms) ? null : ms / 1000;
}

/// A time (ISO 8601 or Unix seconds) → local "2026-12-05 14:03:07".
export function time(t) {
  const unixSeconds = seconds(t);
  if (!unixSeconds) return '';
  const d = new Date(unixSeconds * 1000);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
         `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function bytes(n) {
  if (n === undefined || n === null) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}

/// A number for a table cell: 4 significant digits, integers as they are.
export function num(v) {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3 ? v.toExponential(3) : v.toPrecision(4);
}

/// A status badge: <span class="status status-completed">Completed</span>.
export function status(name) {
  return h('span', {class: `status status-${String(name || '').toLowerCase()}`}, name || '');
}

/// Workspace-relative page URL: page(ws, 'runs', id) → /ui/w/ws/runs/id.
export function page(ws, ...parts) {
  return '/ui/w/' + [ws, ...parts].map(encodeURIComponent).join('/');
}

/// A time (ISO 8601 or Unix seconds) → "3 min ago", "2 d ago" (the full time as a tooltip).
export function ago(t) {
  const s = seconds(t);
  if (!s) return '';
  const d = Date.now() / 1000 - s;
  let text;
  if (d < 45) text = 'just now';
  else if (d < 3600) text = `${Math.round(d / 60)} min ago`;
  else if (d < 86400) text = `${Math.round(d / 3600)} h ago`;
  else if (d < 86400 * 60) text = `${Math.round(d / 86400)} d ago`;
  else return time(s);
  return text;
}

/// An element for a time: relative text, the exact local time in its title.
export function when(t) {
  return h('time', {datetime: typeof t === 'string' ? t : undefined, title: time(t)}, ago(t));
}

/// The message a listing shows when it has nothing: <p class="empty">.
export function empty(text, ...more) {
  return h('div', {class: 'empty', 'data-testid': 'empty'}, h('p', {}, text), ...more);
}

/// An error shown in a view (the toast says it too): <div class="error-box" role="alert">.
export function errorBox(e) {
  const title = e && e.status ? `${e.status} ${e.kind || ''}`.trim() : 'Error';
  return h('div', {class: 'error-box', role: 'alert'}, h('strong', {}, title), ' ',
           (e && e.message) || String(e));
}

/// Shows an error in `el` (replacing its content) and as a toast.
export function showError(el, e, ctx) {
  if (el) el.replaceChildren(errorBox(e));
  if (ctx && ctx.toast) ctx.toast((e && e.message) || String(e), 'error');
}

/// A plain table: columns [{label, num?}] and rows of cells; each row may carry attrs.
/// Rows with `data-href` are keyboard-navigable (j/k, arrows, Enter: app.js).
export function table(attrs, columns, rows) {
  return h('table', {class: 'list', ...attrs},
           h('thead', {}, h('tr', {}, columns.map((c) =>
             h('th', {class: c.num ? 'num' : undefined, scope: 'col'}, c.label)))),
           h('tbody', {}, rows));
}

/// A key → value object as a <dl class="props"> (empty values left out; a value may be a Node).
export function props(obj) {
  const items = Object.entries(obj || {}).filter(([, v]) => v !== undefined && v !== null && v !== '');
  if (!items.length) return h('p', {class: 'muted'}, 'none');
  return h('dl', {class: 'props'}, items.map(([k, v]) => [h('dt', {}, k),
                                                          h('dd', {}, v instanceof Node ? v : String(v))]));
}

/// Tags as chips: {team: 'a'} → <span class="chip">team: a</span>.
export function chips(obj) {
  const items = Object.entries(obj || {});
  if (!items.length) return h('span', {class: 'muted'}, 'none');
  return h('span', {class: 'chips'}, items.map(([k, v]) =>
    h('span', {class: 'chip', title: `${k}: ${v}`}, v === '' ? k : `${k}: ${v}`)));
}

/// "2026-12-05T12:38:18.419Z" → local "2026-12-05 13:38:18".
export function isoTime(iso) {
  if (!iso) return '';
  const t = Date.parse(iso);
  return isNaN(t) ? String(iso) : time(t / 1000);
}

/// A titled card section.
export function card(title, ...body) {
  return h('section', {class: 'card'}, title ? h('h2', {}, title) : null, ...body);
}
