// Files: browse the sandbox folder by folder, drag-and-drop (or pick) several files to upload
// with progress, download, view text, rename, delete, full-text search with highlighted
// snippets, backups (create, download, restore after confirmation, delete), storage vs quota.

import * as api from '../api.js';
import {
  add, h, field, pageHeading, messageArea, notify, dialog, confirmDialog, formatBytes, timeElement,
  highlighted, table, pager,
} from '../ui.js';

const TEXT_VIEW_LIMIT = 512 * 1024;
let currentDir = '';

function joinPath(dir, name) {
  return dir ? `${dir}/${name}` : name;
}

function parentOf(path) {
  const at = path.lastIndexOf('/');
  return at < 0 ? '' : path.slice(0, at);
}

export async function render(main, ctx) {
  const perms = ctx.me.permissions || [];
  const canWrite = perms.includes('files:write');
  const area = messageArea();

  // ------------------------------------------------------------ storage
  const storageText = h('span', { id: 'storage-text' }, 'Measuring storage…');
  const storageBar = h('progress', { class: 'storage-bar', max: '100', value: '0', 'aria-labelledby': 'storage-text' });

  // Adds up the sandbox's listing (the files API is all this page relies on; nox-metrics'
  // /api/stats has the same number but may not be installed).
  async function refreshStorage() {
    const quotaMb = ctx.me.quotas && ctx.me.quotas.disk_mb;
    let used;
    let capped = false;
    try {
      const all = await api.getAll('/api/files', { recursive: true }, 20_000);
      capped = all.length >= 20_000;
      used = all.reduce((sum, item) => sum + (item.type === 'file' ? item.size : 0), 0);
    } catch {
      storageText.textContent = 'Storage use is not available.';
      return;
    }
    const quota = quotaMb ? quotaMb * 1024 * 1024 : null;
    const usedText = `${capped ? 'at least ' : ''}${formatBytes(used)}`;
    storageText.textContent = quota
      ? `Storage: ${usedText} of ${formatBytes(quota)} used (${Math.min(100, (used / quota) * 100).toFixed(1)} %)`
      : `Storage: ${usedText} used`;
    storageBar.max = quota || Math.max(used, 1);
    storageBar.value = used;
  }

  // ------------------------------------------------------------ search
  const searchInput = h('input', { class: 'form-control', type: 'search', name: 'query', required: true, maxlength: '1000' });
  const searchResults = h('div', { id: 'search-results', 'aria-live': 'polite' });
  const searchForm = h('form', { class: 'd-flex gap-2 align-items-end mb-2', role: 'search' },
    field('Search file names and contents', searchInput, { wrapClass: 'flex-grow-1' }).wrap,
    h('button', { type: 'submit', class: 'btn btn-outline-primary' }, 'Search'));
  searchForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    area.clear();
    const query = searchInput.value.trim();
    if (!query) return;
    try {
      const result = await api.post('/api/files/search', { query, limit: 100 });
      showSearch(query, result.items || []);
    } catch (err) {
      area.error(err);
    }
  });

  function showSearch(query, items) {
    if (items.length === 0) {
      searchResults.replaceChildren(h('p', { class: 'text-muted' }, `Nothing matches “${query}”.`));
      return;
    }
    searchResults.replaceChildren(
      h('h2', { class: 'h6' }, `${items.length} match${items.length === 1 ? '' : 'es'} for “${query}”`),
      h('ul', { class: 'list-group mb-3 search-hits' }, items.map((item) =>
        h('li', { class: 'list-group-item' },
          h('button', { type: 'button', class: 'btn btn-link p-0 text-start', onClick: () => viewFile(item.path) },
            item.path, item.line ? `:${item.line}` : ''),
          h('div', { class: 'snippet font-monospace small' }, highlighted(item.snippet || '', item.highlights))))),
      h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary mb-3', onClick: () => searchResults.replaceChildren() }, 'Clear results'));
  }

  // ------------------------------------------------------------ upload
  const fileInput = h('input', { type: 'file', multiple: true, class: 'form-control', name: 'files' });
  const uploads = h('div', { id: 'uploads', 'aria-live': 'polite' });
  const dropZone = h('div', { class: 'drop-zone', id: 'drop-zone', role: 'group', 'aria-label': 'Upload files: drop them here or choose them' },
    h('p', { class: 'mb-2' }, 'Drop files here to upload them to this folder, or'),
    field('Choose files to upload', fileInput, { wrapClass: 'mb-0' }).wrap);
  dropZone.hidden = !canWrite;
  for (const name of ['dragenter', 'dragover']) {
    dropZone.addEventListener(name, (event) => {
      event.preventDefault();
      dropZone.classList.add('dragging');
    });
  }
  dropZone.addEventListener('dragleave', () => dropZone.classList.remove('dragging'));
  dropZone.addEventListener('drop', (event) => {
    event.preventDefault();
    dropZone.classList.remove('dragging');
    const files = Array.from((event.dataTransfer && event.dataTransfer.files) || []);
    if (files.length) uploadFiles(files);
  });
  fileInput.addEventListener('change', () => {
    const files = Array.from(fileInput.files || []);
    fileInput.value = '';
    if (files.length) uploadFiles(files);
  });

  async function uploadFiles(files) {
    area.clear();
    const total = files.reduce((sum, f) => sum + f.size, 0);
    const bar = h('progress', { max: '100', value: '0', class: 'w-100' });
    const label = h('span', {}, `Uploading ${files.length} file${files.length === 1 ? '' : 's'} (${formatBytes(total)})…`);
    const row = h('div', { class: 'upload-row mb-2' }, label, bar,
      h('div', { class: 'small text-muted text-truncate' }, files.map((f) => f.name).join(', ')));
    bar.setAttribute('aria-label', `Upload of ${files.map((f) => f.name).join(', ')}`);
    uploads.prepend(row);
    const form = new FormData();
    if (currentDir) form.append('dir', currentDir);
    for (const file of files) form.append('files', file, file.name);
    try {
      const result = await api.upload('/api/files', form, (loaded, size) => {
        bar.value = Math.round((loaded / size) * 100);
      });
      bar.value = 100;
      label.textContent = `Uploaded ${result.items.length} file${result.items.length === 1 ? '' : 's'}: ${result.items.map((i) => i.path).join(', ')}`;
      row.classList.add('text-success');
      setTimeout(() => row.remove(), 8000);
      await Promise.all([list(), refreshStorage()]);
    } catch (err) {
      row.remove();
      area.error(err);
    }
  }

  // ------------------------------------------------------------ listing
  const crumbs = h('ol', { class: 'breadcrumb mb-2' });
  const tbody = h('tbody', {});
  const listPager = pager((cursor) => list(cursor));
  const listing = table('Files and folders',
    ['Name', ['Size', 'text-end'], ['Modified', 'd-none d-md-table-cell'], ''], tbody, { className: 'files-table' });
  const viewer = h('section', { class: 'card mb-3', id: 'file-viewer', hidden: true, 'aria-labelledby': 'viewer-title' });

  function renderCrumbs() {
    const parts = currentDir ? currentDir.split('/') : [];
    const items = [h('li', { class: 'breadcrumb-item' },
      parts.length ? h('button', { type: 'button', class: 'btn btn-link p-0', onClick: () => openDir('') }, 'Home') : h('span', { 'aria-current': 'page' }, 'Home'))];
    parts.forEach((part, i) => {
      const path = parts.slice(0, i + 1).join('/');
      items.push(h('li', { class: 'breadcrumb-item' }, i === parts.length - 1
        ? h('span', { 'aria-current': 'page' }, part)
        : h('button', { type: 'button', class: 'btn btn-link p-0', onClick: () => openDir(path) }, part)));
    });
    crumbs.replaceChildren(...items);
  }

  function entryRow(item) {
    const isDir = item.type === 'dir';
    const nameCell = isDir
      ? h('button', { type: 'button', class: 'btn btn-link p-0 text-start dir-link', onClick: () => openDir(item.path) }, `${item.name}/`)
      : h('button', { type: 'button', class: 'btn btn-link p-0 text-start', onClick: () => viewFile(item.path) }, item.name);
    const actions = h('div', { class: 'btn-group btn-group-sm flex-wrap', role: 'group', 'aria-label': `Actions for ${item.name}` },
      isDir ? null : h('button', { type: 'button', class: 'btn btn-outline-secondary', onClick: () => api.download(api.filePath(item.path), item.name).catch((e) => area.error(e)) }, 'Download'),
      isDir ? null : h('button', { type: 'button', class: 'btn btn-outline-secondary', onClick: () => openInEditor(item.path) }, 'Edit'),
      canWrite ? h('button', { type: 'button', class: 'btn btn-outline-secondary', onClick: () => rename(item) }, 'Rename') : null,
      canWrite ? h('button', { type: 'button', class: 'btn btn-outline-danger', onClick: () => remove(item) }, 'Delete') : null);
    return h('tr', { dataset: { path: item.path } },
      h('td', { class: 'text-break' }, nameCell),
      h('td', { class: 'text-end text-nowrap' }, isDir ? '—' : formatBytes(item.size)),
      h('td', { class: 'd-none d-md-table-cell text-nowrap' }, timeElement(item.modified)),
      h('td', { class: 'text-end' }, actions));
  }

  async function list(cursor = null) {
    try {
      const page = await api.get('/api/files', { query: { path: currentDir, limit: 200, cursor } });
      const rows = page.items.map(entryRow);
      if (!cursor) {
        tbody.replaceChildren(...rows);
        if (currentDir) {
          tbody.prepend(h('tr', {}, h('td', { colspan: '4' },
            h('button', { type: 'button', class: 'btn btn-link p-0', onClick: () => openDir(parentOf(currentDir)) }, '⬑ Up one folder'))));
        }
        if (rows.length === 0) tbody.append(h('tr', {}, h('td', { colspan: '4', class: 'text-muted' }, 'This folder is empty.')));
      } else {
        tbody.append(...rows);
      }
      listPager.set(page.next_cursor);
    } catch (err) {
      area.error(err);
    }
  }

  async function openDir(path) {
    currentDir = path;
    renderCrumbs();
    viewer.hidden = true;
    await list();
  }

  async function viewFile(path) {
    area.clear();
    try {
      const response = await api.request('GET', api.filePath(path), { raw: true, headers: { Range: `bytes=0-${TEXT_VIEW_LIMIT - 1}` } });
      const type = response.headers.get('Content-Type') || '';
      const bytes = new Uint8Array(await response.arrayBuffer());
      const looksBinary = bytes.subarray(0, 8000).includes(0) || /^(image|audio|video|application\/(octet-stream|gzip|zip|pdf))/.test(type);
      // 206 answers the Range even for a small file: cut only when the total is larger.
      const total = Number((response.headers.get('Content-Range') || '').split('/')[1]);
      const truncated = response.status === 206 && total > bytes.length;
      viewer.replaceChildren(
        h('div', { class: 'card-header d-flex flex-wrap align-items-center gap-2' },
          h('h2', { class: 'h6 mb-0 me-auto text-break', id: 'viewer-title' }, path),
          h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', onClick: () => api.download(api.filePath(path), path.split('/').pop()).catch((e) => area.error(e)) }, 'Download'),
          looksBinary ? null : h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', onClick: () => openInEditor(path) }, 'Open in editor'),
          h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', onClick: () => { viewer.hidden = true; } }, 'Close')),
        h('div', { class: 'card-body' },
          looksBinary
            ? h('p', { class: 'mb-0' }, `This file is not text (${type || 'unknown type'}); download it to open it.`)
            : h('pre', { class: 'file-text mb-0', tabindex: '0', 'aria-label': `Contents of ${path}` }, new TextDecoder().decode(bytes)),
          truncated ? h('p', { class: 'small text-muted mt-2 mb-0' }, `Showing the first ${formatBytes(TEXT_VIEW_LIMIT)}.`) : null));
      viewer.hidden = false;
      viewer.querySelector('h2').scrollIntoView({ block: 'nearest' });
    } catch (err) {
      area.error(err);
    }
  }

  async function openInEditor(path) {
    try {
      const response = await api.request('GET', api.filePath(path), { raw: true });
      const text = await response.text();
      const ext = path.includes('.') ? path.split('.').pop() : '';
      const language = (await ctx.languages()).find((l) => l.file_extension === ext);
      ctx.pending = { language: language ? language.name : null, file: path, fileContent: text };
      ctx.navigate('run');
    } catch (err) {
      area.error(err);
    }
  }

  async function rename(item) {
    const input = h('input', { class: 'form-control', name: 'to', value: item.path, required: true, spellcheck: 'false' });
    const form = await dialog({ title: `Rename or move ${item.name}`, body: field('New path', input, { help: 'A path relative to your sandbox; missing folders are created.' }).wrap, submitLabel: 'Rename', danger: false });
    if (!form) return;
    const to = String(form.get('to')).trim().replace(/^\/+/, '');
    if (!to || to === item.path) return;
    try {
      await api.post('/api/files/move', { from: item.path, to });
      notify(`Moved ${item.path} to ${to}.`);
      await list();
    } catch (err) {
      area.error(err);
    }
  }

  async function remove(item) {
    const isDir = item.type === 'dir';
    const ok = await confirmDialog(`Delete ${item.name}?`,
      isDir ? `The folder ${item.path} and everything in it will be deleted.` : `The file ${item.path} will be deleted.`, 'Delete');
    if (!ok) return;
    try {
      await api.del(api.filePath(item.path), { query: isDir ? { recursive: 'true' } : null });
      notify(`Deleted ${item.path}.`);
      await Promise.all([list(), refreshStorage()]);
    } catch (err) {
      area.error(err);
    }
  }

  // ------------------------------------------------------------ backups
  const backupBody = h('tbody', {});
  const createBackup = h('button', { type: 'button', class: 'btn btn-outline-primary btn-sm', disabled: !canWrite }, 'Create backup');
  const restoreUpload = h('input', { type: 'file', class: 'form-control form-control-sm', accept: '.tar.gz,.tgz,application/gzip', name: 'archive' });
  createBackup.addEventListener('click', async () => {
    createBackup.disabled = true;
    try {
      const backup = await api.post('/api/backup');
      notify(`Backup created (${formatBytes(backup.size)}).`);
      await listBackups();
    } catch (err) {
      area.error(err);
    } finally {
      createBackup.disabled = !canWrite;
    }
  });
  restoreUpload.addEventListener('change', async () => {
    const file = restoreUpload.files && restoreUpload.files[0];
    restoreUpload.value = '';
    if (!file) return;
    const ok = await confirmDialog('Restore from this archive?',
      `Everything in your sandbox will be replaced by the contents of ${file.name}. Files not in it are lost.`, 'Replace my files');
    if (!ok) return;
    const form = new FormData();
    form.append('archive', file, file.name);
    try {
      const result = await api.upload('/api/restore', form, null);
      notify(`Restored ${result.restored_files} files from ${file.name}.`);
      await openDir('');
      await refreshStorage();
    } catch (err) {
      area.error(err);
    }
  });

  function backupRow(backup) {
    const name = `nox-backup-${backup.created_at.replace(/[:.]/g, '-')}.tar.gz`;
    return h('tr', {},
      h('td', { class: 'text-nowrap' }, timeElement(backup.created_at)),
      h('td', { class: 'text-end text-nowrap' }, formatBytes(backup.size)),
      h('td', { class: 'text-end d-none d-sm-table-cell' }, String(backup.file_count ?? '—')),
      h('td', { class: 'text-end' }, h('div', { class: 'btn-group btn-group-sm flex-wrap', role: 'group', 'aria-label': `Backup of ${backup.created_at}` },
        h('button', { type: 'button', class: 'btn btn-outline-secondary', onClick: () => api.download(`/api/backups/${encodeURIComponent(backup.id)}`, name).catch((e) => area.error(e)) }, 'Download'),
        canWrite ? h('button', { type: 'button', class: 'btn btn-outline-warning', onClick: () => restore(backup) }, 'Restore') : null,
        canWrite ? h('button', { type: 'button', class: 'btn btn-outline-danger', onClick: () => deleteBackup(backup) }, 'Delete') : null)));
  }

  async function listBackups() {
    try {
      const items = await api.getAll('/api/backups');
      backupBody.replaceChildren(...(items.length
        ? items.map(backupRow)
        : [h('tr', {}, h('td', { colspan: '4', class: 'text-muted' }, 'No backups yet.'))]));
    } catch (err) {
      area.error(err);
    }
  }

  async function restore(backup) {
    const ok = await confirmDialog('Restore this backup?',
      `Everything in your sandbox will be replaced by the backup of ${new Date(backup.created_at).toLocaleString()} (${backup.file_count} files). Files made since then are lost.`,
      'Replace my files');
    if (!ok) return;
    try {
      const result = await api.post('/api/restore', { backup_id: backup.id });
      notify(`Restored ${result.restored_files} files.`);
      await openDir('');
      await refreshStorage();
    } catch (err) {
      area.error(err);
    }
  }

  async function deleteBackup(backup) {
    if (!await confirmDialog('Delete this backup?', `The backup of ${new Date(backup.created_at).toLocaleString()} will be deleted.`, 'Delete')) return;
    try {
      await api.del(`/api/backups/${encodeURIComponent(backup.id)}`);
      await listBackups();
    } catch (err) {
      area.error(err);
    }
  }

  add(main,
    pageHeading('Files'),
    area.el,
    h('div', { class: 'storage mb-3' }, storageText, storageBar),
    searchForm,
    searchResults,
    h('div', { class: 'row g-3' },
      h('section', { class: 'col-xl-8', 'aria-label': 'Folder' },
        h('nav', { 'aria-label': 'Folder path' }, crumbs),
        dropZone,
        uploads,
        viewer,
        listing,
        listPager.el),
      h('section', { class: 'col-xl-4', 'aria-labelledby': 'backups-heading' },
        h('div', { class: 'card' },
          h('div', { class: 'card-header d-flex align-items-center gap-2' },
            h('h2', { class: 'h6 mb-0 me-auto', id: 'backups-heading' }, 'Backups'),
            createBackup),
          h('div', { class: 'card-body' },
            table('Backups', ['Created', ['Size', 'text-end'], ['Files', 'text-end d-none d-sm-table-cell'], ''], backupBody),
            canWrite ? field('Restore from an archive (.tar.gz)', restoreUpload, { wrapClass: 'mb-0' }).wrap : null)))));
  renderCrumbs();
  await Promise.all([list(), listBackups(), refreshStorage()]);
}
