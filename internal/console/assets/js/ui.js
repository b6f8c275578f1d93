// DOM helpers shared by the console's pages. Pages build their DOM with
// h() and these components; nothing here talks to the API.

/** PREFIX is the path the console is served under. */
export const PREFIX = '/console';

/**
 * h creates an element. attrs: {class, id, href, on<event>: fn, …} (a
 * value of false/null/undefined leaves the attribute out); children:
 * strings, nodes, arrays of them, null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'disabled' || k === 'selected' || k === 'hidden') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** link is an in-console link: path is after /console ("/roles/x"). */
export function link(path, text, attrs = {}) {
  return h('a', { ...attrs, href: PREFIX + path }, text ?? path);
}

/** section is a titled block of a page. */
export function section(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', {}, title) : null, ...children);
}

/** kv renders [[label, value], …] as a description list; null values are left out. */
export function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter((p) => p && p[1] !== undefined && p[1] !== null && p[1] !== '')
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/**
 * table renders rows under columns [{title, value: row => node|string}];
 * empty is the text shown when there are no rows.
 */
export function table({ columns, rows, empty = 'Nothing here yet.', caption }) {
  if (!rows || rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-wrap' }, h('table', {},
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c.title)))),
    h('tbody', {}, rows.map((r) => h('tr', {}, columns.map((c) => h('td', {}, c.value(r))))))));
}

/** pretty renders a JSON document (text or value) indented; text that is not JSON is kept. */
export function pretty(doc) {
  if (typeof doc !== 'string') return JSON.stringify(doc, null, 2);
  try {
    return JSON.stringify(JSON.parse(doc), null, 2);
  } catch {
    return doc;
  }
}

/** code shows text, or a value as indented JSON, in a <pre>. */
export function code(doc, attrs = {}) {
  return h('pre', { class: 'code', tabindex: 0, ...attrs }, pretty(doc));
}

/** errorBox shows an error as AWS gave it: its code and message. */
export function errorBox(err) {
  const code = err?.code || err?.name || 'Error';
  return h('div', { class: 'error', role: 'alert' },
    h('strong', { class: 'error-code' }, code), ': ', h('span', { class: 'error-message' }, err?.message || String(err)));
}

/**
 * loading shows a status line in el while fn runs, then fn's node (or
 * nodes), or the error it threw.
 */
export async function loading(el, fn, text = 'Loading…') {
  el.replaceChildren(h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text));
  el.setAttribute('aria-busy', 'true');
  try {
    const node = await fn();
    el.replaceChildren();
    append(el, [node]);
  } catch (e) {
    el.replaceChildren(errorBox(e));
  } finally {
    el.removeAttribute('aria-busy');
  }
}

/** button makes a <button type="button">; opts.primary styles it as the main action. */
export function button(text, onclick, { primary = false, ...attrs } = {}) {
  return h('button', { type: 'button', class: primary ? 'primary' : null, onclick, ...attrs }, text);
}

let fieldSeq = 0;

/** field labels a control: <label for=…>label</label> control, with an optional hint. */
export function field(label, control, hint) {
  if (!control.id) control.id = `f${++fieldSeq}`;
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control,
    hint ? h('small', { class: 'hint' }, hint) : null);
}

/** input makes an <input> (type text unless attrs.type). */
export function input(attrs = {}) {
  return h('input', { type: 'text', ...attrs });
}

/** select makes a <select> of options [{value, label}] or strings. */
export function select(options, attrs = {}) {
  return h('select', attrs, options.map((o) => {
    const { value, label } = typeof o === 'string' ? { value: o, label: o } : o;
    return h('option', { value, selected: attrs.value === value }, label);
  }));
}

/** formatTime renders epoch seconds, epoch milliseconds, a Date or an ISO string as local time, naming the zone. */
export function formatTime(t) {
  if (t === undefined || t === null || t === '') return '';
  let d;
  if (t instanceof Date) d = t;
  else if (typeof t === 'number') d = new Date(t < 1e11 ? t * 1000 : t);
  else if (/^\d+(\.\d+)?$/.test(t)) d = new Date(Number(t) < 1e11 ? Number(t) * 1000 : Number(t));
  else d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  // timeStyle long names the zone ("6:11:02 PM UTC"): times read beside
  // the UTC ones of charts and ranges are not mistaken for them.
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'long' });
}

/**
 * tabs renders an ARIA tablist. The selected tab is ?tab=id in the URL
 * (replaced, not pushed, so Back leaves the page); arrow keys move
 * between tabs. tabs: [{id, title, render: async (panel) => {}}].
 */
export function tabs(ctx, list) {
  const wanted = ctx.query.get('tab');
  let current = list.find((t) => t.id === wanted) || list[0];
  const panel = h('div', { class: 'tabpanel', role: 'tabpanel', tabindex: 0 });
  const buttons = list.map((t) => h('button', {
    type: 'button', role: 'tab', id: `tab-${t.id}`, 'aria-controls': 'tabpanel',
    onclick: () => choose(t, true),
    onkeydown: (e) => {
      const i = list.indexOf(t);
      const j = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: list.length - 1 }[e.key];
      if (j === undefined) return;
      e.preventDefault();
      const next = list[(j + list.length) % list.length];
      choose(next, true);
      buttons[list.indexOf(next)].focus();
    },
  }, t.title));
  panel.id = 'tabpanel';
  function choose(t, push) {
    current = t;
    buttons.forEach((b, i) => {
      const on = list[i] === t;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
    });
    panel.setAttribute('aria-labelledby', `tab-${t.id}`);
    if (push) {
      const u = new URL(location.href);
      u.searchParams.set('tab', t.id);
      history.replaceState(history.state, '', u);
      ctx.query = u.searchParams;
    }
    panel.replaceChildren();
    Promise.resolve(t.render(panel)).catch((e) => panel.replaceChildren(errorBox(e)));
  }
  const el = h('div', { class: 'tabs' }, h('div', { role: 'tablist', class: 'tablist' }, buttons), panel);
  choose(current, false);
  // A phone shows a few tabs at a time: bring the chosen one into sight.
  requestAnimationFrame(() => {
    const b = buttons[list.indexOf(current)];
    const bar = b.parentElement;
    const r = b.getBoundingClientRect(), br = bar.getBoundingClientRect();
    if (r.right > br.right || r.left < br.left) bar.scrollLeft += r.left - br.left;
  });
  return el;
}

/** page replaces view's content with a heading and the given nodes; it sets the document title. */
export function page(view, title, ...children) {
  document.title = `${title} · rolecall`;
  view.replaceChildren(h('h1', {}, title), ...children.flat());
}
