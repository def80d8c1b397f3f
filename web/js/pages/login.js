// Sign in: username and password to POST /api/auth/login; errors in the API's words.

import * as api from '../api.js';
import { add, h, field, messageArea } from '../ui.js';

export function render(main, ctx) {
  const area = messageArea();
  const reason = ctx.loginMessage();
  if (reason) area.info(reason, 'warning');
  const username = h('input', { class: 'form-control', name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { class: 'form-control', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary w-100' }, 'Sign in');
  const form = h('form', { class: 'card card-body shadow-sm', novalidate: false },
    field('Username', username).wrap,
    field('Password', password).wrap,
    submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    area.clear();
    try {
      await api.login(username.value.trim(), password.value);
      await ctx.signedIn();
    } catch (err) {
      area.error(err.status === 401 ? 'Wrong username or password.' : err);
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  add(main, h('div', { class: 'login-box mx-auto' },
    h('h1', { class: 'h3 mb-3', tabindex: '-1' }, 'Sign in to Nox'),
    area.el,
    form));
  username.focus();
}
