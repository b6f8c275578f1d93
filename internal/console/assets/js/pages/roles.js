// IAM roles: /roles (the list, searchable with ?q=, with when each role
// was last used), /roles/NAME (?tab=permissions|trust|tags|lastused), and
// /roles/new (the "Create role" wizard with the Lambda use case, and
// ?tab=default: "Create default role" for a new function).
import { list, enc } from '../api.js';
import { h, link, section, kv, table, loading, button, field, input, formatTime, tabs, page } from '../ui.js';
import { iamAll, policyLink, policyType, docView, prettyDoc } from './policies.js';
import { decodeDocument, prettyJSON, trustedEntities } from '../diff.js';

/** rolePath is a role's console path. */
export const rolePath = (name) => `/roles/${encodeURIComponent(name)}`;

// The trust policy of a role for the Lambda use case: the Lambda service
// may assume it.
const lambdaTrust = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

// The AWS managed policies the Lambda documentation names for the
// features of a function, with what it says each grants; shown first when
// choosing a new role's permissions.
const lambdaPolicies = [
  ['service-role/AWSLambdaBasicExecutionRole', 'Upload logs to CloudWatch.'],
  ['AWSXRayDaemonWriteAccess', 'Upload trace data to X-Ray.'],
  ['AWSXrayWriteOnlyAccess', 'Upload trace data to X-Ray.'],
  ['service-role/AWSLambdaDynamoDBExecutionRole', 'Read records from an Amazon DynamoDB stream and write to CloudWatch Logs.'],
  ['service-role/AWSLambdaKinesisExecutionRole', 'Read events from an Amazon Kinesis data stream and write to CloudWatch Logs.'],
  ['service-role/AWSLambdaMSKExecutionRole', 'Read records from an Amazon MSK cluster, manage network interfaces (ENIs) and write to CloudWatch Logs.'],
  ['service-role/AWSLambdaSQSQueueExecutionRole', 'Read messages from an Amazon SQS queue and write to CloudWatch Logs.'],
  ['service-role/AWSLambdaVPCAccessExecutionRole', 'Manage network interfaces (ENIs) in an Amazon VPC and write to CloudWatch Logs.'],
  ['CloudWatchLambdaInsightsExecutionRolePolicy', 'Write runtime metrics to CloudWatch Lambda Insights.'],
  ['service-role/AmazonS3ObjectLambdaExecutionRolePolicy', 'Work with Amazon S3 Object Lambda and write to CloudWatch Logs.'],
].map(([path, purpose]) => ({ arn: `arn:aws:iam::aws:policy/${path}`, purpose }));

// principalTypes names the keys of a trust policy's Principal.
const principalTypes = { Service: 'AWS service', AWS: 'AWS account or principal', Federated: 'Identity provider', CanonicalUser: 'Canonical user', '*': 'Everyone' };

const pageSize = 50;

// each runs fn over items, at most n at a time.
async function each(items, n, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

// lastUsedText renders a RoleLastUsed element.
function lastUsedText(u) {
  if (!u || !u.LastUsedDate) return 'Not used';
  return `${formatTime(u.LastUsedDate)}${u.Region ? ` (${u.Region})` : ''}`;
}

// renderList is /roles: a page of ListRoles at a time ("Load more" asks
// for the next), or, with a search, every role whose name has the text.
async function renderList(view, ctx) {
  const q = ctx.query.get('q') || '';
  const search = input({ type: 'search', name: 'q', value: q, placeholder: 'Filter by role name', 'data-search': true });
  const body = h('div', {});
  page(view, 'Roles',
    h('p', { class: 'links' }, link('/roles/new', 'Create role', { class: 'button primary' }),
      link('/roles/new?tab=default', 'Create default role for a function'), link('/policies', 'Policies'), link('/simulator', 'Policy simulator')),
    h('form', { class: 'toolbar', role: 'search', onsubmit: (e) => {
      e.preventDefault();
      const v = search.value.trim();
      ctx.navigate(v ? `/roles?q=${encodeURIComponent(v)}` : '/roles');
    } }, field('Search roles', search), h('button', { type: 'submit' }, 'Search')),
    body);
  const rows = [];
  const used = new Map(); // role name → {text, title}: its last use, or why it is unknown
  let marker;
  let truncated = true;
  const needle = q.toLowerCase();
  // After "Load more", focus goes to the first role of the new page.
  const more = button('Load more roles', () => {
    const first = rows.length;
    loadPage().then(() => body.querySelectorAll('tbody tr a')[first]?.focus());
  });
  const loadPage = () => loading(body, async () => {
    do {
      const res = await ctx.client.iam('ListRoles', { MaxItems: pageSize, Marker: marker });
      rows.push(...list(res.Roles).filter((r) => !needle || r.RoleName.toLowerCase().includes(needle)));
      truncated = res.IsTruncated === 'true' && !!res.Marker;
      marker = res.Marker;
    } while (needle && truncated);
    const cells = new Map();
    const t = table({
      columns: [
        { title: 'Role name', value: (r) => link(rolePath(r.RoleName), r.RoleName) },
        { title: 'Path', value: (r) => r.Path },
        { title: 'Description', value: (r) => r.Description || '' },
        { title: 'Created', value: (r) => formatTime(r.CreateDate) },
        { title: 'Last used', value: (r) => { const c = h('span', { class: 'muted' }, '…'); cells.set(r, c); return c; } },
      ],
      rows,
      empty: q ? `No roles match "${q}".` : 'No roles yet.',
      caption: `${rows.length} ${rows.length === 1 ? 'role' : 'roles'}${q ? ` matching "${q}"` : ''}${truncated ? ' (more to load)' : ''}`,
    });
    // ListRoles leaves RoleLastUsed out, as AWS's does: GetRole has it,
    // read once per role (a page loaded later keeps the earlier ones').
    each([...cells.keys()], 4, async (r) => {
      const c = cells.get(r);
      if (ctx.current && !ctx.current()) return; // the user has moved on
      if (!used.has(r.RoleName)) {
        used.set(r.RoleName, await ctx.client.iam('GetRole', { RoleName: r.RoleName })
          .then((x) => ({ text: lastUsedText(x.Role.RoleLastUsed) }), (e) => ({ text: e.code, title: e.message })));
      }
      const { text, title } = used.get(r.RoleName);
      c.replaceChildren(text);
      c.className = title ? 'error-code' : '';
      if (title) c.title = title;
    });
    return h('div', {}, t, truncated ? h('p', {}, more) : null);
  });
  await loadPage();
}

// renderRole is /roles/NAME.
async function renderRole(view, ctx) {
  const { name } = ctx.params;
  const summary = h('div', { class: 'summary' });
  const role = ctx.client.iam('GetRole', { RoleName: name }).then((r) => r.Role);
  role.catch(() => {}); // each part shows its own error
  page(view, name, summary,
    h('p', { class: 'links' },
      link(`/simulator?role=${encodeURIComponent(name)}`, 'Simulate this role\'s permissions'),
      link(`/least-privilege?role=${encodeURIComponent(name)}`, 'Least privilege')),
    tabs(ctx, [
      { id: 'permissions', title: 'Permissions', render: (el) => permissions(ctx, el, name, role) },
      { id: 'trust', title: 'Trust relationships', render: (el) => loading(el, async () => {
        const r = await role;
        const doc = decodeDocument(r.AssumeRolePolicyDocument);
        return [section('Trusted entities', h('p', {}, 'Who may assume this role, as its trust policy says.'), h('div', { class: 'trust-entities' }, table({
          columns: [
            { title: 'Effect', value: (e) => h('span', { class: `badge ${e.effect === 'Allow' ? 'allow' : 'deny'}` }, e.effect) },
            { title: 'Principal type', value: (e) => principalTypes[e.type] || e.type },
            { title: 'Principal', value: (e) => h('code', {}, e.principal) },
            { title: 'Actions', value: (e) => e.actions.join(', ') },
            { title: 'Conditions', value: (e) => (e.conditions.length ? e.conditions.map((k, i) => [i ? ', ' : '', h('code', {}, k)]) : 'None') },
          ],
          rows: trustedEntities(doc),
          empty: 'The trust policy names no principal.',
        }))), section('Trust policy', docView(prettyJSON(doc), null, { 'aria-label': 'Trust policy' }))];
      }) },
      { id: 'tags', title: 'Tags', render: (el) => loading(el, async () => section('Tags', table({
        columns: [{ title: 'Key', value: (t) => t.Key }, { title: 'Value', value: (t) => t.Value }],
        rows: await iamAll(ctx.client, 'ListRoleTags', { RoleName: name }, 'Tags'),
        empty: 'No tags.',
      }))) },
      { id: 'lastused', title: 'Last used', render: (el) => loading(el, async () => {
        const u = (await role).RoleLastUsed;
        return section('Last used', u && u.LastUsedDate
          ? kv([['Last used', formatTime(u.LastUsedDate)], ['Region', u.Region]])
          : h('p', {}, 'Not used in the tracking period.'));
      }) },
    ]));
  view.prepend(h('p', { class: 'breadcrumb' }, link('/roles', 'Roles'), ' › ', name));
  await loading(summary, async () => {
    const r = await role;
    const b = r.PermissionsBoundary?.PermissionsBoundaryArn;
    return kv([
      ['ARN', h('code', {}, r.Arn)],
      ['Path', r.Path],
      ['Description', r.Description],
      ['Created', formatTime(r.CreateDate)],
      ['Maximum session duration', r.MaxSessionDuration ? `${Number(r.MaxSessionDuration) / 3600} h` : null],
      ['Last used', lastUsedText(r.RoleLastUsed)],
      ['Permissions boundary', b ? policyLink(b) : 'Not set'],
    ]);
  });
}

// permissions renders a role's attached and inline policies and its
// permissions boundary, each part showing its own error.
async function permissions(ctx, el, name, role) {
  const attached = h('div', {});
  const inline = h('div', {});
  const boundary = h('div', {});
  el.replaceChildren(section('Attached managed policies', attached), section('Inline policies', inline), section('Permissions boundary', boundary));
  await Promise.all([
    loading(attached, async () => table({
      columns: [
        { title: 'Policy name', value: (p) => policyLink(p.PolicyArn, p.PolicyName) },
        { title: 'Type', value: (p) => h('span', { class: 'nowrap' }, policyType(p.PolicyArn)) },
      ],
      rows: await iamAll(ctx.client, 'ListAttachedRolePolicies', { RoleName: name }, 'AttachedPolicies'),
      empty: 'No managed policies are attached.',
    })),
    loading(inline, async () => {
      const names = await iamAll(ctx.client, 'ListRolePolicies', { RoleName: name }, 'PolicyNames');
      if (!names.length) return h('p', { class: 'empty' }, 'No inline policies.');
      return names.map((n) => {
        const body = h('div', {});
        loading(body, async () => {
          const res = await ctx.client.iam('GetRolePolicy', { RoleName: name, PolicyName: n });
          return docView(prettyDoc(res.PolicyDocument), null, { 'aria-label': `Inline policy ${n}` });
        });
        return h('div', { class: 'inline-policy' }, h('h3', {}, n), body);
      });
    }),
    loading(boundary, async () => {
      const b = (await role).PermissionsBoundary;
      if (!b || !b.PermissionsBoundaryArn) return h('p', { class: 'empty' }, 'No permissions boundary is set.');
      return kv([['Policy', policyLink(b.PermissionsBoundaryArn)], ['Type', b.PermissionsBoundaryType], ['ARN', h('code', {}, b.PermissionsBoundaryArn)]]);
    }),
  ]);
}

// renderNew is /roles/new.
async function renderNew(view, ctx) {
  page(view, 'Create role', tabs(ctx, [
    { id: 'lambda', title: 'Role for Lambda', render: (el) => createRoleWizard(ctx, el) },
    { id: 'default', title: 'Default role', render: (el) => defaultRoleForm(ctx, el) },
  ]));
}

// createRoleWizard is the "Create role" wizard: trusted entity (AWS
// service, Lambda use case), permissions (AWS managed and customer
// managed policies, the Lambda ones first), then name, description, tags
// and an optional permissions boundary; CreateRole, then AttachRolePolicy
// for each chosen policy, then the new role's page.
function createRoleWizard(ctx, el) {
  const chosen = new Set();
  const boxes = new Map(); // ARN → its checkboxes
  const tick = (arn, on) => {
    if (on) chosen.add(arn); else chosen.delete(arn);
    for (const b of boxes.get(arn) || []) b.checked = on;
    const names = [...chosen].map((a) => a.slice(a.lastIndexOf('/') + 1)).join(', ');
    count.textContent = `${chosen.size} ${chosen.size === 1 ? 'policy' : 'policies'} chosen${chosen.size ? `: ${names}` : ''}.`;
    review.textContent = chosen.size ? names : 'None: the role will have no permissions.';
  };
  const policyRow = (p) => {
    const id = `pol-${p.PolicyName}-${(boxes.get(p.Arn) || []).length}`;
    const box = h('input', { type: 'checkbox', id, value: p.Arn, checked: chosen.has(p.Arn), onchange: (e) => tick(p.Arn, e.target.checked) });
    if (!boxes.has(p.Arn)) boxes.set(p.Arn, []);
    boxes.get(p.Arn).push(box);
    return h('li', { class: 'check' }, box, h('label', { for: id }, p.PolicyName),
      policyLink(p.Arn, 'View', { target: '_blank', 'aria-label': `View ${p.PolicyName}` }),
      p.Description ? h('small', { class: 'hint' }, p.Description) : null);
  };
  const count = h('p', { 'aria-live': 'polite', class: 'muted' }, '0 policies chosen.');
  const review = h('span', {}, 'None: the role will have no permissions.');

  // Step 2: the Lambda policies first, then a search over every managed policy.
  const recommended = h('div', {});
  loading(recommended, async () => {
    // GetPolicy says whether each exists here; one that IAM does not know
    // (or may not be read) is still offered by name.
    const ps = await Promise.all(lambdaPolicies.map(({ arn, purpose }) => ctx.client.iam('GetPolicy', { PolicyArn: arn })
      .then((r) => r.Policy, () => ({ Arn: arn, PolicyName: arn.slice(arn.lastIndexOf('/') + 1) }))
      .then((p) => ({ ...p, Description: p.Description || purpose }))));
    return h('ul', { class: 'checklist', 'aria-label': 'Policies for Lambda features' }, ps.map(policyRow));
  });
  let everything;
  const found = h('div', { 'aria-live': 'polite' });
  const search = input({ type: 'search', name: 'policy-search', placeholder: 'Policy name, such as S3 or DynamoDB' });
  const runSearch = async () => {
    const needle = search.value.trim().toLowerCase();
    if (!needle) {
      found.replaceChildren();
      return;
    }
    await loading(found, async () => {
      everything ||= iamAll(ctx.client, 'ListPolicies', { Scope: 'All', MaxItems: 1000 }, 'Policies');
      const all = await everything.catch((e) => { everything = null; throw e; });
      const hits = all.filter((p) => p.PolicyName.toLowerCase().includes(needle)).sort((a, b) => a.PolicyName.localeCompare(b.PolicyName));
      if (!hits.length) return h('p', { class: 'empty' }, `No policies match "${search.value.trim()}".`);
      return h('div', {}, h('p', { class: 'muted' }, `${hits.length} ${hits.length === 1 ? 'policy matches' : 'policies match'}${hits.length > 25 ? '; the first 25 are shown' : ''}.`),
        h('ul', { class: 'checklist', 'aria-label': 'Matching policies' }, hits.slice(0, 25).map(policyRow)));
    }, 'Searching…');
  };

  // Step 3: name, description, tags, boundary.
  const name = input({ name: 'role-name', required: true, maxlength: 64, pattern: '[\\w+=,.@-]+', autocomplete: 'off' });
  const desc = h('textarea', { name: 'description', rows: 2, maxlength: 1000 });
  const tagRows = h('div', {});
  const addTag = () => {
    const k = input({ name: 'tag-key', maxlength: 128 });
    const v = input({ name: 'tag-value', maxlength: 256 });
    const row = h('div', { class: 'toolbar tag-row' }, field('Tag key', k), field('Tag value', v),
      button('Remove tag', () => row.remove()));
    tagRows.append(row);
    k.focus();
  };
  const useBoundary = h('input', { type: 'checkbox', id: 'use-boundary' });
  const boundary = input({ name: 'boundary', placeholder: 'arn:aws:iam::aws:policy/…', list: 'boundary-policies', disabled: true });
  const boundaryList = h('datalist', { id: 'boundary-policies' });
  useBoundary.addEventListener('change', () => {
    boundary.disabled = !useBoundary.checked;
    if (!useBoundary.checked) return;
    boundary.focus();
    // Offer the account's own policies (a boundary is usually one).
    if (!boundaryList.childElementCount) {
      iamAll(ctx.client, 'ListPolicies', { Scope: 'Local', MaxItems: 1000 }, 'Policies').then((ps) => {
        boundaryList.replaceChildren(...ps.map((p) => h('option', { value: p.Arn }, p.PolicyName)));
      }, () => {});
    }
  });

  const status = h('div', { 'aria-live': 'polite' });
  const create = async (e) => {
    e.preventDefault();
    const roleName = name.value.trim();
    const params = { RoleName: roleName, Path: '/', AssumeRolePolicyDocument: JSON.stringify(lambdaTrust) };
    if (desc.value.trim()) params.Description = desc.value.trim();
    let n = 0;
    for (const row of tagRows.querySelectorAll('.tag-row')) {
      const [k, v] = row.querySelectorAll('input');
      if (!k.value.trim()) continue;
      n++;
      params[`Tags.member.${n}.Key`] = k.value.trim();
      params[`Tags.member.${n}.Value`] = v.value;
    }
    if (useBoundary.checked && boundary.value.trim()) params.PermissionsBoundary = boundary.value.trim();
    let made = false;
    await loading(status, async () => {
      await ctx.client.iam('CreateRole', params);
      made = true;
      for (const arn of chosen) await ctx.client.iam('AttachRolePolicy', { RoleName: roleName, PolicyArn: arn });
      return h('p', {}, 'Created ', link(rolePath(roleName), roleName), '.');
    }, 'Creating the role…');
    if (status.querySelector('.error')) {
      if (made) status.append(h('p', {}, 'The role was created, but not every policy could be attached: ', link(rolePath(roleName), `open ${roleName}`), '.'));
      return;
    }
    ctx.navigate(rolePath(roleName));
  };

  el.replaceChildren(h('form', { class: 'wizard', onsubmit: create },
    h('fieldset', {}, h('legend', {}, 'Step 1: Trusted entity'),
      h('p', {}, 'Trusted entity type: ', h('strong', {}, 'AWS service'), '. Use case: ', h('strong', {}, 'Lambda'),
        ' — allows Lambda functions to call AWS services on your behalf.'),
      h('details', {}, h('summary', {}, 'Trust policy'), docView(JSON.stringify(lambdaTrust, null, 2), null, { 'aria-label': 'Trust policy' }))),
    h('fieldset', {}, h('legend', {}, 'Step 2: Add permissions'),
      h('h3', {}, 'Policies for Lambda features'), recommended,
      h('h3', {}, 'Other managed policies'),
      h('div', { class: 'toolbar' }, field('Search policies', search), button('Search', runSearch)),
      found, count),
    h('fieldset', {}, h('legend', {}, 'Step 3: Name, review and create'),
      kv([['Trusted entity', 'AWS service: lambda.amazonaws.com'], ['Permissions', review]]),
      field('Role name', name, 'Up to 64 letters, digits and +=,.@_-'),
      field('Description', desc, 'Optional.'),
      h('h3', {}, 'Tags'), tagRows, button('Add tag', addTag, { id: 'add-tag' }),
      h('div', { class: 'check' }, useBoundary, h('label', { for: 'use-boundary' }, 'Use a permissions boundary to control the role\'s maximum permissions')),
      field('Permissions boundary policy ARN', boundary), boundaryList),
    h('button', { type: 'submit', class: 'primary' }, 'Create role'),
    status));
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      runSearch();
    }
  });
}

// defaultRoleForm is "Create default role": rolecall's
// POST /v1/functions/{FunctionName}/default-role, which makes the role the
// Lambda console makes for a new function (trusting Lambda, with a policy
// letting it write the function's logs).
function defaultRoleForm(ctx, el) {
  const fn = input({ name: 'function-name', required: true, maxlength: 64, pattern: '[\\w+=,.@-]+', autocomplete: 'off', value: ctx.query.get('function') || '' });
  const out = h('div', { 'aria-live': 'polite' });
  el.replaceChildren(section('Create default role',
    h('p', {}, 'Makes a role under /service-role/ that Lambda may assume, with a customer managed policy that lets the function create its log group and write its logs — the role the Lambda console creates with "Create a new role with basic Lambda permissions".'),
    h('form', { class: 'toolbar', onsubmit: (e) => {
      e.preventDefault();
      loading(out, async () => {
        const d = await ctx.client.rolecall('POST', `/v1/functions/${enc(fn.value.trim())}/default-role`, { body: {} });
        return section('Created', kv([
          ['Role', link(rolePath(d.roleName), d.roleName)],
          ['Role ARN', h('code', {}, d.roleArn)],
          ['Policy', policyLink(d.policyArn, d.policyName)],
          ['Policy ARN', h('code', {}, d.policyArn)],
        ]), h('h3', {}, 'Policy document'), docView(prettyDoc(d.policyDocument), null, { 'aria-label': 'Policy document' }));
      }, 'Creating the role…');
    } }, field('Function name', fn), h('button', { type: 'submit', class: 'primary' }, 'Create default role')),
    out));
}

export const routes = [
  { path: '/roles', title: 'Roles', render: renderList },
  { path: '/roles/new', title: 'Create role', render: renderNew },
  { path: '/roles/:name', title: 'Role', render: renderRole },
];
