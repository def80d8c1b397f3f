// History: the caller's runs (GET /api/history), filtered by status and language and searched
// in their code; each opens its code, output and figures, and can be run again.

import * as api from '../api.js';
import { createEditor, setMode } from '../editor.js';
import {
  add, h, field, select, pageHeading, messageArea, statusBadge, formatBytes, formatMs, timeElement, table, pager,
} from '../ui.js';

const STATUSES = ['succeeded', 'failed', 'timeout', 'oom', 'killed', 'cancelled', 'error', 'queued', 'running'];
const filters = { status: '', language: '', q: '' };

function firstLine(item) {
  if (item.file) return `file: ${item.file}`;
  const line = (item.code || '').split('\n').find((l) => l.trim()) || '';
  return line.length > 80 ? `${line.slice(0, 80)}…` : line;
}

export async function render(main, ctx) {
  const canRun = (ctx.me.permissions || []).includes('exec:run');
  const area = messageArea();
  const statusSelect = select([['', 'Any status'], ...STATUSES], filters.status, { name: 'status' });
  const languageSelect = select([['', 'Any language']], '', { name: 'language' });
  const search = h('input', { class: 'form-control', type: 'search', name: 'q', value: filters.q, maxlength: '1000' });
  const form = h('form', { class: 'row g-2 align-items-end mb-3', role: 'search', 'aria-label': 'Filter the history' },
    field('Status', statusSelect, { wrapClass: 'col-6 col-md-3' }).wrap,
    field('Language', languageSelect, { wrapClass: 'col-6 col-md-3' }).wrap,
    field('Search in code', search, { wrapClass: 'col-12 col-md-4' }).wrap,
    h('div', { class: 'col-12 col-md-2 d-grid' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply')));
  const tbody = h('tbody', {});
  const more = pager((cursor) => load(cursor));
  const detail = h('section', { class: 'card mb-3', id: 'history-detail', hidden: true, 'aria-labelledby': 'detail-title' });
  let detailEditor = null;

  add(main, pageHeading('History'), area.el, form, detail,
    table('Past runs', ['Submitted', 'Language', 'Status', ['Exit', 'text-end'], ['Duration', 'text-end d-none d-sm-table-cell'], ['Code', 'd-none d-md-table-cell'], ''], tbody),
    more.el);

  function row(item) {
    return h('tr', { dataset: { job: item.id } },
      h('td', { class: 'text-nowrap' }, timeElement(item.created_at)),
      h('td', {}, item.language),
      h('td', {}, statusBadge(item.status)),
      h('td', { class: 'text-end' }, item.exit_code ?? (item.signal || '—')),
      h('td', { class: 'text-end text-nowrap d-none d-sm-table-cell' }, formatMs(item.duration_ms)),
      h('td', { class: 'd-none d-md-table-cell font-monospace small text-truncate history-code' }, firstLine(item)),
      h('td', { class: 'text-end' }, h('button', { type: 'button', class: 'btn btn-sm btn-outline-primary', onClick: () => open(item) }, 'Open')));
  }

  async function load(cursor = null) {
    area.clear();
    try {
      const page = await api.get('/api/history', { query: { ...filters, limit: 50, cursor } });
      more.fill(tbody, page, row, !cursor, 'No runs match.');
    } catch (err) {
      area.error(err);
    }
  }

  function open(item) {
    if (detailEditor) {
      detailEditor.toTextArea();
      detailEditor = null;
    }
    const codeArea = h('textarea', {}, item.code || '');
    const output = h('pre', { class: 'run-output', tabindex: '0', 'aria-label': 'Output of this run' },
      item.stdout || '', item.stderr ? h('span', { class: 'stderr' }, item.stderr) : null);
    const rerun = h('button', { type: 'button', class: 'btn btn-sm btn-success', disabled: !canRun }, 'Re-run');
    rerun.addEventListener('click', () => {
      ctx.pending = { language: item.language, code: item.code, file: item.file, run: true };
      ctx.navigate('run');
    });
    detail.replaceChildren(
      h('div', { class: 'card-header d-flex flex-wrap align-items-center gap-2' },
        h('h2', { class: 'h6 mb-0 me-auto', id: 'detail-title', tabindex: '-1' }, `Run of ${new Date(item.created_at).toLocaleString()} (${item.language})`),
        statusBadge(item.status), rerun,
        h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', onClick: () => { detail.hidden = true; } }, 'Close')),
      h('div', { class: 'card-body' },
        h('dl', { class: 'row small mb-2' },
          h('dt', { class: 'col-6 col-sm-2' }, 'Exit code'), h('dd', { class: 'col-6 col-sm-2' }, item.exit_code ?? (item.signal || '—')),
          h('dt', { class: 'col-6 col-sm-2' }, 'Duration'), h('dd', { class: 'col-6 col-sm-2' }, formatMs(item.duration_ms)),
          h('dt', { class: 'col-6 col-sm-2' }, 'Memory'), h('dd', { class: 'col-6 col-sm-2' }, formatBytes(item.memory_peak_bytes)),
          h('dt', { class: 'col-6 col-sm-2' }, 'CPU'), h('dd', { class: 'col-6 col-sm-2' }, item.cpu_ms === null ? 'not measured' : formatMs(item.cpu_ms)),
          h('dt', { class: 'col-6 col-sm-2' }, 'Job'), h('dd', { class: 'col-6 col-sm-6 text-break' }, item.id)),
        item.error ? h('div', { class: 'alert alert-warning py-1' }, item.error) : null,
        h('div', { class: 'row g-3' },
          h('div', { class: 'col-lg-6' }, h('h3', { class: 'h6' }, item.file ? `File ${item.file}` : 'Code'),
            item.file ? h('p', { class: 'text-muted small' }, 'This run ran a file of your sandbox.') : h('div', { class: 'editor-frame editor-small' }, codeArea)),
          h('div', { class: 'col-lg-6' }, h('h3', { class: 'h6' }, 'Output'), output))));
    detail.hidden = false;
    if (!item.file) {
      detailEditor = createEditor(codeArea, { label: 'Code of this run', readOnly: true, escapeTo: () => rerun });
      ctx.languages().then((langs) => setMode(detailEditor, langs.find((l) => l.name === item.language))).catch(() => {});
    }
    detail.querySelector('h2').focus();
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    filters.status = statusSelect.value;
    filters.language = languageSelect.value;
    filters.q = search.value.trim();
    load();
  });

  try {
    const langs = await ctx.languages();
    languageSelect.append(...langs.map((l) => h('option', { value: l.name, selected: l.name === filters.language }, l.name)));
  } catch {
    // the filter works without the list; the table shows any error
  }
  await load();
  return () => {
    if (detailEditor) detailEditor.toTextArea();
  };
}
