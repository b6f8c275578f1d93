// Functions: the list with its search box, and a function's page with the
// tabs of the Lambda console (Configuration, Versions, Aliases,
// Permissions, Test, Monitor, Triggers). Every call goes through
// ctx.client, signed with the tab's credentials, so a caller sees what the
// API lets them see and AWS's error where it refuses.

import { h, link, page, table, tabs, section, kv, loading, button, field, input, formatTime, errorBox } from '../ui.js';
import { list } from '../api.js';
import { filterFunctions, formatTimeout, formatBytes, formatWeights, roleName, fnPath, functionRef } from '../lambdafmt.js';
import { permissionsTab, testTab, monitorTab } from './function-tabs.js';

const base = '/2015-03-31';
const enc = encodeURIComponent;

export const routes = [
  { path: '/functions', title: 'Functions', render: renderList },
  { path: '/functions/:name', title: 'Function', render: renderFunction },
];

// renderList shows ListFunctions a page (50) at a time, with a search box
// that filters the loaded functions by name as one types; the query is
// kept in the URL (?search=) so that a filtered list can be shared.
async function renderList(view, ctx) {
  view.classList.add('functions-page');
  const state = { functions: [], marker: '', done: false };
  const search = input({ type: 'search', id: 'function-search', value: ctx.query.get('search') || '', placeholder: 'Filter by function name', autocomplete: 'off', 'data-search': true });
  const count = h('span', { class: 'count', 'aria-live': 'polite' });
  const rows = h('div', { class: 'function-list' });
  const more = button('Load more functions', () => loadPage(), {});
  more.hidden = true;
  more.classList.add('load-more');

  const draw = () => {
    const shown = filterFunctions(state.functions, search.value);
    count.textContent = search.value.trim()
      ? `${shown.length} of ${state.functions.length}${state.done ? '' : '+'} functions match`
      : `${state.functions.length}${state.done ? '' : '+'} function${state.functions.length === 1 && state.done ? '' : 's'}`;
    rows.replaceChildren(table({
      columns: [
        { title: 'Function name', value: (f) => link(`/functions/${enc(f.FunctionName)}`, f.FunctionName) },
        { title: 'Runtime', value: (f) => f.Runtime || '-' },
        { title: 'Last modified', value: (f) => formatTime(f.LastModified) || '-' },
        { title: 'Description', value: (f) => f.Description || '-' },
        { title: 'Package type', value: (f) => (f.PackageType === 'Image' ? 'Image' : 'Zip') },
      ],
      rows: shown,
      empty: state.functions.length === 0 ? 'No functions' : 'No functions match the filter',
    }));
    more.hidden = state.done;
  };

  const loadPage = () => loading(rows, async () => {
    const query = { MaxItems: '50' };
    if (state.marker) query.Marker = state.marker;
    const out = await ctx.client.lambda('GET', `${base}/functions`, { query });
    state.functions.push(...list(out.Functions));
    state.marker = out.NextMarker || '';
    state.done = !state.marker;
    draw();
    return rows.firstChild;
  });

  search.addEventListener('input', () => {
    const q = new URLSearchParams(location.search);
    if (search.value) q.set('search', search.value); else q.delete('search');
    history.replaceState(history.state, '', `${location.pathname}${q.size ? `?${q}` : ''}`);
    draw();
  });

  page(view, 'Functions', h('div', { class: 'toolbar' }, field('Filter functions by name', search), count), rows, more);
  await loadPage();
}

// renderFunction shows one function: a heading and the tabs, each of
// which loads its own data, so that a caller refused one call still sees
// the others. The path may name the function as Lambda's FunctionName
// does (a name, name:qualifier, a partial ARN or an ARN): the
// configuration, test and triggers are the qualified function's, the
// versions and aliases the function's, as in the Lambda console.
async function renderFunction(view, ctx) {
  view.classList.add('functions-page');
  const name = ctx.params.name;
  // The heading is the function's name, with its qualifier, however the
  // path names it (an ARN, say), as the Lambda console's is.
  const ref = functionRef(name);
  const title = ref.qualifier ? `${ref.name}:${ref.qualifier}` : ref.name;
  page(view, title, tabs(ctx, [
      { id: 'configuration', title: 'Configuration', render: (el) => configurationTab(el, ctx, name) },
      { id: 'versions', title: 'Versions', render: (el) => versionsTab(el, ctx, functionRef(name).unqualified) },
      { id: 'aliases', title: 'Aliases', render: (el) => aliasesTab(el, ctx, functionRef(name).unqualified) },
      { id: 'permissions', title: 'Permissions', render: (el) => permissionsTab(el, ctx, name) },
      { id: 'test', title: 'Test', render: (el) => testTab(el, ctx, name) },
      { id: 'monitor', title: 'Monitor', render: (el) => monitorTab(el, ctx, name) },
      { id: 'triggers', title: 'Triggers', render: (el) => triggersTab(el, ctx, name) },
    ]));
  view.prepend(h('p', { class: 'breadcrumb' }, link('/functions', 'Functions'), ' › ', title));
}

// readFunction is GetFunction's answer; a caller refused GetFunction who
// may call GetFunctionConfiguration gets the configuration, with the
// refusal in place of the code's location (codeError). When both are
// refused, GetFunction's error is thrown.
async function readFunction(ctx, name) {
  try {
    return await ctx.client.lambda('GET', fnPath(name));
  } catch (e) {
    if (!/AccessDenied/.test(e.code)) throw e;
    try {
      return { Configuration: await ctx.client.lambda('GET', fnPath(name, '/configuration')), codeError: e };
    } catch {
      throw e;
    }
  }
}

// configurationTab shows GetFunction: general settings, the execution
// role, environment variable names (values on request), tracing, VPC,
// state and the code with its download link (Code.Location).
function configurationTab(el, ctx, name) {
  return loading(el, async () => {
    const out = await readFunction(ctx, name);
    const c = out.Configuration || {};
    const role = roleName(c.Role);
    let download = '-';
    if (out.codeError) download = errorBox(out.codeError);
    else if (out.Code && out.Code.Location) {
      // Only a web address is a link: the presigned URL is opened without
      // the console's credentials or a referrer.
      const u = URL.canParse(out.Code.Location) ? new URL(out.Code.Location) : null;
      download = u && (u.protocol === 'https:' || u.protocol === 'http:')
        ? h('a', { href: u.href, download: `${functionRef(name).name}.zip`, rel: 'noopener noreferrer', class: 'code-download' }, `Download ${functionRef(name).name}.zip`)
        : h('code', {}, out.Code.Location);
    }
    return h('div', {},
      section('General configuration', kv([
        ['Function ARN', c.FunctionArn],
        ['Description', c.Description || '-'],
        ['Runtime', c.Runtime || '-'],
        ['Handler', c.Handler || '-'],
        ['Architecture', list(c.Architectures).join(', ') || 'x86_64'],
        ['Memory', `${c.MemorySize} MB`],
        ['Ephemeral storage', c.EphemeralStorage ? `${c.EphemeralStorage.Size} MB` : '-'],
        ['Timeout', formatTimeout(c.Timeout)],
        ['Package type', c.PackageType || 'Zip'],
        ['State', [c.State || '-', c.StateReason ? ` (${c.StateReason})` : '']],
        ['Last update status', [c.LastUpdateStatus || '-', c.LastUpdateStatusReason ? ` (${c.LastUpdateStatusReason})` : '']],
        ['Last modified', formatTime(c.LastModified) || '-'],
      ])),
      section('Execution role', kv([
        ['Role name', role ? link(`/roles/${enc(role)}`, role) : '-'],
        ['Role ARN', c.Role || '-'],
      ])),
      section('Code', kv([
        ['Code size', formatBytes(c.CodeSize)],
        ['Code SHA-256', c.CodeSha256 || '-'],
        ['Download', download],
        ['Layers', list(c.Layers).map((l) => l.Arn).join(', ') || '-'],
      ])),
      environmentSection(c.Environment, c.KMSKeyArn),
      section('Monitoring and operations tools', kv([
        ['Active tracing', c.TracingConfig && c.TracingConfig.Mode === 'Active' ? 'Active' : 'PassThrough (not active)'],
        ['Log group', (c.LoggingConfig && c.LoggingConfig.LogGroup) || `/aws/lambda/${functionRef(name).name}`],
        ['Log format', (c.LoggingConfig && c.LoggingConfig.LogFormat) || 'Text'],
      ])),
      section('VPC', vpcView(c.VpcConfig)),
      out.codeError ? null : section('Tags', Object.keys(out.Tags || {}).length
        ? table({ columns: [{ title: 'Key', value: (t) => t[0] }, { title: 'Value', value: (t) => t[1] }], rows: Object.entries(out.Tags) })
        : h('p', {}, 'No tags')),
    );
  });
}

// environmentSection lists the variable names; the values stay hidden
// until "Show values" is pressed, as they may hold secrets. It names the
// key that encrypts them at rest (KMSKeyArn, else Lambda's AWS managed
// key), and when Lambda could not decrypt them for the caller it shows
// Environment.Error (AWS's code and message) in their place.
function environmentSection(env, kmsKeyArn) {
  const key = kv([['Encryption key', kmsKeyArn ? h('code', {}, kmsKeyArn) : 'AWS managed key (aws/lambda)']]);
  if (env && env.Error) {
    const e = new Error(env.Error.Message || '');
    e.code = env.Error.ErrorCode || 'Error';
    return section('Environment variables', key, errorBox(e));
  }
  const vars = Object.entries((env && env.Variables) || {}).sort(([a], [b]) => a.localeCompare(b));
  if (vars.length === 0) return section('Environment variables', key, h('p', {}, 'No environment variables'));
  let shown = false;
  const box = h('div', {});
  const draw = () => box.replaceChildren(table({
    columns: [{ title: 'Key', value: (v) => v[0] }, { title: 'Value', value: (v) => (shown ? v[1] : h('span', { class: 'hidden-value', 'aria-label': 'hidden' }, '••••••')) }],
    rows: vars,
  }));
  const toggle = button('Show values', () => {
    shown = !shown;
    toggle.textContent = shown ? 'Hide values' : 'Show values';
    toggle.setAttribute('aria-pressed', String(shown));
    draw();
  });
  toggle.setAttribute('aria-pressed', 'false');
  toggle.classList.add('env-toggle');
  draw();
  return section('Environment variables', key, toggle, box);
}

function vpcView(vpc) {
  if (!vpc || !vpc.VpcId) return h('p', {}, 'This function is not connected to a VPC.');
  return kv([
    ['VPC', vpc.VpcId],
    ['Subnets', list(vpc.SubnetIds).join(', ') || '-'],
    ['Security groups', list(vpc.SecurityGroupIds).join(', ') || '-'],
    ['IPv6 for dual-stack', vpc.Ipv6AllowedForDualStack ? 'Yes' : 'No'],
  ]);
}

// pages calls a Lambda list operation until it has no NextMarker and
// returns the items of member key.
async function pages(ctx, path, key, query = {}) {
  const items = [];
  let marker = '';
  do {
    const q = { ...query };
    if (marker) q.Marker = marker;
    const out = await ctx.client.lambda('GET', path, { query: q });
    items.push(...list(out[key]));
    marker = out.NextMarker || '';
  } while (marker);
  return items;
}

function versionsTab(el, ctx, name) {
  return loading(el, async () => {
    const versions = await pages(ctx, fnPath(name, '/versions'), 'Versions');
    return section('Versions', table({
      columns: [
        { title: 'Version', value: (v) => v.Version },
        { title: 'Description', value: (v) => v.Description || '-' },
        { title: 'Runtime', value: (v) => v.Runtime || '-' },
        { title: 'Code SHA-256', value: (v) => h('code', {}, v.CodeSha256 || '-') },
        { title: 'Last modified', value: (v) => formatTime(v.LastModified) || '-' },
      ],
      rows: versions,
      empty: 'No versions',
    }));
  });
}

function aliasesTab(el, ctx, name) {
  return loading(el, async () => {
    const aliases = await pages(ctx, fnPath(name, '/aliases'), 'Aliases');
    return section('Aliases', table({
      columns: [
        { title: 'Name', value: (a) => a.Name },
        { title: 'Version', value: (a) => a.FunctionVersion },
        { title: 'Weighted routing', value: (a) => formatWeights(a.FunctionVersion, a.RoutingConfig) },
        { title: 'Description', value: (a) => a.Description || '-' },
        { title: 'Alias ARN', value: (a) => h('code', {}, a.AliasArn) },
      ],
      rows: aliases,
      empty: 'No aliases',
    }));
  });
}

// triggersTab lists the event source mappings of the function with their
// state and the result of their last poll.
function triggersTab(el, ctx, name) {
  return loading(el, async () => {
    const mappings = await pages(ctx, `${base}/event-source-mappings`, 'EventSourceMappings', { FunctionName: name });
    return section('Event source mappings', table({
      columns: [
        { title: 'Source', value: (m) => h('code', {}, m.EventSourceArn || '-') },
        { title: 'State', value: (m) => h('span', { class: `state state-${String(m.State || '').toLowerCase()}` }, m.State || '-') },
        { title: 'Last processing result', value: (m) => m.LastProcessingResult || '-' },
        { title: 'State transition reason', value: (m) => m.StateTransitionReason || '-' },
        { title: 'Batch size', value: (m) => String(m.BatchSize ?? '-') },
        { title: 'Last modified', value: (m) => formatTime(m.LastModified) || '-' },
        { title: 'UUID', value: (m) => h('code', {}, m.UUID) },
      ],
      rows: mappings,
      empty: 'No event source mappings',
    }));
  });
}
