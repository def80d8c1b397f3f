// The code editor: Debian's CodeMirror 5 (window.CodeMirror, loaded by index.html) with a
// mode per Nox language. Keyboard users leave the editor with Esc (Tab indents inside it).

const MODES = {
  python: 'python',
  python3: 'python',
  bash: 'shell',
  sh: 'shell',
  shell: 'shell',
  c: 'text/x-csrc',
  cpp: 'text/x-c++src',
  'c++': 'text/x-c++src',
  java: 'text/x-java',
  node: 'javascript',
  javascript: 'javascript',
  js: 'javascript',
  typescript: 'application/typescript',
  ruby: 'ruby',
  perl: 'perl',
  go: 'go',
  rust: 'rust',
};

const EXTENSION_MODES = {
  py: 'python', sh: 'shell', bash: 'shell', c: 'text/x-csrc', h: 'text/x-csrc', cc: 'text/x-c++src',
  cpp: 'text/x-c++src', java: 'text/x-java', js: 'javascript', mjs: 'javascript', rb: 'ruby',
  pl: 'perl', go: 'go', rs: 'rust',
};

/** The CodeMirror mode for a language object of /api/languages (by name, aliases, extension). */
export function modeFor(language) {
  if (!language) return null;
  for (const name of [language.name, ...(language.aliases || [])]) {
    if (MODES[name]) return MODES[name];
  }
  return EXTENSION_MODES[language.file_extension] || null;
}

/**
 * Replaces `textarea` with an editor. `onRun` is bound to Ctrl-Enter / Cmd-Enter and `escapeTo`
 * is the element that gets focus on Esc.
 */
export function createEditor(textarea, { label, onRun, escapeTo, readOnly = false }) {
  const editor = window.CodeMirror.fromTextArea(textarea, {
    lineNumbers: true,
    indentUnit: 4,
    tabSize: 4,
    indentWithTabs: false,
    matchBrackets: true,
    styleActiveLine: !readOnly,
    readOnly,
    viewportMargin: Infinity,
    screenReaderLabel: label,
    extraKeys: {
      'Ctrl-Enter': () => onRun && onRun(),
      'Cmd-Enter': () => onRun && onRun(),
      Tab: (cm) => (cm.somethingSelected() ? cm.indentSelection('add') : cm.replaceSelection(' '.repeat(cm.getOption('indentUnit')))),
      'Shift-Tab': (cm) => cm.indentSelection('subtract'),
      Esc: () => {
        const target = typeof escapeTo === 'function' ? escapeTo() : escapeTo;
        if (target) target.focus();
      },
    },
  });
  editor.getInputField().setAttribute('aria-label', label);
  return editor;
}

export function setMode(editor, language) {
  editor.setOption('mode', modeFor(language));
}
