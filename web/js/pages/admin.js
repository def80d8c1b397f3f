// Admin (administrators only; the app hides it from others and the API refuses them anyway):
// users with roles and quotas (create, edit, disable, delete), API key activity, the audit log
// with filters. Sub-pages: #/admin/users, #/admin/keys, #/admin/audit.

import * as api from '../api.js';
import {
  add, h, field, select, pageHeading, messageArea, notify, dialog, confirmDialog, timeElement, table, pager,
} from '../ui.js';

const ROLES = ['user', 'viewer', 'admin'];
const QUOTAS = [
  ['cpu_percent', 'CPU (%; 100 = one core)'],
  ['memory_mb', 'Memory (MiB)'],
  ['tasks_max', 'Tasks'],
  ['max_concurrent', 'Concurrent runs'],
  ['exec_timeout_s', 'Run timeout (s)'],
  ['disk_mb', 'Disk (MiB)'],
  ['requests_per_minute', 'Requests per minute'],
];
const AUDIT_ACTIONS = ['auth.login', 'auth.refresh', 'auth.logout', 'key.create', 'key.delete', 'user.create', 'user.update', 'user.disable', 'user.delete'];
const TABS = [['users', 'Users'], ['keys', 'API keys'], ['audit', 'Audit log']];

export async function render(main, ctx, rest) {
  const tab = TABS.some(([id]) => id === rest[0]) ? rest[0] : 'users';
  const area = messageArea();
  add(main, pageHeading('Admin'),
    h('ul', { class: 'nav nav-tabs mb-3' }, TABS.map(([id, title]) => h('li', { class: 'nav-item' },
      h('a', { class: `nav-link${id === tab ? ' active' : ''}`, href: `#/admin/${id}`, 'aria-current': id === tab ? 'page' : null }, title)))),
    area.el);
  if (tab === 'users') await usersTab(main, area, ctx);
  else if (tab === 'keys') await auditTab(main, area, { keysOnly: true });
  else await auditTab(main, area, {});
}

// ------------------------------------------------------------------ users

function quotaInputs(values, placeholderFrom) {
  return h('div', { class: 'row g-2' }, QUOTAS.map(([name, label]) => field(label,
    h('input', { class: 'form-control form-control-sm', type: 'number', min: '1', step: '1', name: `quota.${name}`, value: values ? values[name] : '', placeholder: placeholderFrom ? 'default' : '' }),
    { wrapClass: 'col-6 col-md-4 col-xl-3' }).wrap));
}

function quotasFrom(form, previous = null) {
  const quotas = {};
  for (const [name] of QUOTAS) {
    const raw = String(form.get(`quota.${name}`) || '').trim();
    if (raw === '') continue;
    const value = Number(raw);
    if (!previous || previous[name] !== value) quotas[name] = value;
  }
  return quotas;
}

async function usersTab(main, area, ctx) {
  const tbody = h('tbody', {});
  const more = pager((cursor) => load(cursor));
  const username = h('input', { class: 'form-control', name: 'username', required: true, pattern: '[a-z][a-z0-9_]{0,31}', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' });
  const password = h('input', { class: 'form-control', name: 'password', type: 'password', required: true, minlength: '8', autocomplete: 'new-password' });
  const role = select(ROLES, 'user', { name: 'role' });
  const createForm = h('form', { class: 'card card-body mb-3', 'aria-labelledby': 'create-user-heading' },
    h('h2', { class: 'h6', id: 'create-user-heading' }, 'Create a user'),
    h('div', { class: 'row g-2' },
      field('Username', username, { wrapClass: 'col-md-4', help: 'Lowercase letters, digits and _, starting with a letter.' }).wrap,
      field('Password', password, { wrapClass: 'col-md-4', help: 'At least 8 characters.' }).wrap,
      field('Role', role, { wrapClass: 'col-md-4' }).wrap),
    h('details', { class: 'mb-2' }, h('summary', {}, 'Quotas (empty: the server default)'), quotaInputs(null, true)),
    h('div', {}, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Create user')));

  createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    area.clear();
    const form = new FormData(createForm);
    const quotas = quotasFrom(form);
    try {
      const user = await api.post('/api/admin/users', {
        username: username.value.trim(), password: password.value, role: role.value,
        ...(Object.keys(quotas).length ? { quotas } : {}),
      });
      notify(`Created ${user.role} ${user.username}.`);
      createForm.reset();
      await load();
    } catch (err) {
      area.error(err);
    }
  });

  function row(user) {
    const q = user.quotas || {};
    return h('tr', { dataset: { user: user.username } },
      h('td', { class: 'text-break' }, user.username, user.username === ctx.me.username ? h('span', { class: 'text-muted' }, ' (you)') : null),
      h('td', {}, user.role),
      h('td', {}, user.disabled ? h('span', { class: 'badge text-bg-secondary' }, 'disabled') : h('span', { class: 'badge text-bg-success' }, 'active')),
      h('td', { class: 'small d-none d-lg-table-cell' }, `${q.cpu_percent}% CPU · ${q.memory_mb} MiB · ${q.disk_mb} MiB disk · ${q.max_concurrent} at once · ${q.exec_timeout_s} s`),
      h('td', { class: 'd-none d-md-table-cell text-nowrap' }, timeElement(user.created_at)),
      h('td', { class: 'text-end' }, h('div', { class: 'btn-group btn-group-sm', role: 'group', 'aria-label': `Actions for ${user.username}` },
        h('button', { type: 'button', class: 'btn btn-outline-primary', onClick: () => edit(user) }, 'Edit'),
        h('button', { type: 'button', class: 'btn btn-outline-secondary', onClick: () => toggle(user) }, user.disabled ? 'Enable' : 'Disable'),
        h('button', { type: 'button', class: 'btn btn-outline-danger', onClick: () => remove(user) }, 'Delete'))));
  }

  async function load(cursor = null) {
    try {
      const page = await api.get('/api/admin/users', { query: { limit: 100, cursor } });
      more.fill(tbody, page, row, !cursor, 'No users.');
    } catch (err) {
      area.error(err);
    }
  }

  async function edit(user) {
    const body = h('div', {},
      field('Role', select(ROLES, user.role, { name: 'role' })).wrap,
      field('New password', h('input', { class: 'form-control', type: 'password', name: 'password', minlength: '8', autocomplete: 'new-password' }), { help: 'Leave empty to keep the current one.' }).wrap,
      field('Disabled (cannot sign in; tokens and keys refused)', h('input', { class: 'form-check-input', type: 'checkbox', name: 'disabled', checked: user.disabled })).wrap,
      h('h3', { class: 'h6' }, 'Quotas'),
      quotaInputs(user.quotas, false));
    const form = await dialog({ title: `Edit ${user.username}`, body, submitLabel: 'Save' });
    if (!form) return;
    const change = {};
    if (form.get('role') !== user.role) change.role = form.get('role');
    if (form.get('password')) change.password = form.get('password');
    const disabled = form.get('disabled') === 'on';
    if (disabled !== user.disabled) change.disabled = disabled;
    const quotas = quotasFrom(form, user.quotas);
    if (Object.keys(quotas).length) change.quotas = quotas;
    if (!Object.keys(change).length) return;
    await patch(user, change, `Saved ${user.username}.`);
  }

  async function patch(user, change, message) {
    area.clear();
    try {
      await api.patch(`/api/admin/users/${encodeURIComponent(user.username)}`, change);
      notify(message);
      await load();
    } catch (err) {
      area.error(err);
    }
  }

  async function toggle(user) {
    if (!user.disabled && !await confirmDialog(`Disable ${user.username}?`, `${user.username} will not be able to sign in, and their tokens and API keys stop working.`, 'Disable')) return;
    await patch(user, { disabled: !user.disabled }, `${user.username} is ${user.disabled ? 'enabled' : 'disabled'}.`);
  }

  async function remove(user) {
    if (!await confirmDialog(`Delete ${user.username}?`, `The user ${user.username}, their files, backups and API keys are deleted for good.`, 'Delete')) return;
    area.clear();
    try {
      await api.del(`/api/admin/users/${encodeURIComponent(user.username)}`);
      notify(`Deleted ${user.username}.`);
      await load();
    } catch (err) {
      area.error(err);
    }
  }

  add(main, createForm,
    h('h2', { class: 'h6' }, 'Users'),
    table('Users', ['Username', 'Role', 'State', ['Quotas', 'd-none d-lg-table-cell'], ['Created', 'd-none d-md-table-cell'], ''], tbody),
    more.el);
  await load();
}

// ------------------------------------------------------------------ audit

function toRfc3339(localValue) {
  if (!localValue) return '';
  const date = new Date(localValue);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

async function auditTab(main, area, { keysOnly }) {
  const user = h('input', { class: 'form-control', name: 'user', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' });
  const actionList = h('datalist', { id: 'audit-actions' }, AUDIT_ACTIONS.map((a) => h('option', { value: a })));
  const action = keysOnly
    ? select([['key.create', 'key.create'], ['key.delete', 'key.delete']], 'key.create', { name: 'action' })
    : h('input', { class: 'form-control', name: 'action', list: 'audit-actions', autocomplete: 'off' });
  const since = h('input', { class: 'form-control', type: 'datetime-local', name: 'since' });
  const until = h('input', { class: 'form-control', type: 'datetime-local', name: 'until' });
  const tbody = h('tbody', {});
  const more = pager((cursor) => load(cursor));
  const form = h('form', { class: 'row g-2 align-items-end mb-3', role: 'search', 'aria-label': 'Filter the audit log' },
    field('Acting user', user, { wrapClass: 'col-6 col-md-3' }).wrap,
    field('Action', action, { wrapClass: 'col-6 col-md-3' }).wrap,
    field('Since', since, { wrapClass: 'col-6 col-md-2' }).wrap,
    field('Until', until, { wrapClass: 'col-6 col-md-2' }).wrap,
    h('div', { class: 'col-12 col-md-2 d-grid' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply')),
    actionList);

  function row(event) {
    const outcomeClass = { success: 'text-bg-success', failure: 'text-bg-danger', denied: 'text-bg-warning' }[event.outcome] || 'text-bg-light';
    return h('tr', {},
      h('td', { class: 'text-nowrap' }, timeElement(event.time)),
      h('td', {}, event.user ?? '—'),
      h('td', {}, event.action),
      h('td', { class: 'text-break' }, event.target ?? '—'),
      h('td', {}, h('span', { class: `badge ${outcomeClass}` }, event.outcome)),
      h('td', { class: 'd-none d-lg-table-cell small' }, event.source_ip ?? '—'),
      h('td', { class: 'd-none d-xl-table-cell small text-break' }, event.request_id ?? '—'));
  }

  async function load(cursor = null) {
    area.clear();
    try {
      const page = await api.get('/api/admin/audit', {
        query: { user: user.value.trim(), action: action.value.trim(), since: toRfc3339(since.value), until: toRfc3339(until.value), limit: 100, cursor },
      });
      more.fill(tbody, page, row, !cursor, 'No events match.');
    } catch (err) {
      area.error(err);
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  add(main,
    keysOnly ? h('p', { class: 'text-muted' }, 'API keys created and deleted by every user, from the audit log. (Each user manages their own keys on the Account page; keys themselves are never shown to others.)') : null,
    form,
    table(keysOnly ? 'API key events' : 'Audit events', ['Time', 'User', 'Action', 'Target', 'Outcome', ['Source', 'd-none d-lg-table-cell'], ['Request id', 'd-none d-xl-table-cell']], tbody),
    more.el);
  await load();
}
