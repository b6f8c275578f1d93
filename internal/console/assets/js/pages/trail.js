// Trail: the event history (CloudTrail LookupEvents) with its lookup
// attributes and a time range, and one event with, for a denial, rolecall's
// explanation of it (GET /v1/events/{EventId}/explanation): the request
// context, the policies that applied with the decisive statements marked,
// and the fixes, which the page applies as the signed-in principal (IAM,
// S3 bucket policies, KMS key policies) after a confirmation.
import { AwsError, enc, list } from '../api.js';
import { hex, sha256 } from '../sigv4.js';
import { h, link, section, kv, table, code, loading, errorBox, button, field, input, select, formatTime, page } from '../ui.js';
import {
  ATTRIBUTES, RANGES, CATEGORIES, categoryOf, PAGE_SIZE, Pager, readFilters, filterQuery, lookupRequest, summarize, documentSegments,
  decisiveIndexes, kindLabel, policyName, verdict, queryParameters, knownFixOperation,
} from '../trailview.js';

export const routes = [
  { path: '/trail', title: 'Event history', render: renderList },
  { path: '/trail/:id', title: 'Event', render: renderEvent },
];

// renderList is /trail?attribute=&value=&range=&start=&end=.
async function renderList(view, ctx) {
  const f = readFilters(ctx.query);
  const results = h('div', { class: 'trail-results' });
  page(view, 'Event history',
    h('p', { class: 'muted' }, `The recorded calls of the account, newest first, ${PAGE_SIZE} to a page. `,
      'CloudTrail\'s event history holds management events; data events (reading an object, an item, invoking a function) are listed with "Data events". ',
      'Denied calls are marked; open one to see why it was denied and how to allow it.'),
    filterForm(f, ctx), results);
  let body;
  try {
    body = lookupRequest(f, Date.now());
  } catch (e) {
    results.replaceChildren(errorBox(new AwsError('InvalidTimeRangeException', e.message)));
    return;
  }
  const pager = new Pager();
  const show = () => loading(results, async () => {
    const req = pager.token ? { ...body, NextToken: pager.token } : body;
    const out = f.events === 'management'
      ? await ctx.client.cloudtrail('LookupEvents', req)
      : await ctx.client.rolecall('POST', '/v1/events/lookup', { body: { ...req, Category: categoryOf(f.events) } });
    return eventTable(out, pager, show);
  }, 'Looking up events…');
  await show();
}

// filterForm is the lookup attribute, its value and the time range; it
// navigates to the URL naming them, so a search can be shared.
function filterForm(f, ctx) {
  // With no value the attribute filters nothing; Event name is the one
  // offered first, so that "/", a name and Enter search by it.
  const attribute = select(ATTRIBUTES.map((a) => ({ value: a.key, label: a.label })), { value: f.attribute || 'EventName', name: 'attribute' });
  const value = input({ name: 'value', value: f.value, 'data-search': '', spellcheck: 'false', placeholder: 'e.g. GetObject' });
  const range = select(RANGES.map((r) => ({ value: r.id, label: r.label })), { value: f.range, name: 'range' });
  const events = select(CATEGORIES.map((c) => ({ value: c.id, label: c.label })), { value: f.events, name: 'events' });
  const start = input({ type: 'datetime-local', name: 'start', step: 1, value: localInput(f.start) });
  const end = input({ type: 'datetime-local', name: 'end', step: 1, value: localInput(f.end) });
  const custom = h('div', { class: 'toolbar trail-custom', hidden: f.range !== 'custom' },
    field('Start time', start), field('End time', end));
  range.addEventListener('change', () => { custom.hidden = range.value !== 'custom'; });
  const hint = () => {
    value.placeholder = { ReadOnly: 'true or false', Username: 'e.g. alice', EventSource: 'e.g. s3.amazonaws.com', EventId: 'an event ID',
      ResourceType: 'e.g. AWS::IAM::Role', ResourceName: 'e.g. my-role', AccessKeyId: 'e.g. AKIA…' }[attribute.value] || 'e.g. GetObject';
  };
  attribute.addEventListener('change', hint);
  hint();
  return h('form', {
    class: 'card trail-filters', role: 'search', 'aria-label': 'Filter events',
    onsubmit: (e) => {
      e.preventDefault();
      ctx.navigate('/trail' + filterQuery({
        attribute: attribute.value, value: value.value.trim(), range: range.value,
        start: isoOf(start.value), end: isoOf(end.value), events: events.value,
      }));
    },
  },
  h('div', { class: 'toolbar' }, field('Lookup attribute', attribute), field('Value', value), field('Time range', range), field('Events', events)),
  custom,
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, 'Search'),
    link('/trail', 'Clear filters', { class: 'button-link' })));
}

// localInput is an ISO time as a datetime-local input's value.
function localInput(iso) {
  const t = Date.parse(iso);
  if (!iso || Number.isNaN(t)) return '';
  const d = new Date(t - new Date(t).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 19);
}

// isoOf is a datetime-local input's value (local time) as ISO 8601 UTC.
function isoOf(local) {
  if (!local) return '';
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? '' : t.toISOString();
}

// eventTable is one page of events with Previous and Next.
function eventTable(out, pager, show) {
  const events = (out.Events || []).map(summarize);
  const next = out.NextToken;
  const tbl = table({
    caption: `Events, page ${pager.page}`,
    empty: pager.page > 1 ? 'No more events.' : 'No events match these filters.',
    rows: events,
    columns: [
      { title: 'Time', value: (e) => h('time', { datetime: new Date(e.time * 1000).toISOString() }, formatTime(e.time)) },
      { title: 'Event name', value: (e) => link(`/trail/${enc(e.id)}`, e.name, { class: 'event-name' }) },
      { title: 'User name', value: (e) => e.user },
      { title: 'Event source', value: (e) => e.source },
      { title: 'Resources', value: (e) => e.resources.length ? h('ul', { class: 'plain' }, e.resources.map((r) => h('li', {}, r))) : '' },
      { title: 'Error code', value: (e) => errorCell(e) },
    ],
  });
  tbl.querySelectorAll?.('tbody tr').forEach((tr, i) => {
    if (events[i].denied) tr.classList.add('denied');
  });
  const prev = button('Previous', () => { pager.previous(); show(); }, { disabled: !pager.hasPrevious, 'aria-label': 'Previous page' });
  const nextBtn = button('Next', () => { pager.next(next); show(); }, { disabled: !next, 'aria-label': 'Next page' });
  const denied = events.filter((e) => e.denied).length;
  return [
    h('p', { class: 'muted trail-count', role: 'status' }, `Page ${pager.page}: ${events.length} event${events.length === 1 ? '' : 's'}`,
      denied ? `, ${denied} denied` : ''),
    tbl,
    h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, h('span', {}, `Page ${pager.page}`), nextBtn),
  ];
}

function errorCell(e) {
  if (!e.errorCode) return '';
  if (!e.denied) return h('span', { class: 'trail-error' }, e.errorCode);
  return [h('span', { class: 'badge deny' }, 'Denied'), ' ', h('span', {}, e.errorCode), ' ',
    link(`/trail/${enc(e.id)}`, 'Explain', { class: 'explain', 'aria-label': `Why ${e.name} was denied` })];
}

// renderEvent is /trail/EVENTID.
async function renderEvent(view, ctx) {
  const id = ctx.params.id;
  page(view, 'Event', h('p', {}, link('/trail', '← Event history')));
  const body = h('div', {});
  view.append(body);
  let ev;
  await loading(body, async () => {
    // rolecall's LookupEvents finds an event of either category in one
    // call (CloudTrail's own holds management events only).
    const byId = { LookupAttributes: [{ AttributeKey: 'EventId', AttributeValue: id }], MaxResults: 1, Category: 'All' };
    const found = ((await ctx.client.rolecall('POST', '/v1/events/lookup', { body: byId })).Events || [])[0];
    if (!found) throw new AwsError('EventNotFound', `No event with ID ${id} is in the trail of this account.`);
    ev = summarize(found);
    return [];
  }, 'Looking up the event…');
  if (!ev) return;
  document.title = `${ev.name} · rolecall`;
  view.querySelector('h1').textContent = ev.name;
  body.replaceChildren(...eventDetails(ev));
  if (ev.denied) {
    const why = h('div', {});
    body.insertBefore(section('Why it was denied', why), body.children[1] || null);
    await explain(why, ctx, id);
  }
}

// eventDetails are the event's key fields and its whole record.
function eventDetails(ev) {
  const r = ev.record || {};
  const who = r.userIdentity || {};
  const denial = ev.denied ? h('div', { class: 'denial', role: 'note' },
    h('span', { class: 'badge deny' }, 'Denied'), ' ', h('strong', {}, ev.errorCode), ev.errorMessage ? ': ' + ev.errorMessage : '') : null;
  return [
    section('', denial, kv([
      ['Event time', formatTime(ev.time)],
      ['Event name', ev.name],
      ['Event source', ev.source],
      ['User name', ev.user],
      ['Identity', who.arn || who.type],
      ['Identity type', who.type],
      ['Invoked by', who.invokedBy],
      ['Access key', r.userIdentity?.accessKeyId],
      ['Source IP address', r.sourceIPAddress],
      ['User agent', r.userAgent],
      ['Region', r.awsRegion],
      ['Error code', ev.errorCode],
      ['Error message', ev.errorMessage],
      ['Read-only', r.readOnly === undefined ? '' : String(r.readOnly)],
      ['Request ID', r.requestID],
      ['Event ID', ev.id],
      ['Resources', ev.resources.length ? h('ul', { class: 'plain' }, ev.resources.map((x) => h('li', {}, x))) : ''],
    ])),
    section('Event record', code(ev.record || '(the record is not JSON)', { 'aria-label': 'CloudTrail record' })),
  ];
}

// explain shows the explanation of a denial in el; applied, when set, is
// the fix just applied ({op, kind}), told above the new explanation.
async function explain(el, ctx, id, applied) {
  await loading(el, async () => {
    const x = await ctx.client.rolecall('GET', `/v1/events/${enc(id)}/explanation`);
    return explanationView(x, ctx, (fix) => explain(el, ctx, id, fix), applied);
  }, applied ? 'Deciding the request again…' : 'Explaining the denial…');
}

// explanationView draws an explanation; reload(applied) fetches it again.
function explanationView(x, ctx, reload, applied) {
  const v = verdict(x);
  const out = [
    applied ? h('p', { class: 'ok applied', role: 'status' }, `Applied with ${applied.op.Service}:${applied.op.Action}${target(applied.op)}.`) : null,
    // The explanation decides with the identity policies of today, but
    // with the resource's policy, the session policies and the
    // organization's policies as the request carried them.
    applied && applied.kind !== 'identity' && applied.kind !== 'boundary' && x.StillDenied
      ? h('p', { class: 'muted' }, 'The explanation decides the request with the resource\'s, session\'s and organization\'s policies as they were when it was made: make the request again to see the new decision.')
      : null,
    h('p', { class: 'verdict' }, h('strong', {}, v.headline)),
    v.lines.length ? h('ul', { class: 'verdict-lines' }, v.lines.map((l) => h('li', {}, l))) : null,
  ];
  if (x.StillDenied === false) {
    out.push(h('p', { class: 'ok now-allowed', role: 'status' }, 'With the policies as they are now, this request would be allowed.'));
  } else if (x.StillDenied === true) {
    out.push(h('p', { class: 'warn still-denied' }, 'With the policies as they are now, this request would still be denied.'));
  }
  out.push(kv([['Principal', x.Principal], ['Action', x.Action], ['Resource', x.Resource]]));
  out.push(h('h3', {}, 'Request context'), table({
    columns: [{ title: 'Key', value: (c) => h('code', {}, c.Key) }, { title: 'Values', value: (c) => (c.Values || []).join(', ') }],
    rows: x.Context || [], empty: 'The request had no context keys.',
  }));
  out.push(h('h3', {}, 'Policies evaluated'));
  const policies = x.Policies || [];
  if (policies.length === 0) out.push(h('p', { class: 'empty' }, 'No policy applied to this request.'));
  for (const p of policies) out.push(policyView(x, p));
  if ((x.Fixes || []).length || x.StillDenied !== false) out.push(h('h3', {}, (x.Fixes || []).length === 1 ? 'The fix' : 'Fixes'));
  if (!(x.Fixes || []).length && x.StillDenied !== false) {
    out.push(h('p', { class: 'empty' }, x.Note || 'rolecall found no policy change that would allow this request.'));
  }
  for (const fix of x.Fixes || []) out.push(fixView(fix, ctx, x.Decision === 'ExplicitDeny', reload));
  return out;
}

// policyView is one policy of an explanation, its decisive statements marked.
function policyView(x, p) {
  const marks = decisiveIndexes(x, p);
  const segs = documentSegments(p.Document, marks);
  const label = policyName(p);
  const name = p.Arn ? link(`/policies/${enc(p.Arn)}`, label) : label;
  return h('div', { class: 'policy' + (p.Applies === false ? ' not-applied' : '') },
    h('h4', {}, kindLabel(p.Kind), label ? [': ', name] : null, p.Applies === false ? h('span', { class: 'muted' }, ' (none of its statements matches this request)') : null),
    marks.size ? h('p', { class: 'muted' }, markNote[x.Decision] || markNote.ImplicitDeny) : null,
    h('pre', { class: 'code policy-doc', tabindex: 0, 'aria-label': `${kindLabel(p.Kind)} ${label}`.trim() },
      segs.map((s) => (s.mark ? h('mark', { class: 'decisive' }, s.text) : s.text))));
}

// markNote says what a highlighted statement did, by the decision.
const markNote = {
  ExplicitDeny: 'The highlighted statement denies the request.',
  Allow: 'The highlighted statement allows the request.',
  ImplicitDeny: 'The highlighted statement allows the request, but another kind of policy has no allow for it.',
};

// fixView is one fix: the statement it adds (or, for an explicit deny,
// takes away), what else it allows, and the button that applies it after
// a confirmation. A fix without an Operation is made elsewhere (AWS
// Organizations, a new session): its description says how.
function fixView(fix, ctx, removes, reload) {
  const op = fix.Operation;
  const also = fix.AlsoAllows || {};
  const requests = also.Requests || [];
  const more = (also.Total || 0) - requests.length;
  const list = (items) => h('ul', { class: 'plain' }, items.map((a) => h('li', {}, h('code', {}, a))));
  return h('div', { class: 'fix card' },
    h('h4', {}, fix.Description || 'Allow the request'),
    kv([['Policy', kindLabel(fix.Kind) + (fix.PolicyName || fix.PolicyArn ? ': ' + (fix.PolicyName || fix.PolicyArn) : '')],
      ['Operation', op ? `${op.Service}:${op.Action}${target(op)}` : 'None: made outside this account\'s IAM']]),
    fix.Statement ? [h('h5', {}, removes ? 'Statement to remove' : 'Statement to add'), code(fix.Statement, { 'aria-label': removes ? 'Statement to remove' : 'Statement to add' })] : null,
    h('h5', {}, 'What else this change allows'),
    h('div', { class: 'also-allows' },
      requests.length ? table({
        caption: 'Other recorded requests it would allow',
        rows: requests,
        columns: [
          { title: 'Time', value: (r) => formatTime(r.EventTime) },
          { title: 'Event', value: (r) => (r.EventId ? link(`/trail/${enc(r.EventId)}`, r.EventName || r.EventId) : r.EventName) },
          { title: 'Action', value: (r) => h('code', {}, r.Action) },
          { title: 'Resource', value: (r) => r.Resource },
          { title: 'Requests', value: (r) => String(r.Count || 1) },
        ],
      }) : h('p', {}, 'No other recorded request of this principal was denied that this change would allow.'),
      more > 0 ? h('p', { class: 'muted' }, `…and ${more} more recorded request${more === 1 ? '' : 's'}.`) : null,
      kv([['Actions', (also.Actions || []).length ? list(also.Actions) : null],
        ['Resources', (also.Resources || []).length ? list(also.Resources) : null]]),
      also.Note ? h('p', { class: 'muted' }, also.Note) : null),
    fix.Document ? h('details', {}, h('summary', {}, 'The whole policy after the change'), code(fix.Document)) : null,
    op && knownFixOperation(op) ? applyControl(fix, ctx, reload)
      : op ? h('p', { class: 'muted' }, `The console does not make the call ${op.Service}:${op.Action}; make the change shown above yourself.`) : null);
}

// applyControl is the "Apply this fix" button with its confirmation: it
// makes the fix's Operation call as the signed-in principal, then reload
// shows the explanation again.
function applyControl(fix, ctx, reload) {
  const op = fix.Operation;
  const opName = `${op.Service}:${op.Action}`;
  const status = h('div', { 'aria-live': 'polite' });
  // A managed policy keeps five versions (IAM's CreatePolicyVersion answers
  // LimitExceeded past them): the version to delete first, if any.
  let prune = null;
  const apply = button('Apply this fix', async () => {
    try {
      prune = await versionToDelete(ctx.client, op);
    } catch (e) {
      status.replaceChildren(errorBox(e));
      return;
    }
    status.replaceChildren();
    question.textContent = `This calls ${opName}${target(op)} as you, changing the policy as shown above. ` +
      (prune ? `The policy has the five versions IAM keeps, so it first deletes its oldest version that is not the default, ${prune} (iam:DeletePolicyVersion). ` : '') +
      'Apply it?';
    confirmBox.hidden = false;
    confirmYes.focus();
  }, { primary: true, class: 'primary apply-fix', 'aria-expanded': 'false' });
  const confirmYes = button(`Yes, call ${opName}`, () => run(), { primary: true, class: 'primary confirm-fix' });
  const question = h('p', {});
  const confirmBox = h('div', { class: 'confirm', role: 'group', 'aria-label': 'Confirm the fix', hidden: true },
    question,
    h('div', { class: 'actions' }, confirmYes, button('Cancel', () => {
      confirmBox.hidden = true;
      apply.focus();
    })));
  async function run() {
    confirmYes.disabled = true;
    apply.disabled = true;
    status.replaceChildren(h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), `Calling ${opName}…`));
    try {
      if (prune) await ctx.client.iam('DeletePolicyVersion', { PolicyArn: op.Parameters.PolicyArn, VersionId: prune });
      prune = null;
      await perform(ctx.client, op);
      status.replaceChildren(h('p', { role: 'status' }, `Applied with ${opName}. Deciding the request again…`));
      await reload({ op, kind: fix.Kind });
    } catch (e) {
      status.replaceChildren(errorBox(e));
      confirmYes.disabled = false;
      apply.disabled = false;
    }
  }
  return [h('div', { class: 'actions' }, apply), confirmBox, status];
}

// versionToDelete is, for an iam:CreatePolicyVersion of a policy that
// already has five versions, the oldest version that is not the default
// (what must go before IAM takes a new one); otherwise null.
async function versionToDelete(client, op) {
  if (`${op.Service}:${op.Action}` !== 'iam:CreatePolicyVersion') return null;
  const res = await client.iam('ListPolicyVersions', { PolicyArn: op.Parameters.PolicyArn, MaxItems: 1000 });
  const vs = list(res.Versions);
  if (vs.length < 5) return null;
  const old = vs.filter((v) => v.IsDefaultVersion !== 'true')
    .sort((a, b) => Date.parse(a.CreateDate) - Date.parse(b.CreateDate) || Number(a.VersionId.slice(1)) - Number(b.VersionId.slice(1)));
  return old.length ? old[0].VersionId : null;
}

// target names what an operation changes, from its parameters.
function target(op) {
  const p = op.Parameters || {};
  const name = p.RoleName ? `role ${p.RoleName}` : p.UserName ? `user ${p.UserName}` : p.GroupName ? `group ${p.GroupName}`
    : p.Bucket ? `bucket ${p.Bucket}` : p.KeyId || p.PolicyArn || '';
  return name ? ` on ${name}` : '';
}

// perform makes a fix's Operation call with the signed client, refusing
// one the console does not know (knownFixOperation): IAM's query actions,
// S3's bucket policy (PutBucketPolicy, DeleteBucketPolicy, path-style) and
// KMS's PutKeyPolicy (awsJson1.1).
async function perform(client, op) {
  if (!knownFixOperation(op)) {
    throw new AwsError('UnsupportedOperation', `The console cannot make the call ${op.Service}:${op.Action}; make the change shown above yourself.`);
  }
  const p = op.Parameters;
  switch (`${op.Service}:${op.Action}`) {
    case 's3:PutBucketPolicy':
      return s3Policy(client, 'PUT', p.Bucket, p.Policy);
    case 's3:DeleteBucketPolicy':
      return s3Policy(client, 'DELETE', p.Bucket, '');
    case 'kms:PutKeyPolicy':
      return kmsCall(client, 'PutKeyPolicy', p);
  }
  return client.iam(op.Action, queryParameters(p)); // the known IAM calls
}

// s3Policy sets (PUT) or deletes (DELETE) a bucket's policy.
async function s3Policy(client, method, bucket, doc) {
  const res = await client.send('s3', method, `/${enc(bucket)}?policy=`, {
    body: doc,
    headers: { 'x-amz-content-sha256': hex(sha256(doc)), ...(doc ? { 'Content-Type': 'application/json' } : {}) },
  });
  if (res.ok) return;
  const text = await res.text();
  const x = new DOMParser().parseFromString(text, 'application/xml');
  const pick = (n) => x.getElementsByTagName(n)[0]?.textContent;
  throw new AwsError(pick('Code') || `HTTP${res.status}`, pick('Message') || text.slice(0, 200), res.status, pick('RequestId'));
}

// kmsCall makes a KMS (awsJson1.1, TrentService) call.
async function kmsCall(client, op, body) {
  const res = await client.send('kms', 'POST', '/', {
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `TrentService.${op}` },
  });
  if (res.ok) return;
  const text = await res.text();
  let e = {};
  try {
    e = JSON.parse(text);
  } catch {
    e = { message: text.slice(0, 200) };
  }
  const type = String(e.__type || `HTTP${res.status}`);
  throw new AwsError(type.slice(type.lastIndexOf('#') + 1), e.message || e.Message || '', res.status);
}
