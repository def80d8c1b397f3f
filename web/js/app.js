// The dashboard's shell: hash routes (#/run, #/files, ...; a static server needs no rewrites),
// the navigation bar, who is signed in, and one page at a time in <main>.

import * as api from './api.js';
import { h, messageArea, notify } from './ui.js';
import * as loginPage from './pages/login.js';
import * as runPage from './pages/run.js';
import * as filesPage from './pages/files.js';
import * as historyPage from './pages/history.js';
import * as monitoringPage from './pages/monitoring.js';
import * as adminPage from './pages/admin.js';
import * as accountPage from './pages/account.js';

// Route → page module, its title in the menu, and who sees it (null: everyone signed in).
const ROUTES = [
  { path: 'run', title: 'Run', page: runPage },
  { path: 'files', title: 'Files', page: filesPage },
  { path: 'history', title: 'History', page: historyPage },
  { path: 'monitoring', title: 'Monitoring', page: monitoringPage },
  { path: 'admin', title: 'Admin', page: adminPage, admin: true },
  { path: 'account', title: 'Account', page: accountPage },
];

const main = document.getElementById('main');
let me = null;
let languages = null;
let cleanup = null;
let renderSeq = 0;
let loginReason = null;

export function isAdmin(user = me) {
  return Boolean(user && (user.role === 'admin' || (user.permissions || []).includes('admin:users')));
}

/** What every page gets: the signed-in user, the language list, navigation, hand-over state. */
const context = {
  get me() {
    return me;
  },
  async languages() {
    if (!languages) languages = (await api.get('/api/languages')).items || [];
    return languages;
  },
  navigate(path) {
    if (location.hash === `#/${path}`) route();
    else location.hash = `#/${path}`;
  },
  // A run handed from History ("Re-run") or Files ("Open in editor") to the Run page.
  pending: null,
};

function parseHash() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || '', rest: parts.slice(1) };
}

function renderNav(current) {
  const links = document.getElementById('nav-links');
  links.replaceChildren(...(me ? ROUTES.filter((r) => !r.admin || isAdmin()) : []).map((r) =>
    h('li', { class: 'nav-item' },
      h('a', {
        class: `nav-link${r.path === current ? ' active' : ''}`,
        href: `#/${r.path}`,
        'aria-current': r.path === current ? 'page' : null,
      }, r.title))));
  document.getElementById('nav-user').hidden = !me;
  document.getElementById('nav-toggle').hidden = !me;
  document.getElementById('nav-username').textContent = me ? `${me.username} (${me.role})` : '';
  collapseMenu();
}

function collapseMenu() {
  document.getElementById('nav-menu').classList.remove('show');
  document.getElementById('nav-toggle').setAttribute('aria-expanded', 'false');
}

async function loadMe() {
  me = await api.get('/api/auth/me');
  return me;
}

async function route() {
  const seq = ++renderSeq;
  if (cleanup) {
    try {
      cleanup();
    } catch {
      // a page's cleanup must never stop navigation
    }
    cleanup = null;
  }
  const { name, rest } = parseHash();
  if (!api.isSignedIn()) {
    me = null;
    renderNav('');
    if (name !== 'login') {
      history.replaceState(null, '', '#/login');
    }
    showPage(loginPage, [], seq, 'Sign in');
    return;
  }
  if (!me) {
    try {
      await loadMe();
    } catch (err) {
      if (seq !== renderSeq) return;
      if (!api.isSignedIn()) return route();
      const area = messageArea();
      area.error(err);
      main.replaceChildren(area.el);
      return;
    }
    if (seq !== renderSeq) return;
  }
  const target = ROUTES.find((r) => r.path === name);
  if (!target) {
    history.replaceState(null, '', '#/run');
    return route();
  }
  renderNav(target.path);
  if (target.admin && !isAdmin()) {
    const area = messageArea();
    area.info('This page is for administrators only.', 'warning');
    main.replaceChildren(h('h1', { class: 'h3', tabindex: '-1' }, 'Not allowed'), area.el);
    document.title = 'Not allowed · Nox';
    return;
  }
  showPage(target.page, rest, seq, target.title);
}

function showPage(page, rest, seq, title) {
  document.title = `${title} · Nox`;
  main.replaceChildren();
  const result = page.render(main, context, rest);
  Promise.resolve(result).then((fn) => {
    if (seq === renderSeq) cleanup = typeof fn === 'function' ? fn : null;
    else if (typeof fn === 'function') fn();
  }).catch((err) => {
    const area = messageArea();
    area.error(err);
    main.prepend(area.el);
  });
  // Move focus to the new page's heading so keyboard and screen-reader users land there.
  const heading = main.querySelector('h1');
  if (heading && document.activeElement && document.activeElement.closest('nav')) heading.focus();
}

/** After a successful sign-in on the login page. */
context.signedIn = async () => {
  me = null;
  languages = null;
  loginReason = null;
  if (location.hash === '#/run') await route();
  else location.hash = '#/run';
};
/** Why the user is on the login page, when it was not their choice (session ended). */
context.loginMessage = () => loginReason;

async function signOut() {
  await api.logout();
  me = null;
  languages = null;
  location.hash = '#/login';
  notify('You have signed out.', 'info');
}

api.onSessionEnd((reason) => {
  me = null;
  loginReason = reason;
  location.hash = '#/login';
});

document.getElementById('sign-out').addEventListener('click', signOut);
// The skip link moves focus to <main> itself: following href="#main" would change the route.
document.querySelector('.skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});
document.getElementById('nav-toggle').addEventListener('click', () => {
  const menu = document.getElementById('nav-menu');
  const open = menu.classList.toggle('show');
  document.getElementById('nav-toggle').setAttribute('aria-expanded', String(open));
});
window.addEventListener('hashchange', route);
route();
