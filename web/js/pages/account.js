// Account: who the caller is (role, permissions, quotas) and their own API keys: create (the
// secret is shown once), list, delete.

import * as api from '../api.js';
import { add, h, field, pageHeading, messageArea, notify, confirmDialog, timeElement, table, pager } from '../ui.js';

const QUOTA_LABELS = {
  cpu_percent: ['CPU', (v) => `${v} %`],
  memory_mb: ['Memory', (v) => `${v} MiB`],
  tasks_max: ['Tasks', String],
  max_concurrent: ['Concurrent runs', String],
  exec_timeout_s: ['Run timeout', (v) => `${v} s`],
  disk_mb: ['Disk', (v) => `${v} MiB`],
  requests_per_minute: ['Requests per minute', String],
};

export async function render(main, ctx) {
  const me = ctx.me;
  const area = messageArea();
  const canManage = (me.permissions || []).includes('keys:manage');

  const profile = h('section', { class: 'card card-body mb-3', 'aria-labelledby': 'profile-heading' },
    h('h2', { class: 'h6', id: 'profile-heading' }, 'You'),
    h('dl', { class: 'row mb-0' },
      h('dt', { class: 'col-sm-3' }, 'Username'), h('dd', { class: 'col-sm-9' }, me.username),
      h('dt', { class: 'col-sm-3' }, 'Role'), h('dd', { class: 'col-sm-9' }, me.role),
      h('dt', { class: 'col-sm-3' }, 'Permissions'), h('dd', { class: 'col-sm-9' },
        (me.permissions || []).map((p) => h('span', { class: 'badge text-bg-light border me-1' }, p))),
      h('dt', { class: 'col-sm-3' }, 'Quotas'), h('dd', { class: 'col-sm-9 mb-0' },
        h('ul', { class: 'list-inline mb-0' }, Object.entries(me.quotas || {}).map(([k, v]) => {
          const [label, fmt] = QUOTA_LABELS[k] || [k, String];
          return h('li', { class: 'list-inline-item' }, `${label}: ${fmt(v)}`);
        })))));

  const name = h('input', { class: 'form-control', name: 'name', required: true, maxlength: '100', autocomplete: 'off' });
  const days = h('input', { class: 'form-control', type: 'number', name: 'expires_in_days', min: '1', max: '3650', step: '1' });
  const scopeBoxes = (me.permissions || []).map((permission) =>
    field(permission, h('input', { class: 'form-check-input', type: 'checkbox', name: 'scope', value: permission, checked: true }), { wrapClass: 'form-check-inline' }));
  const secretBox = h('div', { id: 'new-key', 'aria-live': 'polite' });
  const createForm = h('form', { class: 'card card-body mb-3', 'aria-labelledby': 'new-key-heading' },
    h('h2', { class: 'h6', id: 'new-key-heading' }, 'Create an API key'),
    h('div', { class: 'row g-2' },
      field('Name', name, { wrapClass: 'col-md-6' }).wrap,
      field('Expires after (days)', days, { wrapClass: 'col-md-6', help: 'Empty: never expires.' }).wrap),
    h('fieldset', { class: 'mb-2' }, h('legend', { class: 'fs-6' }, 'Scopes (what the key may do)'), scopeBoxes.map((s) => s.wrap)),
    h('div', {}, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create key')));
  createForm.hidden = !canManage;

  const tbody = h('tbody', {});
  const more = pager((cursor) => load(cursor));

  function showSecret(key) {
    const secret = h('input', { class: 'form-control font-monospace', readOnly: true, value: key.key, id: 'new-key-secret' });
    const copy = h('button', { type: 'button', class: 'btn btn-outline-secondary' }, 'Copy');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(key.key);
        copy.textContent = 'Copied';
      } catch {
        secret.select();
        copy.textContent = 'Select and copy it';
      }
    });
    secretBox.replaceChildren(h('div', { class: 'alert alert-success', role: 'status' },
      h('p', { class: 'mb-2' }, h('strong', {}, `Key “${key.name}” created.`), ' Copy it now: it is shown only this once.'),
      h('label', { class: 'form-label', for: 'new-key-secret' }, 'Secret'),
      h('div', { class: 'input-group' }, secret, copy)));
    secret.focus();
    secret.select();
  }

  createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    area.clear();
    const scopes = scopeBoxes.map((s) => s.input).filter((i) => i.checked).map((i) => i.value);
    if (!scopes.length) {
      area.error('Choose at least one scope for the key.');
      return;
    }
    const body = { name: name.value.trim(), scopes };
    if (days.value) body.expires_in_days = Number(days.value);
    try {
      const key = await api.post('/api/keys', body);
      createForm.reset();
      showSecret(key);
      await load();
    } catch (err) {
      area.error(err);
    }
  });

  function row(key) {
    return h('tr', { dataset: { key: key.id } },
      h('td', { class: 'text-break' }, key.name),
      h('td', { class: 'font-monospace small' }, `${key.prefix || ''}…`),
      h('td', { class: 'small d-none d-md-table-cell' }, (key.scopes || []).join(', ')),
      h('td', { class: 'text-nowrap d-none d-sm-table-cell' }, timeElement(key.created_at)),
      h('td', { class: 'text-nowrap' }, key.expires_at ? timeElement(key.expires_at) : 'never'),
      h('td', { class: 'text-end' }, h('button', { type: 'button', class: 'btn btn-sm btn-outline-danger', 'aria-label': `Delete key ${key.name}`, onClick: () => remove(key) }, 'Delete')));
  }

  async function load(cursor = null) {
    try {
      const page = await api.get('/api/keys', { query: { limit: 100, cursor } });
      more.fill(tbody, page, row, !cursor, 'You have no API keys.');
    } catch (err) {
      area.error(err);
    }
  }

  async function remove(key) {
    if (!await confirmDialog(`Delete the key “${key.name}”?`, 'Programs using it are refused at once.', 'Delete')) return;
    try {
      await api.del(`/api/keys/${encodeURIComponent(key.id)}`);
      notify(`Deleted the key “${key.name}”.`);
      await load();
    } catch (err) {
      area.error(err);
    }
  }

  add(main, pageHeading('Account'), area.el, profile, secretBox, createForm,
    h('h2', { class: 'h6' }, 'Your API keys'),
    table('Your API keys', ['Name', 'Key', ['Scopes', 'd-none d-md-table-cell'], ['Created', 'd-none d-sm-table-cell'], 'Expires', ''], tbody),
    more.el);
  if (canManage) await load();
  else area.info('Your role may not manage API keys.', 'secondary');
}
