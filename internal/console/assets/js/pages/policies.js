// Managed policies and the policy simulator: /policies (customer managed,
// or AWS managed with ?scope=AWS, searchable with ?q=), /policies/ARN (the
// default version's document, the versions with a diff between any two,
// the entities the policy is attached to), and /simulator?role=NAME or
// ?user=NAME (IAM's SimulatePrincipalPolicy, each decision with the
// statements that decided it highlighted in their documents).
import { list } from '../api.js';
import { h, link, section, kv, table, loading, button, field, input, select, formatTime, tabs, page } from '../ui.js';
import { decodeDocument, prettyJSON, lineDiff, hunks, diffStats, matchedSpan, splitList } from '../diff.js';

/**
 * iamAll calls a paginated IAM list operation until IsTruncated is false
 * and returns the members of key from every page.
 */
export async function iamAll(client, action, params, key) {
  const out = [];
  let marker;
  for (;;) {
    const res = await client.iam(action, { ...params, Marker: marker });
    out.push(...list(res[key]));
    if (res.IsTruncated !== 'true' || !res.Marker) return out;
    marker = res.Marker;
  }
}

/** policyPath is a managed policy's console path: /policies/ARN, the ARN URL-encoded. */
function policyPath(arn) {
  return `/policies/${encodeURIComponent(arn)}`;
}

/** policyLink links to a managed policy's page. */
export function policyLink(arn, text, attrs) {
  return link(policyPath(arn), text ?? arn.slice(arn.lastIndexOf('/') + 1), attrs);
}

/**
 * docView shows a policy document (IAM's URL-encoded text, or decoded)
 * pretty-printed in a <pre>; span {start, end} of the pretty text is
 * wrapped in a <mark>.
 */
export function docView(text, span, attrs = {}) {
  const pretty = typeof text === 'string' ? text : '';
  const pre = h('pre', { class: 'code policy-doc', tabindex: 0, ...attrs });
  if (!span) {
    pre.append(pretty);
    return pre;
  }
  pre.append(pretty.slice(0, span.start),
    h('mark', { class: 'statement' }, pretty.slice(span.start, span.end)),
    pretty.slice(span.end));
  return pre;
}

/** policyType says whether a managed policy is AWS's or the account's. */
export function policyType(arn) {
  return arn.startsWith('arn:aws:iam::aws:') ? 'AWS managed' : 'Customer managed';
}

/** prettyDoc decodes and pretty-prints a document IAM returned. */
export function prettyDoc(doc) {
  return prettyJSON(decodeDocument(doc));
}

const scopes = [
  { value: 'Local', label: 'Customer managed' },
  { value: 'AWS', label: 'AWS managed' },
  { value: 'All', label: 'All' },
];

const pageSize = 50;

// renderList is /policies.
async function renderList(view, ctx) {
  const scope = scopes.some((s) => s.value === ctx.query.get('scope')) ? ctx.query.get('scope') : 'Local';
  const q = ctx.query.get('q') || '';
  const scopeSel = select(scopes, { value: scope, name: 'scope' });
  const search = input({ type: 'search', name: 'q', value: q, placeholder: 'Filter by policy name', 'data-search': true });
  const body = h('div', {});
  const form = h('form', { class: 'toolbar', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    const u = new URLSearchParams();
    if (scopeSel.value !== 'Local') u.set('scope', scopeSel.value);
    if (search.value.trim()) u.set('q', search.value.trim());
    ctx.navigate(`/policies${u.size ? `?${u}` : ''}`);
  } }, field('Type', scopeSel), field('Search', search), h('button', { type: 'submit' }, 'Search'));
  scopeSel.addEventListener('change', () => form.requestSubmit());
  page(view, 'Policies', h('p', { class: 'links' }, link('/roles/new', 'Create role'), link('/simulator', 'Policy simulator')), form, body);
  await loading(body, async () => {
    const all = await iamAll(ctx.client, 'ListPolicies', { Scope: scope, MaxItems: 1000 }, 'Policies');
    const needle = q.toLowerCase();
    const rows = all.filter((p) => !needle || p.PolicyName.toLowerCase().includes(needle))
      .sort((a, b) => a.PolicyName.localeCompare(b.PolicyName));
    return pagedTable(rows, {
      columns: [
        { title: 'Policy name', value: (p) => policyLink(p.Arn, p.PolicyName) },
        { title: 'Type', value: (p) => h('span', { class: 'nowrap' }, policyType(p.Arn)) },
        { title: 'Attached entities', value: (p) => p.AttachmentCount },
        { title: 'Default version', value: (p) => p.DefaultVersionId },
        { title: 'Updated', value: (p) => formatTime(p.UpdateDate) },
      ],
      empty: q ? `No policies match "${q}".` : 'No policies.',
      caption: `${rows.length} ${rows.length === 1 ? 'policy' : 'policies'}${q ? ` matching "${q}"` : ''}`,
    });
  });
}

/** pagedTable shows rows pageSize at a time, with a button for more. */
function pagedTable(rows, opts) {
  const wrap = h('div', {});
  let shown = 0;
  const more = button('Show more', () => grow());
  function grow() {
    shown = Math.min(rows.length, shown + pageSize);
    const t = table({ ...opts, rows: rows.slice(0, shown) });
    wrap.replaceChildren(t, ...(shown < rows.length ? [h('p', {}, `Showing ${shown} of ${rows.length}. `, more)] : []));
    if (shown > pageSize) more.focus();
  }
  grow();
  return wrap;
}

// renderPolicy is /policies/ARN.
async function renderPolicy(view, ctx) {
  const { arn } = ctx.params;
  const name = arn.slice(arn.lastIndexOf('/') + 1);
  const summary = h('div', { class: 'summary' });
  page(view, name, summary, tabs(ctx, [
    { id: 'permissions', title: 'Permissions', render: (el) => loading(el, () => defaultDocument(ctx, arn)) },
    { id: 'versions', title: 'Versions', render: (el) => loading(el, () => versions(ctx, arn)) },
    { id: 'entities', title: 'Entities attached', render: (el) => loading(el, () => entities(ctx, arn)) },
  ]));
  view.prepend(h('p', { class: 'breadcrumb' }, link('/policies', 'Policies'), ' › ', name));
  await loading(summary, async () => {
    const p = (await ctx.client.iam('GetPolicy', { PolicyArn: arn })).Policy;
    return kv([
      ['ARN', h('code', {}, p.Arn)],
      ['Type', policyType(p.Arn)],
      ['Description', p.Description],
      ['Path', p.Path],
      ['Default version', p.DefaultVersionId],
      ['Attached entities', p.AttachmentCount],
      ['Used as a permissions boundary', p.PermissionsBoundaryUsageCount],
      ['Created', formatTime(p.CreateDate)],
      ['Updated', formatTime(p.UpdateDate)],
    ]);
  });
}

async function defaultDocument(ctx, arn) {
  const p = (await ctx.client.iam('GetPolicy', { PolicyArn: arn })).Policy;
  const v = (await ctx.client.iam('GetPolicyVersion', { PolicyArn: arn, VersionId: p.DefaultVersionId })).PolicyVersion;
  return section(`Policy document (${v.VersionId}, default)`, docView(prettyDoc(v.Document), null, { 'aria-label': 'Policy document' }));
}

async function versions(ctx, arn) {
  const vs = list((await ctx.client.iam('ListPolicyVersions', { PolicyArn: arn, MaxItems: 1000 })).Versions);
  const ids = vs.map((v) => v.VersionId).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
  const out = h('div', {}, section('Versions', table({
    columns: [
      { title: 'Version', value: (v) => v.VersionId },
      { title: 'Default', value: (v) => (v.IsDefaultVersion === 'true' ? 'Default' : '') },
      { title: 'Created', value: (v) => formatTime(v.CreateDate) },
      { title: 'Document', value: (v) => versionDocument(ctx, arn, v.VersionId) },
    ],
    rows: vs,
    empty: 'No versions.',
  })));
  if (ids.length < 2) {
    out.append(section('Compare versions', h('p', {}, 'The policy has one version: there is nothing to compare yet.')));
    return out;
  }
  const q = ctx.query;
  const from = select(ids, { value: ids.includes(q.get('from')) ? q.get('from') : ids[ids.length - 2], name: 'from' });
  const to = select(ids, { value: ids.includes(q.get('to')) ? q.get('to') : ids[ids.length - 1], name: 'to' });
  const result = h('div', {});
  const compare = async () => {
    const u = new URL(location.href);
    u.searchParams.set('from', from.value);
    u.searchParams.set('to', to.value);
    history.replaceState(history.state, '', u);
    await loading(result, async () => {
      const [a, b] = await Promise.all([from.value, to.value].map((id) =>
        ctx.client.iam('GetPolicyVersion', { PolicyArn: arn, VersionId: id })));
      return diffView(from.value, prettyDoc(a.PolicyVersion.Document), to.value, prettyDoc(b.PolicyVersion.Document));
    }, 'Comparing…');
  };
  const form = h('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); compare(); } },
    field('Compare version', from), field('with version', to), h('button', { type: 'submit', class: 'primary' }, 'Compare'));
  out.append(section('Compare versions', form, result));
  await compare();
  return out;
}

// versionDocument opens into one version's document, read when opened.
function versionDocument(ctx, arn, id) {
  const body = h('div', {});
  const det = h('details', { class: 'version-doc' }, h('summary', {}, `Show ${id}`), body);
  det.addEventListener('toggle', () => {
    if (det.open && !body.childElementCount) {
      loading(body, async () => {
        const v = (await ctx.client.iam('GetPolicyVersion', { PolicyArn: arn, VersionId: id })).PolicyVersion;
        return docView(prettyDoc(v.Document), null, { 'aria-label': `Policy document ${id}` });
      });
    }
  });
  return det;
}

/**
 * diffView shows a line diff of two documents: every line with its old and
 * new line numbers, added lines marked "+", removed "-" (and said so to
 * screen readers), with buttons (and the n and p keys) moving between the
 * changes.
 */
function diffView(aName, a, bName, b) {
  const d = lineDiff(a, b);
  const starts = hunks(d);
  const { added, removed } = diffStats(d);
  const lines = d.map((l, k) => {
    const sign = { same: ' ', added: '+', removed: '-' }[l.kind];
    const said = { same: '', added: 'Added: ', removed: 'Removed: ' }[l.kind];
    return h('div', { class: `diff-line diff-${l.kind}`, tabindex: starts.includes(k) ? -1 : null },
      h('span', { class: 'diff-num', 'aria-hidden': 'true' }, l.oldLine ?? ''),
      h('span', { class: 'diff-num', 'aria-hidden': 'true' }, l.newLine ?? ''),
      h('span', { class: 'diff-sign', 'aria-hidden': 'true' }, sign),
      h('span', { class: 'sr-only' }, said),
      h('code', {}, l.text));
  });
  let at = -1;
  const go = (step) => {
    if (!starts.length) return;
    at = (at + step + starts.length) % starts.length;
    lines[starts[at]].focus();
    position.textContent = `Change ${at + 1} of ${starts.length}`;
  };
  const position = h('span', { class: 'muted', 'aria-live': 'polite' });
  const box = h('div', {
    class: 'diff', role: 'region', tabindex: 0,
    'aria-label': `Differences from ${aName} to ${bName}`,
    onkeydown: (e) => {
      if (e.key === 'n' || e.key === 'p') {
        e.preventDefault();
        go(e.key === 'n' ? 1 : -1);
      }
    },
  }, lines);
  const summary = added + removed === 0
    ? `${aName} and ${bName} are the same.`
    : `${aName} → ${bName}: ${added} ${added === 1 ? 'line' : 'lines'} added, ${removed} removed, in ${starts.length} ${starts.length === 1 ? 'change' : 'changes'}.`;
  return h('div', { class: 'diff-view' },
    h('p', { class: 'diff-summary' }, summary),
    starts.length ? h('div', { class: 'toolbar' },
      button('Previous change', () => go(-1), { class: 'prev-change' }), button('Next change', () => go(1), { class: 'next-change' }), position,
      h('small', { class: 'hint' }, 'In the diff, n and p move between changes.')) : null,
    box);
}

async function entities(ctx, arn) {
  const all = { PolicyRoles: [], PolicyUsers: [], PolicyGroups: [] };
  let marker;
  for (;;) {
    const res = await ctx.client.iam('ListEntitiesForPolicy', { PolicyArn: arn, Marker: marker });
    for (const k of Object.keys(all)) all[k].push(...list(res[k]));
    if (res.IsTruncated !== 'true' || !res.Marker) break;
    marker = res.Marker;
  }
  return h('div', {},
    section('Roles', table({ columns: [{ title: 'Role name', value: (r) => link(`/roles/${encodeURIComponent(r.RoleName)}`, r.RoleName) }],
      rows: all.PolicyRoles, empty: 'No roles.' })),
    section('Users', table({ columns: [{ title: 'User name', value: (u) => u.UserName }], rows: all.PolicyUsers, empty: 'No users.' })),
    section('Groups', table({ columns: [{ title: 'Group name', value: (g) => g.GroupName }], rows: all.PolicyGroups, empty: 'No groups.' })));
}

// The simulator.

const decisionText = { allowed: 'Allowed', implicitDeny: 'Implicitly denied', explicitDeny: 'Explicitly denied' };

async function renderSimulator(view, ctx) {
  const q = ctx.query;
  const kind = select([{ value: 'role', label: 'Role' }, { value: 'user', label: 'User' }], { value: q.get('user') ? 'user' : 'role', name: 'kind' });
  const name = input({ name: 'principal', value: q.get('user') || q.get('role') || '', required: true, autocomplete: 'off', list: 'sim-principals' });
  const names = h('datalist', { id: 'sim-principals' });
  const actions = h('textarea', { name: 'actions', rows: 4, required: true, spellcheck: 'false' }, q.get('actions') || '');
  const resources = h('textarea', { name: 'resources', rows: 3, spellcheck: 'false' }, q.get('resources') || '');
  const contextKeys = h('textarea', { name: 'context', rows: 2, spellcheck: 'false' }, q.get('context') || '');
  const out = h('div', { 'aria-live': 'polite' });
  const run = async () => {
    const u = new URL(location.href);
    for (const k of ['role', 'user']) u.searchParams.delete(k);
    u.searchParams.set(kind.value, name.value.trim());
    const set = (k, v) => (v.trim() ? u.searchParams.set(k, v.trim()) : u.searchParams.delete(k));
    set('actions', actions.value);
    set('resources', resources.value);
    set('context', contextKeys.value);
    history.replaceState(history.state, '', u);
    await loading(out, () => simulate(ctx, kind.value, name.value.trim(), splitList(actions.value), splitList(resources.value), contextKeys.value), 'Simulating…');
  };
  const form = h('form', { class: 'sim-form', onsubmit: (e) => { e.preventDefault(); run(); } },
    h('div', { class: 'toolbar' }, field('Principal type', kind), field('Principal name', name), names),
    field('Actions', actions, 'One or more actions, separated by commas, spaces or new lines: s3:GetObject, logs:PutLogEvents'),
    field('Resource ARNs', resources, 'Separated the same way; none means all resources (*).'),
    field('Context keys', contextKeys, 'Optional, one per line: aws:SourceIp=192.0.2.1 (several values separated by commas).'),
    h('button', { type: 'submit', class: 'primary' }, 'Run simulation'));
  page(view, 'Policy simulator', h('p', {}, 'Evaluates the principal\'s policies (inline, managed and its permissions boundary) with IAM\'s SimulatePrincipalPolicy.'), form, out);
  ctx.client.iam('ListRoles', { MaxItems: 1000 }).then((r) => {
    names.replaceChildren(...list(r.Roles).map((x) => h('option', { value: x.RoleName })));
  }).catch(() => {});
  if (name.value && actions.value.trim()) await run();
}

// contextEntries reads "key=v1,v2" lines as SimulatePrincipalPolicy's ContextEntries.
function contextEntries(text, params) {
  let n = 0;
  for (const line of String(text).split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 1) continue;
    n++;
    const values = line.slice(eq + 1).split(',').map((v) => v.trim()).filter(Boolean);
    params[`ContextEntries.member.${n}.ContextKeyName`] = line.slice(0, eq).trim();
    params[`ContextEntries.member.${n}.ContextKeyType`] = values.length > 1 ? 'stringList' : 'string';
    values.forEach((v, k) => { params[`ContextEntries.member.${n}.ContextKeyValues.member.${k + 1}`] = v; });
  }
}

// principal reads the simulated role or user: its ARN and its
// permissions boundary's ARN. A caller who may simulate but not read the
// principal gets its ARN without a path.
async function principal(ctx, kind, name) {
  try {
    const p = kind === 'role' ? (await ctx.client.iam('GetRole', { RoleName: name })).Role
      : (await ctx.client.iam('GetUser', { UserName: name })).User;
    return { arn: p.Arn, boundary: p.PermissionsBoundary?.PermissionsBoundaryArn || '' };
  } catch (e) {
    if (e.code === 'NoSuchEntity') throw e;
    return { arn: `arn:aws:iam::${ctx.identity.account}:${kind}/${name}`, boundary: '' };
  }
}

async function simulate(ctx, kind, name, actions, resources, contextText) {
  if (!name) throw Object.assign(new Error('Choose a role or user to simulate.'), { code: 'ValidationError' });
  if (!actions.length) throw Object.assign(new Error('Enter at least one action, such as s3:GetObject.'), { code: 'ValidationError' });
  const { arn, boundary } = await principal(ctx, kind, name);
  const params = { PolicySourceArn: arn };
  actions.forEach((a, k) => { params[`ActionNames.member.${k + 1}`] = a; });
  resources.forEach((r, k) => { params[`ResourceArns.member.${k + 1}`] = r; });
  contextEntries(contextText, params);
  const results = await iamAll(ctx.client, 'SimulatePrincipalPolicy', params, 'EvaluationResults');
  const docs = new PolicyDocs(ctx, kind, name, boundary);
  const allowed = results.filter((r) => r.EvalDecision === 'allowed').length;
  return section(`Results for ${arn}`,
    h('p', { class: 'muted' }, `${allowed} of ${results.length} ${results.length === 1 ? 'request' : 'requests'} allowed.`),
    results.length ? h('ul', { class: 'sim-results' }, results.map((r) => {
      const missing = list(r.MissingContextValues);
      return h('li', { class: 'sim-result' },
        h('div', { class: 'sim-head' },
          h('code', { class: 'sim-action' }, r.EvalActionName), h('span', { class: 'muted' }, ' on '),
          h('code', { class: 'sim-resource' }, r.EvalResourceName), ' ',
          h('span', { class: `badge ${r.EvalDecision === 'allowed' ? 'allow' : 'deny'}` }, decisionText[r.EvalDecision] || r.EvalDecision)),
        h('div', { class: 'sim-why' }, matched(docs, r)),
        missing.length ? h('p', { class: 'sim-missing' }, 'Missing context values: ', missing.map((k, i) => [i ? ', ' : '', h('code', {}, k)])) : null);
    })) : h('p', { class: 'empty' }, 'No results.'));
}

// policyTypes names the SourcePolicyType values of IAM's simulator.
const policyTypes = { role: 'inline policy', user: 'inline policy', group: 'group inline policy', 'user-managed': 'customer managed policy', 'aws-managed': 'AWS managed policy', resource: 'resource-based policy' };

// matched lists a result's decisive statements, each opening into its
// policy document with the statement highlighted.
function matched(docs, r) {
  const ms = list(r.MatchedStatements);
  return [why(r, ms.length > 0), ms.map((m) => {
    const body = h('div', {});
    const where = m.StartPosition ? ` (line ${m.StartPosition.Line})` : '';
    const what = docs.boundary.endsWith(`/${m.SourcePolicyId}`) && /managed$/.test(m.SourcePolicyType)
      ? 'permissions boundary' : policyTypes[m.SourcePolicyType] || m.SourcePolicyType;
    const det = h('details', { class: 'matched' },
      h('summary', {}, `${m.SourcePolicyId}`, h('span', { class: 'muted' }, ` ${what}${where}`)), body);
    det.addEventListener('toggle', () => {
      if (det.open && !body.childElementCount) {
        loading(body, async () => {
          const { raw, pretty, arn } = await docs.get(m.SourcePolicyType, m.SourcePolicyId);
          const span = m.StartPosition ? matchedSpan(raw, pretty, m.StartPosition, m.EndPosition) : null;
          const pre = docView(pretty, span, { 'aria-label': `Policy ${m.SourcePolicyId}` });
          queueMicrotask(() => pre.querySelector('mark')?.scrollIntoView({ block: 'nearest' }));
          return h('div', {}, arn ? h('p', {}, policyLink(arn, 'Open the policy')) : null, pre);
        });
      }
    });
    return det;
  })];
}

// why says what decided a result: the statements listed allow or deny
// it, or, for an implicit deny, which kind of policy has no allow.
function why(r, any) {
  if (r.EvalDecision === 'allowed') return h('p', { class: 'why' }, 'Allowed by:');
  if (r.EvalDecision === 'explicitDeny') return h('p', { class: 'why' }, 'Denied by:');
  const reasons = [];
  if (r.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary === 'false') reasons.push('The permissions boundary does not allow it.');
  if (r.OrganizationsDecisionDetail?.AllowedByOrganizations === 'false') reasons.push('No service control policy allows it.');
  if (!reasons.length) reasons.push('No identity-based policy allows it.');
  return h('div', { class: 'why' }, reasons.map((t) => h('p', {}, t)), any ? h('p', { class: 'muted' }, 'Allowing statements found (not enough alone):') : null);
}

// PolicyDocs finds the documents of a simulated principal's policies by the
// SourcePolicyId and SourcePolicyType IAM's simulator gives: an inline
// policy's name (type "role" or "user"), or a managed policy's name (its
// attached policies and its permissions boundary).
class PolicyDocs {
  constructor(ctx, kind, name, boundary) {
    this.ctx = ctx;
    this.kind = kind;
    this.name = name;
    this.boundary = boundary;
    this.cache = new Map();
  }

  get(type, id) {
    const key = `${type}\n${id}`;
    if (!this.cache.has(key)) this.cache.set(key, this.load(type, id));
    return this.cache.get(key);
  }

  async load(type, id) {
    const c = this.ctx.client;
    const role = this.kind === 'role';
    let doc;
    let arn = null;
    if (type === 'role' || type === 'user') {
      const res = role ? await c.iam('GetRolePolicy', { RoleName: this.name, PolicyName: id })
        : await c.iam('GetUserPolicy', { UserName: this.name, PolicyName: id });
      doc = res.PolicyDocument;
    } else {
      const attached = role ? await iamAll(c, 'ListAttachedRolePolicies', { RoleName: this.name }, 'AttachedPolicies')
        : await iamAll(c, 'ListAttachedUserPolicies', { UserName: this.name }, 'AttachedPolicies');
      arn = attached.find((p) => p.PolicyName === id)?.PolicyArn;
      if (!arn && this.boundary.endsWith(`/${id}`)) arn = this.boundary;
      if (!arn) throw Object.assign(new Error(`The policy ${id} is no longer attached.`), { code: 'NoSuchEntity' });
      const p = (await c.iam('GetPolicy', { PolicyArn: arn })).Policy;
      doc = (await c.iam('GetPolicyVersion', { PolicyArn: arn, VersionId: p.DefaultVersionId })).PolicyVersion.Document;
    }
    const raw = decodeDocument(doc);
    return { raw, pretty: prettyJSON(raw), arn };
  }
}

export const routes = [
  { path: '/policies', title: 'Policies', render: renderList },
  { path: '/policies/:arn', title: 'Policy', render: renderPolicy },
  { path: '/simulator', title: 'Policy simulator', render: renderSimulator },
];
