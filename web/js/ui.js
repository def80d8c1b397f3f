// Small DOM and formatting helpers shared by the pages. Elements are built with h(); text
// always goes in as text nodes (never innerHTML), so nothing the server or a user wrote can
// become markup.

/**
 * h('button', {class: 'btn', type: 'button', onClick: fn}, 'Run') → element.
 * Props: class, text, on<Event> handlers, dataset, hidden/disabled/checked/value/etc. as
 * properties, everything else as attributes (aria-*, for, role, ...). null children are skipped.
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (['value', 'checked', 'disabled', 'hidden', 'selected', 'multiple', 'required', 'readOnly'].includes(key)) el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children like h() does: null/false skipped, arrays flattened (DOM append() would print "null"). */
export function add(el, ...children) {
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

let uniqueCounter = 0;
/** A fresh element id, for label/for and aria-describedby pairs. */
export function uid(prefix = 'f') {
  uniqueCounter += 1;
  return `${prefix}-${uniqueCounter}`;
}

/** A labelled form control in a Bootstrap wrapper; returns {wrap, input}. */
export function field(label, input, { help = null, wrapClass = 'mb-3' } = {}) {
  input.id = input.id || uid('in');
  const helpEl = help ? h('div', { class: 'form-text', id: `${input.id}-help` }, help) : null;
  if (helpEl) input.setAttribute('aria-describedby', helpEl.id);
  const isCheck = input.type === 'checkbox';
  const labelEl = h('label', { class: isCheck ? 'form-check-label' : 'form-label', for: input.id }, label);
  const wrap = isCheck
    ? h('div', { class: `form-check ${wrapClass}` }, input, labelEl, helpEl)
    : h('div', { class: wrapClass }, labelEl, input, helpEl);
  return { wrap, input };
}

export function select(options, value, props = {}) {
  const el = h('select', { class: 'form-select', ...props });
  for (const option of options) {
    const [optValue, optLabel] = Array.isArray(option) ? option : [option, option];
    el.append(h('option', { value: optValue, selected: optValue === value }, optLabel));
  }
  return el;
}

/** The page's heading, focusable so navigation can move focus to it. */
export function pageHeading(text, ...extra) {
  return h('div', { class: 'd-flex flex-wrap align-items-center gap-2 mb-3' },
    h('h1', { class: 'h3 mb-0 me-auto', tabindex: '-1' }, text), ...extra);
}

/** An alert region that shows errors (or other messages) in words. */
export function messageArea() {
  const el = h('div', { class: 'message-area', 'aria-live': 'polite' });
  return {
    el,
    error(err) {
      el.replaceChildren(h('div', { class: 'alert alert-danger mb-3', role: 'alert' }, errorText(err)));
    },
    info(text, kind = 'info') {
      el.replaceChildren(h('div', { class: `alert alert-${kind} mb-3`, role: 'status' }, text));
    },
    clear() {
      el.replaceChildren();
    },
  };
}

export function errorText(err) {
  if (!err) return 'Something went wrong.';
  if (typeof err === 'string') return err;
  return err.message || String(err);
}

/** A short-lived notice at the top of the page (aria-live). */
export function notify(text, kind = 'success') {
  const area = document.getElementById('notices');
  const note = h('div', { class: `alert alert-${kind} alert-dismissible mt-2 mb-0`, role: kind === 'danger' ? 'alert' : 'status' },
    text,
    h('button', { type: 'button', class: 'btn-close', 'aria-label': 'Dismiss', onClick: () => note.remove() }));
  area.append(note);
  setTimeout(() => note.remove(), 6000);
}

/**
 * A modal <dialog> (native: focus is trapped, Esc closes it). `body` is a node; `fields` a
 * form's contents. Resolves with the FormData on submit, or null when dismissed.
 */
export function dialog({ title, body = null, submitLabel = 'OK', danger = false, cancelLabel = 'Cancel' }) {
  return new Promise((resolve) => {
    const titleId = uid('dlg');
    const form = h('form', { method: 'dialog', class: 'nox-dialog-form' },
      h('h2', { class: 'h5 mb-3', id: titleId }, title),
      body,
      h('div', { class: 'd-flex justify-content-end gap-2 mt-3' },
        h('button', { type: 'button', class: 'btn btn-outline-secondary', value: 'cancel', onClick: () => finish(null) }, cancelLabel),
        h('button', { type: 'submit', class: `btn ${danger ? 'btn-danger' : 'btn-primary'}`, value: 'ok' }, submitLabel)));
    const dlg = h('dialog', { class: 'nox-dialog', 'aria-labelledby': titleId }, form);
    let done = false;
    function finish(value) {
      if (done) return;
      done = true;
      dlg.close();
      dlg.remove();
      resolve(value);
    }
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!form.reportValidity()) return;
      finish(new FormData(form));
    });
    dlg.addEventListener('cancel', (event) => {
      event.preventDefault();
      finish(null);
    });
    document.body.append(dlg);
    dlg.showModal();
    const first = form.querySelector('input, select, textarea');
    (first || form.querySelector('button[type=submit]')).focus();
  });
}

export async function confirmDialog(title, text, submitLabel = 'Confirm', danger = true) {
  return (await dialog({ title, body: h('p', { class: 'mb-0' }, text), submitLabel, danger })) !== null;
}

// ------------------------------------------------------------------------ formatting

export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined || Number.isNaN(Number(bytes))) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

export function formatMs(ms) {
  if (ms === null || ms === undefined) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function timeElement(iso) {
  return iso ? h('time', { datetime: iso }, formatTime(iso)) : '—';
}

const STATUS_CLASSES = {
  succeeded: 'text-bg-success',
  failed: 'text-bg-danger',
  timeout: 'text-bg-warning',
  oom: 'text-bg-warning',
  killed: 'text-bg-danger',
  cancelled: 'text-bg-secondary',
  error: 'text-bg-dark',
  queued: 'text-bg-info',
  running: 'text-bg-primary',
  ok: 'text-bg-success',
  idle: 'text-bg-secondary',
  degraded: 'text-bg-warning',
  down: 'text-bg-danger',
};

export function statusBadge(status) {
  return h('span', { class: `badge ${STATUS_CLASSES[status] || 'text-bg-light'}` }, status || 'unknown');
}

/** The text of `text` as nodes, with `[start, end)` grapheme ranges wrapped in <mark>. */
export function highlighted(text, ranges) {
  const graphemes = typeof Intl.Segmenter === 'function'
    ? Array.from(new Intl.Segmenter().segment(text), (part) => part.segment)
    : Array.from(text);
  const nodes = [];
  let at = 0;
  const sorted = [...(ranges || [])].filter((r) => Array.isArray(r) && r.length === 2).sort((a, b) => a[0] - b[0]);
  for (const [rawStart, rawEnd] of sorted) {
    const start = Math.max(at, Math.min(rawStart, graphemes.length));
    const end = Math.max(start, Math.min(rawEnd, graphemes.length));
    if (start > at) nodes.push(graphemes.slice(at, start).join(''));
    if (end > start) nodes.push(h('mark', {}, graphemes.slice(start, end).join('')));
    at = end;
  }
  if (at < graphemes.length) nodes.push(graphemes.slice(at).join(''));
  return nodes;
}

/**
 * A responsive table. `headers`: strings, or [text, class] pairs ('' text: a visually hidden
 * "Actions"); `body`: an array of rows or a <tbody> to fill later.
 */
export function table(caption, headers, body, { className = '' } = {}) {
  const tbody = body instanceof HTMLElement ? body : h('tbody', {}, body);
  return h('div', { class: 'table-responsive' },
    h('table', { class: `table table-sm align-middle ${className}` },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, headers.map((header) => {
        const [text, cls] = Array.isArray(header) ? header : [header, null];
        return h('th', { scope: 'col', class: cls }, text || h('span', { class: 'visually-hidden' }, 'Actions'));
      }))),
      tbody));
}

/** A "Load more" button for cursor pagination; calls load(cursor) and hides itself at the end. */
export function pager(load) {
  let cursor = null;
  const button = h('button', { type: 'button', class: 'btn btn-outline-secondary btn-sm', hidden: true }, 'Load more');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await load(cursor);
    } finally {
      button.disabled = false;
    }
  });
  return {
    el: button,
    set(next) {
      cursor = next;
      button.hidden = !next;
    },
    /** Shows one page in `tbody`: the first replaces the rows (or says `empty`), later ones append. */
    fill(tbody, page, row, firstPage, empty) {
      const rows = page.items.map(row);
      if (!firstPage) tbody.append(...rows);
      else if (rows.length) tbody.replaceChildren(...rows);
      else {
        const columns = tbody.closest('table').tHead.rows[0].cells.length;
        tbody.replaceChildren(h('tr', {}, h('td', { colspan: String(columns), class: 'text-muted' }, empty)));
      }
      this.set(page.next_cursor);
    },
  };
}
