// Run: the editor, a language from /api/languages, stdin, Run (Ctrl/Cmd-Enter), output streamed
// live from GET /api/jobs/{id}/events, the result's status, exit code, duration, CPU and memory;
// a sandbox file loaded into the editor and saved back.

import * as api from '../api.js';
import { streamEvents } from '../sse.js';
import { createEditor, setMode } from '../editor.js';
import { add, h, field, pageHeading, messageArea, statusBadge, formatBytes, formatMs, notify } from '../ui.js';

const SAMPLES = {
  python: 'import sys\n\nname = sys.stdin.readline().strip() or "world"\nprint(f"Hello, {name}!")\n',
  bash: 'read -r name\necho "Hello, ${name:-world}!"\n',
  sh: 'read -r name\necho "Hello, ${name:-world}!"\n',
  c: '#include <stdio.h>\n\nint main(void) {\n    printf("Hello, world!\\n");\n    return 0;\n}\n',
  node: 'console.log("Hello, world!");\n',
  ruby: 'puts "Hello, world!"\n',
  perl: 'print "Hello, world!\\n";\n',
  go: 'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("Hello, world!")\n}\n',
  rust: 'fn main() {\n    println!("Hello, world!");\n}\n',
  java: 'public class Main {\n    public static void main(String[] args) {\n        System.out.println("Hello, world!");\n    }\n}\n',
};

// The editor's text and choices survive navigation within the tab.
const draft = { language: null, code: null, stdin: '', file: '' };

export async function render(main, ctx) {
  const canRun = (ctx.me.permissions || []).includes('exec:run');
  const area = messageArea();
  const languageSelect = h('select', { class: 'form-select', name: 'language' });
  const runButton = h('button', { type: 'button', class: 'btn btn-success', disabled: !canRun, 'aria-keyshortcuts': 'Control+Enter Meta+Enter' }, 'Run');
  const cancelButton = h('button', { type: 'button', class: 'btn btn-outline-danger', disabled: true }, 'Cancel');
  const textarea = h('textarea', { name: 'code' });
  const stdin = h('textarea', { class: 'form-control font-monospace', name: 'stdin', rows: '3', spellcheck: 'false' });
  const filePath = h('input', { class: 'form-control', name: 'file', placeholder: 'e.g. src/main.py', spellcheck: 'false', autocapitalize: 'none' });
  const loadButton = h('button', { type: 'button', class: 'btn btn-outline-secondary' }, 'Load');
  const saveButton = h('button', { type: 'button', class: 'btn btn-outline-primary', disabled: !(ctx.me.permissions || []).includes('files:write') }, 'Save');

  const statusEl = h('span', { id: 'run-status' }, statusBadge('idle'));
  const meta = {
    exit: h('dd', { id: 'run-exit', class: 'col-6 col-sm-3 mb-1' }, '—'),
    duration: h('dd', { id: 'run-duration', class: 'col-6 col-sm-3 mb-1' }, '—'),
    cpu: h('dd', { id: 'run-cpu', class: 'col-6 col-sm-3 mb-1' }, '—'),
    memory: h('dd', { id: 'run-memory', class: 'col-6 col-sm-3 mb-1' }, '—'),
  };
  const output = h('pre', { class: 'run-output', id: 'run-output', tabindex: '0', 'aria-label': 'Output', 'aria-live': 'off' });
  const notes = h('div', { id: 'run-notes', class: 'small text-muted' });

  add(main,
    pageHeading('Run'),
    area.el,
    canRun ? null : h('div', { class: 'alert alert-warning', role: 'status' }, 'Your role may not run code; you can still read and save files.'),
    h('div', { class: 'row g-3' },
      h('section', { class: 'col-lg-7', 'aria-label': 'Code' },
        h('div', { class: 'd-flex flex-wrap align-items-end gap-2 mb-2' },
          field('Language', languageSelect, { wrapClass: 'flex-grow-1' }).wrap,
          runButton, cancelButton),
        h('div', { class: 'editor-frame mb-1' }, textarea),
        h('p', { class: 'form-text mt-0 mb-2' }, 'Ctrl-Enter (⌘-Enter) runs the code; Esc leaves the editor.'),
        field('Standard input', stdin).wrap,
        h('fieldset', { class: 'border rounded p-2' },
          h('legend', { class: 'float-none w-auto px-1 fs-6 mb-0' }, 'Sandbox file'),
          h('div', { class: 'd-flex flex-wrap align-items-end gap-2' },
            field('Path', filePath, { wrapClass: 'flex-grow-1' }).wrap,
            loadButton, saveButton))),
      h('section', { class: 'col-lg-5', 'aria-labelledby': 'output-heading' },
        h('div', { class: 'card' },
          h('div', { class: 'card-header d-flex align-items-center gap-2' },
            h('h2', { class: 'h6 mb-0 me-auto', id: 'output-heading' }, 'Output'),
            h('span', { 'aria-live': 'polite' }, statusEl)),
          h('div', { class: 'card-body' },
            h('dl', { class: 'row small mb-2' },
              h('dt', { class: 'col-6 col-sm-3 mb-1' }, 'Exit code'), meta.exit,
              h('dt', { class: 'col-6 col-sm-3 mb-1' }, 'Duration'), meta.duration,
              h('dt', { class: 'col-6 col-sm-3 mb-1' }, 'CPU'), meta.cpu,
              h('dt', { class: 'col-6 col-sm-3 mb-1' }, 'Memory'), meta.memory),
            output,
            notes)))));

  const editor = createEditor(textarea, { label: 'Code', onRun: () => run(), escapeTo: runButton });
  let languages = [];
  let controller = null;
  let jobId = null;

  function currentLanguage() {
    return languages.find((l) => l.name === languageSelect.value) || null;
  }

  function chooseLanguage(name, keepCode) {
    const language = languages.find((l) => l.name === name || (l.aliases || []).includes(name));
    if (!language) return false;
    languageSelect.value = language.name;
    draft.language = language.name;
    setMode(editor, language);
    if (!keepCode && (!editor.getValue().trim() || Object.values(SAMPLES).includes(editor.getValue()))) {
      editor.setValue(SAMPLES[language.name] || '');
    }
    return true;
  }

  function showResult(result) {
    statusEl.replaceChildren(statusBadge(result.status));
    meta.exit.textContent = result.exit_code ?? (result.signal || '—');
    meta.duration.textContent = formatMs(result.duration_ms);
    meta.cpu.textContent = result.cpu_ms === null || result.cpu_ms === undefined ? 'not measured' : formatMs(result.cpu_ms);
    meta.memory.textContent = formatBytes(result.memory_peak_bytes);
    const lines = [];
    if (result.error) lines.push(result.error);
    if (result.stdout_truncated) lines.push('Standard output was cut at the server\'s limit.');
    if (result.stderr_truncated) lines.push('Standard error was cut at the server\'s limit.');
    notes.replaceChildren(...lines.map((line) => h('p', { class: 'mb-0' }, line)));
  }

  function appendOutput(text, stream) {
    output.append(stream === 'stderr' ? h('span', { class: 'stderr' }, text) : document.createTextNode(text));
    output.scrollTop = output.scrollHeight;
  }

  function resetResult() {
    output.replaceChildren();
    notes.replaceChildren();
    for (const el of Object.values(meta)) el.textContent = '—';
  }

  async function run(request = null) {
    if (!canRun || controller) return;
    area.clear();
    resetResult();
    const body = request || { language: languageSelect.value, code: editor.getValue(), stdin: stdin.value };
    controller = new AbortController();
    runButton.disabled = true;
    cancelButton.disabled = false;
    statusEl.replaceChildren(statusBadge('queued'));
    let final = null;
    try {
      const job = await api.post('/api/exec', { ...body, wait: false }, { signal: controller.signal });
      jobId = job.id;
      for await (const event of streamEvents(`/api/jobs/${encodeURIComponent(job.id)}/events`, controller.signal)) {
        if (event.event === 'stdout' || event.event === 'stderr') {
          if (!final) statusEl.replaceChildren(statusBadge('running'));
          appendOutput(JSON.parse(event.data).data, event.event);
        } else if (event.event === 'status') {
          final = JSON.parse(event.data);
          showResult(final);
        }
      }
      // The stream ended without a result (a proxy cut it): ask for the result itself.
      if (!final) showResult(await api.get(`/api/jobs/${encodeURIComponent(job.id)}`));
    } catch (err) {
      if (err.name !== 'AbortError') {
        statusEl.replaceChildren(statusBadge('error'));
        area.error(err);
      }
    } finally {
      controller = null;
      jobId = null;
      runButton.disabled = !canRun;
      cancelButton.disabled = true;
    }
  }

  async function cancel() {
    if (!jobId) return;
    try {
      await api.del(`/api/jobs/${encodeURIComponent(jobId)}`);
    } catch (err) {
      if (err.code !== 'job_finished') area.error(err);
    }
  }

  // The sandbox path typed in, or null (with the reason shown) when there is none.
  function typedPath(missing) {
    const path = filePath.value.trim().replace(/^\/+/, '');
    if (!path) {
      area.error(missing);
      filePath.focus();
      return null;
    }
    area.clear();
    return path;
  }

  async function loadFile() {
    const path = typedPath('Enter the path of a file in your sandbox to load.');
    if (!path) return;
    try {
      const response = await api.request('GET', api.filePath(path), { raw: true });
      editor.setValue(await response.text());
      const ext = path.includes('.') ? path.split('.').pop() : '';
      const language = languages.find((l) => l.file_extension === ext);
      if (language) chooseLanguage(language.name, true);
      draft.file = path;
      notify(`Loaded ${path}.`);
    } catch (err) {
      area.error(err);
    }
  }

  async function saveFile() {
    const path = typedPath('Enter the path to save the code to.');
    if (!path) return;
    try {
      const written = await api.request('PUT', api.filePath(path), { body: editor.getValue(), contentType: 'text/plain; charset=utf-8' });
      draft.file = path;
      notify(`Saved ${written.path} (${formatBytes(written.size)}).`);
    } catch (err) {
      area.error(err);
    }
  }

  runButton.addEventListener('click', () => run());
  cancelButton.addEventListener('click', cancel);
  loadButton.addEventListener('click', loadFile);
  saveButton.addEventListener('click', saveFile);
  filePath.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      loadFile();
    }
  });
  languageSelect.addEventListener('change', () => chooseLanguage(languageSelect.value, false));
  editor.on('change', () => {
    draft.code = editor.getValue();
  });
  stdin.addEventListener('input', () => {
    draft.stdin = stdin.value;
  });
  stdin.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      run();
    }
  });

  // What the user had (or types while the languages load) must not be overwritten below.
  stdin.value = draft.stdin;
  filePath.value = draft.file;
  if (draft.code !== null) editor.setValue(draft.code);

  try {
    languages = await ctx.languages();
  } catch (err) {
    area.error(err);
  }
  languageSelect.replaceChildren(...languages.map((l) =>
    h('option', { value: l.name }, l.version ? `${l.name} ${l.version}` : l.name)));
  if (languages.length === 0 && !area.el.childElementCount) area.error('No languages are available on this server.');

  const pending = ctx.pending;
  ctx.pending = null;
  if (pending) {
    chooseLanguage(pending.language, true);
    if (pending.code !== undefined && pending.code !== null) editor.setValue(pending.code);
    if (pending.file) filePath.value = pending.file;
    if (pending.fileContent !== undefined) editor.setValue(pending.fileContent);
  } else {
    // (Sample code only goes into an empty editor.)
    const initial = draft.language || (languages.find((l) => l.name === 'python') || languages[0] || {}).name;
    if (initial) chooseLanguage(initial, false);
  }
  editor.refresh();
  if (pending && pending.run) {
    run(pending.code !== null && pending.code !== undefined
      ? { language: pending.language, code: pending.code, stdin: pending.stdin || '' }
      : { language: pending.language, file: pending.file, stdin: pending.stdin || '' });
  }

  return () => {
    if (controller) controller.abort();
    editor.toTextArea();
  };
}
