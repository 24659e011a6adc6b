// The only place the pages talk HTTP: the public REST API (/api/v1, docs/server.md), with the
// session cookie set by /ui/login and the X-Glia-UI header that the server asks of
// cookie-authenticated writes (CSRF protection).

export class ApiError extends Error {
  constructor(status, kind, message) {
    super(message);
    this.status = status;
    this.kind = kind;
  }
}

async function request(method, path, {query, body, signal} = {}) {
  let url = path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query))
      if (v !== undefined && v !== null && v !== '') q.set(k, v);
    const s = q.toString();
    if (s) url += (url.includes('?') ? '&' : '?') + s;
  }
  const headers = {'X-Glia-UI': '1'};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url, {
    method, headers, signal, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) {
    let kind = 'Internal', message = `${method} ${path}: HTTP ${res.status}`;
    try {
      const e = (await res.json()).error;
      if (e) { kind = e.kind; message = e.message; }
    } catch (_) { /* not JSON */ }
    // The session is gone (signed out elsewhere, token revoked or expired): the shell goes to the
    // login page (app.js), whichever view asked. Not for the login call itself (a bad token).
    if (res.status === 401 && path !== '/ui/login')
      window.dispatchEvent(new Event('glia:unauthenticated'));
    throw new ApiError(res.status, kind, message);
  }
  return res;
}

/// /api/v1/workspaces/{ws}/... for a workspace-relative path ("runs/ID").
export function wsPath(ws, rel = '') {
  return `/api/v1/workspaces/${encodeURIComponent(ws)}${rel ? '/' + rel : ''}`;
}

/// A path segment, percent-encoded ("outputs/model.h5" keeps its slashes for file routes).
export function seg(s) { return encodeURIComponent(s); }
export function pathSegs(p) { return p.split('/').map(encodeURIComponent).join('/'); }

export const api = {
  async get(path, query, signal) { return (await request('GET', path, {query, signal})).json(); },
  async text(path, query, signal) { return (await request('GET', path, {query, signal})).text(); },
  /// body null: a POST with no body (routes that take none, as runs/{id}/cancel, refuse one).
  async post(path, body) {
    const res = await request('POST', path, {body: body === undefined ? {} : body === null ? undefined
                                                                                           : body});
    return res.status === 204 ? null : res.json();
  },
  async patch(path, body) { return (await request('PATCH', path, {body})).json(); },
  /// Server-Sent Events: handlers = {eventName: (data) => ...}; data is parsed JSON.
  /// Returns the EventSource (close() it when the view is left).
  events(path, handlers, query) {
    const q = query ? '?' + new URLSearchParams(query).toString() : '';
    const source = new EventSource(path + q, {withCredentials: true});
    for (const [name, fn] of Object.entries(handlers)) {
      if (name === 'error') source.onerror = fn;
      else source.addEventListener(name, (ev) => fn(JSON.parse(ev.data)));
    }
    return source;
  },
};
