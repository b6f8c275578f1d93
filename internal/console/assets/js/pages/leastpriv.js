// Least privilege: for a role and a time range of its recorded traffic,
// compare what it is granted with what it used (rolecall's
// GetUnusedAccess), generate a policy from the traffic (Access Analyzer's
// StartPolicyGeneration and GetGeneratedPolicy, as `rolecall policy
// generate` does), replay the traffic against the edited policy
// (rolecall's ReplayPolicy), apply it as a customer managed policy (IAM
// CreatePolicy and AttachRolePolicy), and add the permissions a Lambda
// feature needs (rolecall's AddFeaturePermissions).
//
// URL: /least-privilege?role=NAME&since=1h|24h|7d|90d (or start=ISO&end=ISO)
//      &feature=tracing|vpc|event-source|destination|kms&resourceArn=ARN

import { h, link, table, section, kv, code, loading, errorBox, button, field, input, select, formatTime, page } from '../ui.js';
import { list } from '../api.js';
import * as m from '../leastpriv-model.js';

export const routes = [{ path: '/least-privilege', title: 'Least privilege', render }];

const POLL_MS = 1000;

async function render(view, ctx) {
  const role = ctx.query.get('role') || '';
  const range = m.parseRange(ctx.query);
  page(view, 'Least privilege',
    h('p', { class: 'muted' }, 'Compare what a role is granted with what it used, generate a policy from its recorded traffic, ',
      'replay the traffic against the edited policy, and apply it as a customer managed policy.'),
    picker(ctx, role, range));
  if (!role) {
    view.append(h('p', {}, 'Choose a role and a time range.'));
    return;
  }
  if (range.error) {
    view.append(h('p', { class: 'error', role: 'alert' }, range.error));
    return;
  }
  const st = {
    role,
    range,
    account: ctx.identity.account,
    roleInfo: ctx.client.iam('GetRole', { RoleName: role }).then((r) => r.Role),
    editors: [],
  };
  st.roleInfo.catch(() => {}); // each section shows the error where it is used
  const gen = generateSection(ctx, st);
  st.alive = () => gen.isConnected; // false once another page replaced this one
  view.append(
    h('p', { class: 'lp-range' }, 'Role ', link(`/roles/${encodeURIComponent(role)}`, role), ', ', m.rangeLabel(range), '.'),
    compareSection(ctx, st),
    gen,
    featureSection(ctx, st),
  );
  const feature = ctx.query.get('feature');
  if (feature) {
    const sel = view.querySelector('#lp-feature');
    if (sel) {
      sel.scrollIntoView({ block: 'start' });
      sel.focus();
    }
  }
}

// picker is the form that chooses the role and the range; it changes the
// URL, so the page is shareable.
function picker(ctx, role, range) {
  const roleBox = h('div', { class: 'lp-role' });
  const since = select(
    [...m.PRESETS.map((p) => ({ value: p.id, label: p.label })), { value: 'custom', label: 'Custom range' }],
    { id: 'lp-since', name: 'since', value: range.preset || m.DEFAULT_SINCE },
  );
  const start = input({ type: 'datetime-local', id: 'lp-start', name: 'start' });
  const end = input({ type: 'datetime-local', id: 'lp-end', name: 'end' });
  if (range.preset === 'custom') {
    start.value = m.inputValue(range.start);
    end.value = m.inputValue(range.end);
  }
  const custom = h('div', { class: 'lp-custom' }, field('Start (UTC)', start), field('End (UTC)', end));
  const showCustom = () => { custom.hidden = since.value !== 'custom'; };
  since.addEventListener('change', showCustom);
  showCustom();
  let roleInput = null;
  const form = h('form', { class: 'toolbar lp-picker', 'aria-label': 'Role and time range' },
    roleBox,
    field('Time range', since),
    custom,
    h('button', { type: 'submit', class: 'primary', id: 'lp-show' }, 'Show'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const custom = since.value === 'custom';
    const q = m.pageQuery({
      role: roleInput ? roleInput.value.trim() : role,
      since: custom ? '' : since.value,
      start: custom ? start.value : '',
      end: custom ? end.value : '',
    });
    ctx.navigate(`/least-privilege?${q}`);
  });
  loading(roleBox, async () => {
    let roles;
    try {
      roles = await listRoles(ctx);
    } catch (err) {
      // ListRoles refused: AWS's error is shown; a name can still be typed.
      roleInput = input({ id: 'lp-role', name: 'role', value: role, autocomplete: 'off', spellcheck: 'false' });
      return [errorBox(err), field('Role name', roleInput)];
    }
    const options = roles.map((r) => ({ value: r.RoleName, label: r.RoleName }));
    if (role && !options.some((o) => o.value === role)) options.unshift({ value: role, label: role });
    options.unshift({ value: '', label: 'Choose a role' });
    roleInput = select(options, { id: 'lp-role', name: 'role', value: role });
    return field('Role', roleInput);
  }, 'Loading roles…');
  return form;
}

async function listRoles(ctx) {
  const roles = [];
  let marker = '';
  do {
    const params = { MaxItems: '1000' };
    if (marker) params.Marker = marker;
    const out = await ctx.client.iam('ListRoles', params);
    roles.push(...list(out.Roles));
    marker = out.IsTruncated === 'true' ? out.Marker : '';
  } while (marker);
  return roles.sort((a, b) => a.RoleName.localeCompare(b.RoleName));
}

// compareSection shows, side by side, what the role is granted but did
// not use and what it used but was refused.
function compareSection(ctx, st) {
  const body = h('div', {});
  loading(body, async () => {
    const r = await st.roleInfo;
    const a = await ctx.client.rolecall('POST', '/v1/unused-access', {
      body: { principalArn: r.Arn, startTime: m.epoch(st.range.start), endTime: m.epoch(st.range.end) },
    });
    const c = m.compareRows(a);
    const used = a.used ? `The role was used in the range (last use ${formatTime(a.lastUsed)}).` : 'The role was not used in the range.';
    return h('div', {},
      h('p', {}, used),
      h('div', { class: 'lp-compare' },
        h('section', { 'aria-labelledby': 'lp-unused-h' },
          h('h3', { id: 'lp-unused-h' }, 'Granted but unused'),
          c.unused.length === 0 ? h('p', { class: 'empty' }, 'Nothing granted is unused.')
            : c.unused.map((sv) => h('details', { class: 'lp-service' },
              h('summary', {}, h('strong', {}, sv.name), ` (${sv.service}): `,
                `${sv.actions.length} action${sv.actions.length === 1 ? '' : 's'} unused`,
                sv.wholeService ? ', no action of the service used' : '',
                sv.lastAccessed ? `; last used ${formatTime(sv.lastAccessed)}` : ''),
              table({
                columns: [
                  { title: 'Action', value: (x) => x.action },
                  { title: 'Granted on', value: (x) => lines(x.resources) },
                  { title: 'Last used', value: (x) => (x.lastAccessed ? formatTime(x.lastAccessed) : 'Not in the trail') },
                ],
                rows: sv.actions,
              }))),
          h('h4', {}, 'Granted on more resources than used'),
          table({
            columns: [
              { title: 'Action', value: (x) => x.action },
              { title: 'Granted on', value: (x) => lines(x.resources) },
              { title: 'Used on', value: (x) => lines(x.usedOn) },
            ],
            rows: c.broad,
            empty: 'No used action is granted on more resources than it used.',
          }),
        ),
        h('section', { 'aria-labelledby': 'lp-missing-h' },
          h('h3', { id: 'lp-missing-h' }, 'Used but missing'),
          table({
            columns: [
              { title: 'Action', value: (x) => [x.action, h('br'), h('span', { class: 'badge deny' }, x.decision)] },
              { title: 'Refused on', value: (x) => lines(x.resources) },
              { title: 'Requests', value: (x) => [String(x.count), h('br'), h('small', { class: 'muted' }, `last ${formatTime(x.lastUsed)}`)] },
              { title: 'Why', value: (x) => (x.eventId ? link(`/trail/${encodeURIComponent(x.eventId)}`, 'Explain', { 'aria-label': `Explain the refused ${x.action}` }) : '') },
            ],
            rows: c.missing,
            empty: 'No request of the role was refused in the range.',
          }),
        ),
      ),
    );
  });
  return section('Compare: granted but unused, used but missing', body);
}

// generateSection runs a policy generation as `rolecall policy generate`
// does and shows the policy in an editor with the generator's notes, then
// the replay and apply forms.
function generateSection(ctx, st) {
  const status = h('p', { role: 'status', 'aria-live': 'polite', class: 'lp-status' });
  const out = h('div', {});
  const placeholders = input({ type: 'checkbox', id: 'lp-placeholders', checked: true });
  const go = button('Generate policy', async () => {
    go.disabled = true;
    out.replaceChildren();
    try {
      const say = (text) => status.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
      const g = await generate(ctx, st, placeholders.checked, say);
      status.textContent = g.says;
      out.append(editorAndActions(ctx, st, g));
      out.querySelector('textarea')?.focus();
    } catch (err) {
      status.textContent = '';
      out.append(errorBox(err));
    } finally {
      go.disabled = false;
    }
  }, { primary: true });
  go.id = 'lp-generate';
  return section('Generate a policy from the traffic',
    h('p', {}, 'IAM Access Analyzer reads the role\'s recorded traffic of the range from the trail, as the access role ',
      h('code', {}, m.ACCESS_ROLE), ' (created when missing), and writes a policy granting what the role used.'),
    h('div', { class: 'lp-row' }, h('label', { class: 'lp-check' }, placeholders, ' Name the resources used (otherwise "*")'), go),
    status,
    out,
  );
}

// generate makes the calls of `rolecall policy generate`: DescribeTrails,
// the access role (GetRole, else CreateRole and PutRolePolicy),
// StartPolicyGeneration, then GetGeneratedPolicy every second until the
// job ends.
async function generate(ctx, st, placeholders, say) {
  const role = await st.roleInfo;
  say('Finding the trail…');
  const trails = await ctx.client.cloudtrail('DescribeTrails', {});
  const trail = (trails.trailList || [])[0];
  if (!trail) throw new Error('DescribeTrails lists no trail: rolecall records none.');
  say('Checking the access role…');
  let accessRole;
  let made = false;
  try {
    accessRole = (await ctx.client.iam('GetRole', { RoleName: m.ACCESS_ROLE })).Role.Arn;
  } catch (err) {
    if (err.code !== 'NoSuchEntity') throw err;
    const r = await ctx.client.iam('CreateRole', {
      RoleName: m.ACCESS_ROLE,
      AssumeRolePolicyDocument: m.accessRoleTrust,
      Description: 'IAM Access Analyzer\'s access role for policy generation from the trail',
    });
    await ctx.client.iam('PutRolePolicy', {
      RoleName: m.ACCESS_ROLE, PolicyName: 'AccessAnalyzerReadTrail', PolicyDocument: m.accessRolePolicy(trail.TrailARN),
    });
    accessRole = r.Role.Arn;
    made = true;
  }
  say('Starting the policy generation…');
  const started = await ctx.client.analyzer('PUT', '/policy/generation', {
    body: {
      policyGenerationDetails: { principalArn: role.Arn },
      cloudTrailDetails: {
        trails: [{ cloudTrailArn: trail.TrailARN, allRegions: true }],
        accessRole,
        startTime: st.range.start.toISOString(),
        endTime: st.range.end.toISOString(),
      },
    },
  });
  const job = started.jobId;
  const t0 = Date.now();
  for (;;) {
    const got = await ctx.client.analyzer('GET', `/policy/generation/${encodeURIComponent(job)}`,
      { query: { includeResourcePlaceholders: String(placeholders) } });
    const g = m.generated(got);
    if (g.done) {
      if (g.error) {
        // Shown as AWS's errors are: the job's error code, then its reason.
        const err = new Error(`Policy generation ${job}: ${g.errorMessage || g.error}`);
        err.code = g.errorCode || 'CANCELED';
        throw err;
      }
      g.job = job;
      g.says = `Policy generation ${job} succeeded in ${Math.round((Date.now() - t0) / 1000)} s.` +
        (made ? ` Created the access role ${m.ACCESS_ROLE} (trusts access-analyzer.amazonaws.com, may call cloudtrail:GetTrail).` : '');
      return g;
    }
    say(`Generating the policy (job ${job}, ${g.status}, ${Math.round((Date.now() - t0) / 1000)} s)…`);
    if (!st.alive()) throw new Error(`The page was left while policy generation ${job} ran.`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

// editorAndActions shows the generated policies as editable JSON, the
// notes, and the replay and apply forms.
function editorAndActions(ctx, st, g) {
  const box = h('div', { class: 'lp-generated' });
  st.editors = [];
  if (g.policies.length === 0) {
    box.append(h('p', {}, 'No allowed call of the role was recorded in the range: the policy grants nothing.'));
    g.policies = [m.pretty('{"Version":"2012-10-17","Statement":[]}')];
  }
  g.policies.forEach((p, i) => {
    const id = `lp-policy-${i + 1}`;
    const ta = h('textarea', { id, class: 'lp-editor', rows: String(Math.min(30, p.split('\n').length + 1)), spellcheck: 'false', autocapitalize: 'off' });
    ta.value = p;
    st.editors.push(ta);
    const title = g.policies.length > 1 ? `Policy document ${i + 1} of ${g.policies.length}` : 'Policy document';
    box.append(h('label', { for: id, class: 'lp-label' }, title), ta);
  });
  // A name holding a literal * or ? is written with IAM's escapes, which
  // read like a mistake to anyone who has not met them.
  const escapes = g.policies.some((p) => /\$\{[*?$]\}/.test(p));
  box.append(
    escapes ? h('p', { class: 'muted lp-escapes' }, 'In a resource, ', h('code', {}, '${*}'), ', ', h('code', {}, '${?}'), ' and ',
      h('code', {}, '${$}'), ' stand for a literal *, ? and $ of the name (IAM\'s escapes), so the statement grants that one resource, not every name the wildcard would match.') : null,
    h('h3', {}, 'Notes'),
    g.notes.length === 0 ? h('p', {}, 'The generator made no note.')
      : h('ul', { class: 'lp-notes' }, g.notes.map((n) => h('li', {}, h('span', { class: 'lp-kind' }, n.kind), ' ', n.message))),
    replayAndApply(ctx, st),
  );
  return box;
}

// documents reads the editors; it throws a readable error for one that is
// not a policy.
function documents(st) {
  return st.editors.map((ta, i) => {
    const r = m.readDocument(ta.value);
    if (r.error) {
      ta.focus();
      throw new Error(st.editors.length > 1 ? `Policy document ${i + 1}: ${r.error}` : r.error);
    }
    return r.doc;
  });
}

// replayAndApply is the form naming the new policy and the role's
// policies it replaces, with the replay and apply buttons.
function replayAndApply(ctx, st) {
  const name = input({ id: 'lp-name', value: m.defaultPolicyName(st.role), autocomplete: 'off', spellcheck: 'false' });
  const currentList = h('div', {});
  const current = h('fieldset', { class: 'lp-current' },
    h('legend', {}, 'Policies of the role the new one replaces (ticked: removed in the replay and when applying)'), currentList);
  const removals = [];
  // The role's policies, read again after an apply changed them.
  st.refreshCurrent = () => loading(currentList, async () => {
    removals.length = 0;
    const [attached, inline] = await Promise.all([
      ctx.client.iam('ListAttachedRolePolicies', { RoleName: st.role, MaxItems: '1000' }),
      ctx.client.iam('ListRolePolicies', { RoleName: st.role, MaxItems: '1000' }),
    ]);
    const items = [
      ...list(attached.AttachedPolicies).map((p) => ({ type: 'MANAGED', arn: p.PolicyArn, text: `${p.PolicyName} (managed, ${p.PolicyArn})` })),
      ...list(inline.PolicyNames).map((n) => ({ type: 'INLINE', name: n, text: `${n} (inline)` })),
    ];
    // A policy applied before keeps its name: offer the next free one.
    const taken = new Set(list(attached.AttachedPolicies).map((p) => p.PolicyName));
    for (let i = 2; taken.has(name.value.trim()) && i < 100; i++) name.value = `${m.defaultPolicyName(st.role)}-${i}`;
    if (items.length === 0) return h('p', {}, 'The role has no identity policy.');
    return h('div', {}, items.map((it, i) => {
      const box = input({ type: 'checkbox', id: `lp-remove-${i}`, value: it.arn || it.name });
      removals.push({ box, it });
      return h('div', { class: 'lp-check' }, box, h('label', { for: box.id }, ' ', it.text));
    }));
  });
  st.refreshCurrent();
  const result = h('div', { class: 'lp-result' });
  const plan = () => {
    const docs = documents(st);
    const n = name.value.trim();
    if (!m.POLICY_NAME.test(n)) {
      name.focus();
      throw new Error('The policy name must be 1 to 128 letters, digits and +=,.@_-.');
    }
    const names = m.policyNames(n, docs.length);
    const clash = removals.find((r) => r.it.type === 'MANAGED' && names.some((x) => r.it.arn === m.policyArn(st.account, x)));
    if (clash) {
      name.focus();
      throw new Error(`The role already has a policy named ${clash.it.arn.split('/').pop()}: give the new policy another name.`);
    }
    const remove = removals.filter((r) => r.box.checked).map((r) => r.it);
    return { docs, names, remove };
  };
  const replayBtn = button('Replay traffic', async () => {
    result.replaceChildren();
    let p;
    try {
      p = plan();
    } catch (err) {
      result.append(errorBox(err));
      return;
    }
    replayBtn.disabled = true;
    await loading(result, () => replay(ctx, st, p));
    replayBtn.disabled = false;
  });
  replayBtn.id = 'lp-replay';
  const applyBtn = button('Apply…', () => {
    result.replaceChildren();
    let p;
    try {
      p = plan();
    } catch (err) {
      result.append(errorBox(err));
      return;
    }
    result.append(confirmApply(ctx, st, p, result));
    result.querySelector('#lp-confirm')?.focus();
  }, { primary: true });
  applyBtn.id = 'lp-apply';
  return h('div', { class: 'lp-actions' },
    h('h3', {}, 'Replay and apply'),
    field('Policy name', name),
    current,
    h('div', { class: 'lp-row' }, replayBtn, applyBtn),
    result,
  );
}

// replay asks ReplayPolicy what the role's recorded requests of the range
// would be answered under the change and shows the counts and the
// requests whose decision changes.
async function replay(ctx, st, p) {
  const role = await st.roleInfo;
  const r = await ctx.client.rolecall('POST', '/v1/replay', {
    body: {
      principalArn: role.Arn,
      startTime: m.epoch(st.range.start),
      endTime: m.epoch(st.range.end),
      changes: m.replayChanges({ account: st.account, names: p.names, docs: p.docs, remove: p.remove }),
    },
  });
  const c = m.replayCounts(r);
  const rows = m.changedRequests(r);
  return h('div', { class: 'lp-replay' },
    h('h4', {}, 'Replay'),
    kv([
      ['Requests replayed', String(c.evaluated)],
      ['Same decision', String(c.same)],
      ['Newly denied', String(c.newlyDenied)],
      ['Newly allowed', String(c.newlyAllowed)],
      ['Drifted (decided otherwise already today)', String(c.drifted)],
      ['Not replayed (no replay record)', String(c.notReplayed)],
    ]),
    table({
      columns: [
        { title: 'Change', value: (x) => x.change },
        { title: 'Action', value: (x) => x.action },
        { title: 'Resource', value: (x) => lines([x.resource]) },
        { title: 'Requests', value: (x) => String(x.count) },
        { title: 'Decision', value: (x) => `${x.recorded} → ${x.proposed}` },
        { title: 'Why', value: (x) => h('div', {}, x.reason, x.statements.length ? h('div', { class: 'lp-stmts' }, x.statements.join('; ')) : null) },
        { title: 'Event', value: (x) => (x.eventId ? link(`/trail/${encodeURIComponent(x.eventId)}`, 'Explain') : '') },
      ],
      rows,
      empty: 'No recorded request would be decided differently.',
    }),
  );
}

// confirmApply lists the IAM calls applying makes and runs them when
// confirmed.
function confirmApply(ctx, st, p, result) {
  const desc = `Generated from ${st.role}'s recorded traffic: ${m.rangeLabel(st.range)}`.slice(0, 1000);
  const steps = m.applySteps({ role: st.role, account: st.account, names: p.names, docs: p.docs, remove: p.remove, description: desc });
  const ok = button('Confirm and apply', async () => {
    ok.disabled = true;
    cancel.disabled = true;
    await loading(result, () => apply(ctx, st, steps));
    st.refreshCurrent();
  }, { primary: true });
  ok.id = 'lp-confirm';
  const cancel = button('Cancel', () => result.replaceChildren());
  return h('div', { class: 'lp-confirm', role: 'group', 'aria-labelledby': 'lp-confirm-h' },
    h('h4', { id: 'lp-confirm-h' }, `Apply to the role ${st.role}?`),
    h('ol', {}, steps.map((s) => h('li', {}, s.says))),
    h('div', { class: 'lp-row' }, ok, cancel),
  );
}

// apply makes the calls in order (runSteps). When IAM refuses one, the
// steps made are reversed, so that nothing is left half-done: AWS's error
// is shown, with any change a failed reversal left in place.
async function apply(ctx, st, steps) {
  const r = await m.runSteps(steps, (action, params) => ctx.client.iam(action, params));
  const made = r.done.filter((s) => s.action === 'CreatePolicy').map((s) => ({ arn: s.arn, name: s.params.PolicyName }));
  if (!r.error) return applied(st, r.done, made, 'Applied');
  return h('div', {}, errorBox(r.error),
    r.stuck.length === 0
      ? h('p', { class: 'lp-rolled-back', role: 'status' }, r.undone.length ? 'Nothing was changed: the steps made before the error were reversed.' : 'Nothing was changed.')
      : h('div', {},
        applied(st, r.done, made, 'Left in place: reversing these steps failed'),
        r.stuck.map((x) => errorBox(x.error))));
}

function applied(st, done, made, title) {
  return h('div', { class: 'lp-applied', role: 'status' },
    h('h4', {}, title),
    h('ul', {}, done.map((s) => h('li', {}, s.says))),
    h('p', {}, 'See ',
      made.map((p) => [link(`/policies/${encodeURIComponent(p.arn)}`, p.name), ', ']),
      'the role ', link(`/roles/${encodeURIComponent(st.role)}`, st.role), '.'),
  );
}

// featureSection adds the permissions a Lambda feature needs to the
// role's feature policy, showing first what it will add.
function featureSection(ctx, st) {
  const given = ctx.query.get('feature');
  const feature = select(m.FEATURES.map((f) => ({ value: f.id, label: f.label })),
    { id: 'lp-feature', name: 'feature', value: m.FEATURES.some((f) => f.id === given) ? given : 'tracing' });
  const arn = input({ id: 'lp-feature-arn', name: 'resourceArn', value: ctx.query.get('resourceArn') || '', autocomplete: 'off', spellcheck: 'false',
    placeholder: `arn:aws:sqs:${ctx.region}:${st.account}:queue-name` });
  const arnLabel = h('span', {});
  const arnField = field(arnLabel, arn);
  const preview = h('div', { class: 'lp-preview' });
  const result = h('div', {});
  let seq = 0;
  const update = () => {
    const f = m.FEATURES.find((x) => x.id === feature.value);
    arnField.hidden = !f.arn;
    arnLabel.textContent = f.arn || 'Resource ARN';
    const mine = ++seq;
    if (f.arn && !arn.value.trim()) {
      preview.replaceChildren(h('p', {}, `Give ${f.arn.toLowerCase()} to see the permissions.`));
      return;
    }
    const query = f.arn ? { resourceArn: arn.value.trim() } : {};
    loading(preview, async () => {
      const p = await ctx.client.rolecall('GET', `/v1/feature-permissions/${encodeURIComponent(f.id)}`, { query });
      if (mine !== seq) return h('span', {});
      return h('div', {}, h('p', {}, 'The role\'s feature policy will grant:'), code(p.statement));
    });
  };
  feature.addEventListener('change', update);
  arn.addEventListener('change', update);
  const add = button('Add permissions', async () => {
    const f = m.FEATURES.find((x) => x.id === feature.value);
    const body = { feature: f.id };
    if (f.arn) body.resourceArn = arn.value.trim();
    add.disabled = true;
    await loading(result, async () => {
      const r = await ctx.client.rolecall('POST', `/v1/roles/${encodeURIComponent(st.role)}/feature-permissions`, { body });
      return h('div', { role: 'status' },
        h('p', {}, r.changed ? `Added the permissions to ${r.policyArn} (version ${r.versionId}).`
          : `The policy already granted them: nothing changed (version ${r.versionId}).`),
        kv([
          ['Policy', link(`/policies/${encodeURIComponent(r.policyArn)}`, r.policyArn)],
          ['Attached to', link(`/roles/${encodeURIComponent(r.roleName)}`, r.roleName)],
        ]),
        code(JSON.parse(r.policyDocument)),
      );
    });
    add.disabled = false;
  }, { primary: true });
  add.id = 'lp-feature-add';
  update();
  return section('Add the missing permissions for a feature',
    h('p', {}, 'When a function of this role turns on tracing, a VPC, an event source, a destination or a customer managed key, ',
      'its role needs permissions. They are kept in one customer managed policy per role, attached to it.'),
    field('Feature', feature),
    arnField,
    preview,
    add,
    result,
  );
}

function lines(xs) {
  return h('span', { class: 'lp-arns' }, xs.map((x, i) => [i ? h('br') : null, x]));
}
