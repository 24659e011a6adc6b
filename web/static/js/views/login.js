// Sign in with an API token (glia token create), traded by POST /ui/login for the session
// cookie. `glia ui` prints a link with ?token=...: it is used at once and dropped from the
// address bar and the history.
import {api, ApiError} from '../api.js';
import {h} from '../dom.js';

export async function render(root, route, ctx) {
  document.title = 'Sign in · Glia';
  const next = route.query.get('next');
  const safeNext = next && next.startsWith('/ui/') && !next.startsWith('//') ? next : '/ui/';
  const error = h('p', {id: 'login-error', class: 'error', role: 'alert', hidden: true});
  const input = h('input', {id: 'token', type: 'password', autocomplete: 'current-password',
                            placeholder: 'glia_…', 'aria-label': 'API token', required: true});
  const submit = h('button', {id: 'login-submit', class: 'primary', type: 'submit'}, 'Sign in');

  async function signIn(token) {
    submit.disabled = true;
    error.hidden = true;
    try {
      await api.post('/ui/login', {token: token.trim()});
      await ctx.refreshSession();
      ctx.navigate(safeNext, {replace: true});
    } catch (e) {
      error.textContent = e instanceof ApiError && e.status === 401
          ? 'That token is not valid here (revoked, expired or mistyped?).' : e.message;
      error.hidden = false;
      submit.disabled = false;
      input.focus();
    }
  }

  const form = h('form', {id: 'login-form', class: 'login card', onsubmit: (e) => {
    e.preventDefault();
    signIn(input.value);
  }},
  h('h1', {}, 'Sign in to Glia'),
  h('p', {class: 'muted'}, 'Paste an API token (', h('code', {}, 'glia token create'),
    ' makes one).'),
  // A password form wants a user name field (browsers and password managers look for one).
  h('input', {type: 'text', name: 'username', autocomplete: 'username', value: 'glia-token',
              hidden: true, 'aria-hidden': 'true', tabindex: -1}),
  input, submit, error);
  root.append(form);

  const token = route.query.get('token');
  if (token) {
    history.replaceState(null, '', location.pathname +
                         (next ? '?next=' + encodeURIComponent(next) : ''));
    await signIn(token);
  } else {
    input.focus();
  }
}
