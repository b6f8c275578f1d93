// The console application: sign-in, the main navigation, the router and
// the keyboard shortcuts. Pages are modules under pages/, each exporting
// `routes`: [{path: '/roles/:name', title, render: async (view, ctx) => {}}].
import { Client, AwsError } from './api.js';
import { h, link, errorBox, PREFIX } from './ui.js';
import * as functions from './pages/functions.js';
import * as roles from './pages/roles.js';
import * as policies from './pages/policies.js';
import * as trail from './pages/trail.js';
import * as leastpriv from './pages/leastpriv.js';

const STORAGE_KEY = 'rolecall:session';

// nav is the main navigation: [path, label, shortcut key after "g"].
const nav = [
  ['/functions', 'Functions', 'f'],
  ['/roles', 'Roles', 'r'],
  ['/policies', 'Policies', 'p'],
  ['/simulator', 'Simulator', 's'],
  ['/trail', 'Trail', 't'],
  ['/least-privilege', 'Least privilege', 'l'],
];

// compile turns '/roles/:name' into a matcher returning the decoded params
// (null for a path that is not the route's, or not valid percent-encoding).
function compile(route) {
  const names = [];
  const re = new RegExp('^' + route.path.replace(/:([A-Za-z]+)/g, (_, n) => {
    names.push(n);
    return '([^/]+)';
  }) + '/?$');
  return { ...route, match(path) {
    const m = re.exec(path);
    if (!m) return null;
    try {
      return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
    } catch {
      return null; // not percent-encoded UTF-8: no resource has that name
    }
  } };
}

const routes = [functions, roles, policies, trail, leastpriv].flatMap((m) => m.routes || []).map(compile);

const region = document.querySelector('meta[name="rolecall-region"]')?.content || 'us-east-1';
const main = document.getElementById('main');
const navEl = document.getElementById('nav');
const whoEl = document.getElementById('who');

let session = null; // {credentials, identity}

function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
    if (s?.credentials?.accessKeyId && s?.identity?.arn) return s;
  } catch { /* a damaged entry is forgotten below */ }
  sessionStorage.removeItem(STORAGE_KEY);
  return null;
}

function client() {
  return new Client({ ...session.credentials, region });
}

/** consolePath is the current path after /console ("/" at the root). */
function consolePath() {
  const p = location.pathname.startsWith(PREFIX) ? location.pathname.slice(PREFIX.length) : location.pathname;
  return p === '' ? '/' : p;
}

/** navigate goes to an in-console path ("/roles/x?tab=trust"). */
export function navigate(path, { replace = false } = {}) {
  const url = PREFIX + path;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  render();
}

function renderNav() {
  const here = consolePath();
  navEl.hidden = !session;
  navEl.replaceChildren(...(session ? nav.map(([path, label]) => link(path, label, {
    'aria-current': here === path || here.startsWith(path + '/') ? 'page' : null,
  })) : []));
  // On a phone the navigation scrolls sideways: keep the current page's link in sight.
  const current = navEl.querySelector('[aria-current="page"]');
  if (current) {
    const r = current.getBoundingClientRect(), nr = navEl.getBoundingClientRect();
    if (r.right > nr.right || r.left < nr.left) navEl.scrollLeft += r.left - nr.left;
  }
  whoEl.replaceChildren(...(session ? [
    h('span', { class: 'arn', title: session.identity.arn }, session.identity.arn),
    h('button', { type: 'button', id: 'signout', onclick: signOut }, 'Sign out'),
  ] : []));
}

function signOut() {
  sessionStorage.removeItem(STORAGE_KEY);
  session = null;
  navigate('/');
}

function signInPage() {
  document.title = 'Sign in · rolecall';
  const keyId = h('input', { id: 'access-key-id', name: 'accessKeyId', autocomplete: 'username', required: true, spellcheck: 'false' });
  const secret = h('input', { id: 'secret-access-key', name: 'secretAccessKey', type: 'password', autocomplete: 'current-password', required: true });
  const token = h('input', { id: 'session-token', name: 'sessionToken', autocomplete: 'off', spellcheck: 'false' });
  const status = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', {
    id: 'signin', class: 'card signin',
    onsubmit: async (e) => {
      e.preventDefault();
      submit.disabled = true;
      status.replaceChildren(h('p', { class: 'loading', role: 'status' }, 'Signing in…'));
      const credentials = { accessKeyId: keyId.value.trim(), secretAccessKey: secret.value.trim(), sessionToken: token.value.trim() || undefined };
      try {
        const c = new Client({ ...credentials, region });
        const id = await c.sts('GetCallerIdentity');
        session = { credentials, identity: { arn: id.Arn, account: id.Account, userId: id.UserId } };
        sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
        render();
      } catch (err) {
        status.replaceChildren(errorBox(err instanceof AwsError ? err : new AwsError('Error', String(err))));
        submit.disabled = false;
      }
    },
  },
  h('h1', {}, 'Sign in to rolecall'),
  h('p', { class: 'muted' }, 'Use an IAM access key: the root key from rolecall\'s start-up banner (or ',
    h('code', {}, 'rolecall credentials'), '), a user\'s key, or temporary credentials with their session token. ',
    'Every call the console makes is signed with them and authorized like any other; they stay in this browser tab.'),
  h('div', { class: 'field' }, h('label', { for: 'access-key-id' }, 'Access key ID'), keyId),
  h('div', { class: 'field' }, h('label', { for: 'secret-access-key' }, 'Secret access key'), secret),
  h('div', { class: 'field' }, h('label', { for: 'session-token' }, 'Session token'), token,
    h('small', { class: 'hint' }, 'Only for temporary credentials (ASIA…).')),
  submit, status);
  main.replaceChildren(form);
  keyId.focus();
}

function notFound(path) {
  document.title = 'Not found · rolecall';
  main.replaceChildren(h('h1', {}, 'Page not found'),
    h('p', {}, 'The console has no page at ', h('code', {}, PREFIX + path), '. ', link('/functions', 'Go to Functions'), '.'));
}

let renderSeq = 0;

/** render shows the page of the current URL. */
async function render() {
  const seq = ++renderSeq;
  renderNav();
  if (!session) {
    signInPage();
    return;
  }
  let path = consolePath();
  if (path === '/') {
    history.replaceState(null, '', PREFIX + '/functions' + location.search);
    path = '/functions';
    renderNav();
  }
  const route = routes.map((r) => [r, r.match(path)]).find(([, m]) => m);
  if (!route) {
    notFound(path);
    return;
  }
  const [r, params] = route;
  document.title = `${r.title} · rolecall`;
  const view = h('div', { class: 'page' });
  main.replaceChildren(view);
  const ctx = {
    client: client(), params, query: new URLSearchParams(location.search), navigate, region,
    identity: session.identity,
    current: () => seq === renderSeq,
  };
  try {
    await r.render(view, ctx);
  } catch (e) {
    if (seq === renderSeq) view.append(errorBox(e));
  }
  if (seq === renderSeq && document.activeElement === document.body) main.focus({ preventScroll: true });
}

// In-console links are followed without reloading the page.
document.addEventListener('click', (e) => {
  const a = e.target.closest?.('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey || a.target || a.hasAttribute('download')) return;
  const u = new URL(a.href, location.href);
  if (u.origin !== location.origin || !(u.pathname === PREFIX || u.pathname.startsWith(PREFIX + '/')) || u.pathname.startsWith(PREFIX + '/assets/')) return;
  e.preventDefault();
  history.pushState(null, '', u.pathname + u.search + u.hash);
  render();
});
window.addEventListener('popstate', render);

// Keyboard shortcuts: "/" focuses the page's search box, "g" then a
// letter opens a section (g f Functions, g r Roles, …), "?" lists them.
let pendingG = 0;
document.addEventListener('keydown', (e) => {
  if (!session || e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement || t?.isContentEditable) return;
  if (e.key === '/') {
    const search = document.querySelector('[data-search]');
    if (search) {
      e.preventDefault();
      search.focus();
    }
  } else if (e.key === 'g') {
    pendingG = Date.now();
  } else if (pendingG && Date.now() - pendingG < 1500) {
    pendingG = 0;
    const item = nav.find(([, , key]) => key === e.key);
    if (item) navigate(item[0]);
  } else if (e.key === '?') {
    showShortcuts();
  }
});

function showShortcuts() {
  const dlg = h('dialog', { class: 'shortcuts', 'aria-label': 'Keyboard shortcuts' },
    h('h2', {}, 'Keyboard shortcuts'),
    h('dl', { class: 'kv' },
      h('dt', {}, h('kbd', {}, '/')), h('dd', {}, 'Search this page'),
      nav.map(([, label, key]) => [h('dt', {}, h('kbd', {}, 'g'), ' ', h('kbd', {}, key)), h('dd', {}, label)]),
      h('dt', {}, h('kbd', {}, '?')), h('dd', {}, 'This list')),
    h('form', { method: 'dialog' }, h('button', { class: 'primary' }, 'Close')));
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
}

session = loadSession();
render();
