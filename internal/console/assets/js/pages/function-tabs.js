// The Permissions, Test and Monitor tabs of a function's page.

import { h, link, table, section, kv, loading, button, field, input, select, formatTime, errorBox } from '../ui.js';
import { list } from '../api.js';
import {
  parseReport, decodeLogResult, roleName, eventsKey, loadEvents, saveEvent, deleteEvent, checkEvent,
  metricQueries, series, chartGeometry, fnPath, functionRef,
} from '../lambdafmt.js';

const enc = encodeURIComponent;

// permissionsTab shows the execution role and its policies, the Resource
// summary (rolecall's GET /v1/functions/NAME/resource-summary: the
// services the role reaches, and for the service chosen in the drop-down
// its actions and resources), and the function's resource-based policy
// (GetPolicy).
export async function permissionsTab(el, ctx, name) {
  const summary = h('div', {});
  const resource = h('div', {});
  el.replaceChildren(summary, resource);
  await Promise.all([
    loading(summary, () => resourceSummary(ctx, name)),
    loading(resource, () => resourcePolicy(ctx, name)),
  ]);
}

async function resourceSummary(ctx, name) {
  // rolecall's summary takes the function without a qualifier.
  const path = `/v1/functions/${enc(functionRef(name).unqualified)}/resource-summary`;
  let s;
  try {
    s = await ctx.client.rolecall('GET', path);
  } catch (err) {
    return summaryRefused(ctx, name, err);
  }
  const policyLink = (p) => (p.policyType === 'INLINE'
    ? link(`/roles/${enc(s.roleName)}?tab=permissions`, p.policyName)
    : link(`/policies/${enc(p.policyArn)}`, roleName(p.policyArn)));
  const services = list(s.services);
  const detail = h('div', { class: 'service-detail', 'aria-live': 'polite' });
  const choose = select(
    [{ value: '', label: 'Choose a service' }, ...services.map((sv) => ({ value: sv.service, label: `${sv.name} (${sv.service})` }))],
    { id: 'summary-service' },
  );
  const show = (service) => {
    const q = new URLSearchParams(location.search);
    if (service) q.set('service', service); else q.delete('service');
    history.replaceState(history.state, '', `${location.pathname}?${q}`);
    if (!service) {
      detail.replaceChildren();
      return Promise.resolve();
    }
    return loading(detail, () => serviceDetail(ctx, path, service));
  };
  choose.addEventListener('change', () => show(choose.value));
  const wanted = ctx.query.get('service') || '';
  if (services.some((sv) => sv.service === wanted)) {
    choose.value = wanted;
    show(wanted);
  }
  return h('div', {},
    section('Execution role', kv([
      ['Role name', link(`/roles/${enc(s.roleName)}`, s.roleName)],
      ['Role ARN', s.roleArn],
      ['Policies', list(s.policies).length
        ? h('ul', { class: 'plain' }, list(s.policies).map((p) => h('li', {}, policyLink(p), ` (${p.policyType.toLowerCase()})`)))
        : 'No policies'],
    ])),
    section('Resource summary',
      h('p', {}, 'The services and resources that the function can access. Choose a service to see the permissions related to it.'),
      table({
        columns: [
          { title: 'Service', value: (sv) => `${sv.name} (${sv.service})` },
          { title: 'Actions', value: (sv) => String(sv.actionCount) },
          { title: 'Access levels', value: (sv) => Object.entries(sv.accessLevels || {}).map(([k, v]) => `${k}: ${v}`).join(', ') },
          { title: 'Resources', value: (sv) => String(sv.resourceCount) },
        ],
        rows: services,
        empty: 'The role lets the function reach no service.',
      }),
      field('Service', choose),
      detail),
  );
}

// summaryRefused shows the execution role the configuration names (a role
// since deleted, say) above the summary's error; when the configuration
// cannot be read either, the summary's error alone.
async function summaryRefused(ctx, name, err) {
  let c;
  try {
    c = await ctx.client.lambda('GET', fnPath(name, '/configuration'));
  } catch {
    throw err;
  }
  const role = roleName(c.Role);
  return h('div', {},
    section('Execution role', kv([
      ['Role name', role ? link(`/roles/${enc(role)}`, role) : '-'],
      ['Role ARN', c.Role || '-'],
    ])),
    section('Resource summary', errorBox(err)));
}

// serviceDetail shows one service of the summary: its actions with their
// resources and the statements that allow them, and its resources with
// their actions.
async function serviceDetail(ctx, path, service) {
  const out = await ctx.client.rolecall('GET', path, { query: { service } });
  const sv = list(out.services)[0];
  if (!sv) return h('p', {}, `The role lets the function reach nothing in ${service}.`);
  const statement = (st) => `${st.policy || st.source}${st.sid ? ` (${st.sid})` : st.index == null ? '' : `, statement ${Number(st.index) + 1}`}`;
  return h('div', {},
    h('h3', {}, `${sv.name}: by action`),
    table({
      columns: [
        { title: 'Action', value: (a) => h('code', { class: 'whole' }, a.action) },
        { title: 'Access level', value: (a) => a.accessLevel },
        { title: 'Resources', value: (a) => h('ul', { class: 'plain' }, list(a.resources).map((r) => h('li', {}, h('code', {}, r))),
          list(a.deniedResources).map((r) => h('li', { class: 'denied' }, 'except ', h('code', {}, r)))) },
        { title: 'Conditions', value: (a) => (a.conditional ? 'Yes' : 'None') },
        { title: 'Allowed by', value: (a) => list(a.statements).map(statement).join(', ') },
      ],
      rows: list(sv.byAction),
    }),
    h('h3', {}, `${sv.name}: by resource`),
    table({
      columns: [
        { title: 'Resource', value: (r) => h('code', {}, r.resource) },
        { title: 'Actions', value: (r) => list(r.actions).map((a) => a.action).join(', ') },
      ],
      rows: list(sv.byResource),
    }),
  );
}

// resourcePolicy shows GetPolicy's statements; Lambda answers
// ResourceNotFoundException for a function without one.
async function resourcePolicy(ctx, name) {
  let doc;
  try {
    const out = await ctx.client.lambda('GET', fnPath(name, '/policy'));
    doc = JSON.parse(out.Policy);
  } catch (e) {
    if (e.code === 'ResourceNotFoundException') {
      return section('Resource-based policy statements', h('p', {}, 'No resource-based policy: only the account can invoke the function.'));
    }
    throw e;
  }
  const json = (v) => (v === undefined ? '-' : h('code', {}, typeof v === 'string' ? v : JSON.stringify(v)));
  return section('Resource-based policy statements', table({
    columns: [
      { title: 'Statement ID', value: (s) => s.Sid || '-' },
      { title: 'Principal', value: (s) => json(s.Principal) },
      { title: 'Effect', value: (s) => s.Effect },
      { title: 'Action', value: (s) => h('span', { class: 'whole' }, json(s.Action)) },
      { title: 'Conditions', value: (s) => json(s.Condition) },
    ],
    rows: list(doc.Statement),
    empty: 'No statements',
  }));
}

const templateEvent = '{\n  "key1": "value1",\n  "key2": "value2",\n  "key3": "value3"\n}';

// testTab edits a test event, saves named events in localStorage (key
// rolecall:events:ACCOUNT:FUNCTION) and invokes the function with
// LogType Tail, showing the status, the REPORT figures, the payload, the
// function error and the log tail. The events are the function's, whichever
// way the path names it (name, qualified name or ARN), and its account's.
export async function testTab(el, ctx, name) {
  const ref = functionRef(name);
  const key = eventsKey(ref.account || ctx.identity.account, ref.name);
  const store = window.localStorage;
  const saved = select([], { id: 'saved-event' });
  const eventName = input({ id: 'event-name', value: 'test', autocomplete: 'off', maxlength: '25' });
  const text = h('textarea', { id: 'event-json', rows: '12', spellcheck: 'false', class: 'code-input' });
  text.value = templateEvent;
  const note = h('p', { class: 'note', role: 'status' });
  const result = h('div', { class: 'test-result', 'aria-live': 'polite' });

  const fill = (selected) => {
    const events = loadEvents(store, key);
    saved.replaceChildren(
      h('option', { value: '' }, 'New event'),
      ...Object.keys(events).sort().map((n) => h('option', { value: n }, n)),
    );
    saved.value = selected in events ? selected : '';
    del.disabled = !saved.value;
  };
  saved.addEventListener('change', () => {
    const u = new URL(location.href);
    if (saved.value) u.searchParams.set('event', saved.value); else u.searchParams.delete('event');
    history.replaceState(history.state, '', u);
    const events = loadEvents(store, key);
    if (saved.value) {
      eventName.value = saved.value;
      text.value = events[saved.value];
    }
    del.disabled = !saved.value;
    note.textContent = '';
  });
  const save = () => {
    try {
      saveEvent(store, key, eventName.value.trim(), text.value);
      fill(eventName.value.trim());
      note.textContent = `The test event ${eventName.value.trim()} was saved.`;
    } catch (e) {
      note.textContent = e.message;
    }
  };
  const del = button('Delete', () => {
    const n = saved.value;
    deleteEvent(store, key, n);
    fill('');
    note.textContent = `The test event ${n} was deleted.`;
  });
  const format = () => {
    try {
      text.value = JSON.stringify(JSON.parse(text.value), null, 2);
      note.textContent = '';
    } catch (e) {
      note.textContent = `There is an error in your JSON event. Correct it and try again. (${e.message})`;
    }
  };
  const run = async () => {
    try {
      checkEvent(text.value);
    } catch (e) {
      note.textContent = e.message;
      return;
    }
    note.textContent = '';
    testButton.disabled = true;
    try {
      await loading(result, () => invoke(ctx, name, text.value), 'Executing function…');
    } finally {
      testButton.disabled = false;
    }
  };
  const testButton = button('Test', run, { primary: true });
  testButton.classList.add('test-invoke');
  const saveButton = button('Save', save);
  saveButton.classList.add('save-event');
  fill(ctx.query.get('event') || '');
  if (saved.value) {
    eventName.value = saved.value;
    text.value = loadEvents(store, key)[saved.value];
  }

  el.replaceChildren(section('Test event',
    h('p', {}, 'Invoke the function with a JSON event and see its result, its log and its REPORT line. Saved events stay in this browser.'),
    h('div', { class: 'form-row' }, field('Saved event', saved), field('Event name', eventName)),
    field('Event JSON', text),
    h('div', { class: 'actions' }, testButton, saveButton, button('Format JSON', format), del),
    note,
  ), result);
}

// invoke calls Invoke (RequestResponse, LogType Tail) and shows what the
// Lambda console shows after a test.
async function invoke(ctx, name, payload) {
  const resp = await ctx.client.lambda('POST', fnPath(name, '/invocations'), {
    body: payload,
    headers: { 'X-Amz-Invocation-Type': 'RequestResponse', 'X-Amz-Log-Type': 'Tail' },
    raw: true,
  });
  const body = await resp.text();
  const fnError = resp.headers.get('X-Amz-Function-Error');
  const logs = decodeLogResult(resp.headers.get('X-Amz-Log-Result'));
  const report = parseReport(logs);
  let pretty = body;
  try {
    pretty = JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    // The payload is not JSON: shown as it is.
  }
  const ms = (v) => (v == null ? '-' : `${v} ms`);
  const mb = (v) => (v == null ? '-' : `${v} MB`);
  return h('div', {},
    h('div', { class: fnError ? 'test-status failed' : 'test-status succeeded', role: 'status' },
      h('h2', {}, fnError ? 'Executing function: failed' : 'Executing function: succeeded'),
      h('p', {}, `Status code ${resp.status}`, fnError ? ` · Function error: ${fnError}` : '',
        ` · Executed version ${resp.headers.get('X-Amz-Executed-Version') || '-'}`)),
    report
      ? section('Summary', h('div', { class: 'report' }, kv([
        ['Request ID', h('code', {}, report.requestId)],
        ['Duration', ms(report.duration)],
        ['Billed duration', ms(report.billedDuration)],
        ['Resources configured', mb(report.memorySize)],
        ['Max memory used', mb(report.maxMemoryUsed)],
        ['Init duration', ms(report.initDuration)],
      ]), h('pre', { class: 'report-line' }, report.line)))
      : null,
    section(fnError ? 'Error' : 'Response', h('pre', { class: 'payload' }, pretty || '(empty)')),
    section('Log output', h('p', { class: 'note' }, 'The last 4 KB of the invocation\'s log.'), h('pre', { class: 'log-tail' }, logs || '(no log)')),
  );
}

const svgNS = 'http://www.w3.org/2000/svg';

// svg builds an SVG element (ui.js's h makes HTML ones).
function svg(tag, attrs, ...children) {
  const el = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children.flat(Infinity)) if (c != null) el.append(c);
  return el;
}

const hours = 3;
const period = 300;

// monitorTab shows the function's AWS/Lambda metrics over the last three
// hours at five-minute periods (CloudWatch GetMetricData) as figures and
// charts, and its recent invocations from the REPORT lines of its log
// group (CloudWatch Logs FilterLogEvents).
export async function monitorTab(el, ctx, name) {
  const end = new Date();
  const start = new Date(end.getTime() - hours * 3600 * 1000);
  const metrics = h('div', {});
  const recent = h('div', {});
  // The function's log group: its LoggingConfig's, else Lambda's default
  // (also for a caller who may not read the configuration).
  const ref = functionRef(name);
  let group = `/aws/lambda/${ref.name}`;
  try {
    const c = await ctx.client.lambda('GET', fnPath(name, '/configuration'));
    if (c.LoggingConfig && c.LoggingConfig.LogGroup) group = c.LoggingConfig.LogGroup;
  } catch {
    // Lambda's default group is the one to look in.
  }
  el.replaceChildren(
    h('p', { class: 'note' }, `Last ${hours} hours, ${period / 60}-minute periods. Log group `, h('code', {}, group), ': ',
      link(`/trail?attribute=ResourceName&value=${enc(ref.name)}&range=24h`, 'events of this function in the trail'), '.'),
    metrics, recent);
  await Promise.all([
    loading(metrics, () => metricsView(ctx, ref, start, end)),
    loading(recent, () => recentInvocations(ctx, group, start)),
  ]);
}

// metricsView shows the metrics of the function, or with a qualifier those
// of that version or alias (dimension Resource), as the Lambda console does.
async function metricsView(ctx, ref, start, end) {
  const out = await ctx.client.cloudwatch('GetMetricData', metricQueries(ref.name, start, end, period, ref.qualifier));
  const byId = {};
  for (const r of list(out.MetricDataResults)) byId[r.Id] = r;
  const get = (id, fill) => series(list(byId[id] && byId[id].Timestamps), list(byId[id] && byId[id].Values), start, end, period, fill);
  const inv = get('inv', 0);
  const err = get('err', 0);
  const thr = get('thr', 0);
  const davg = get('davg', null);
  const dmax = get('dmax', null);
  const sum = (s) => s.reduce((a, p) => a + (p.v || 0), 0);
  const total = sum(inv);
  // The window's average duration: the periods' averages weighted by
  // their invocations.
  const weighted = davg.map((p, i) => [p.v, inv[i].v]).filter(([v, n]) => v != null && n > 0);
  const count = weighted.reduce((a, [, n]) => a + n, 0);
  const avg = count ? weighted.reduce((a, [v, n]) => a + v * n, 0) / count : null;
  const max = Math.max(...dmax.map((p) => (p.v == null ? -Infinity : p.v)));
  const figures = h('div', { class: 'figures' },
    figure('Invocations', String(total)),
    figure('Errors', String(sum(err))),
    figure('Success rate', total ? `${(Math.round((1 - sum(err) / total) * 1000) / 10)}%` : '-'),
    figure('Throttles', String(sum(thr))),
    figure('Duration (average)', avg == null ? '-' : `${avg.toFixed(2)} ms`),
    figure('Duration (maximum)', max === -Infinity ? '-' : `${max.toFixed(2)} ms`));
  if (total === 0 && sum(thr) === 0) {
    return section('Metrics', figures, h('p', { class: 'empty' }, `No invocations in the last ${hours} hours. Invoke the function (Test tab) to see its metrics here.`));
  }
  return section('Metrics', figures, h('div', { class: 'charts' },
    chart('Invocations and errors', [{ label: 'Invocations', cls: 'line-1', points: inv }, { label: 'Errors', cls: 'line-2', points: err }], start, end),
    chart('Duration (ms)', [{ label: 'Average', cls: 'line-1', points: davg }, { label: 'Maximum', cls: 'line-3', points: dmax }], start, end)));
}

function figure(label, value) {
  return h('div', { class: 'figure' }, h('div', { class: 'figure-label' }, label), h('div', { class: 'figure-value' }, value));
}

// chart draws series as lines on one SVG with a y axis, the window's
// times on the x axis and a legend.
function chart(title, drawn, start, end) {
  const w = 640;
  const ht = 200;
  const pad = 34;
  const g = chartGeometry(drawn.map((s) => s.points), w, ht, pad);
  const hhmm = (d) => `${d.toISOString().slice(11, 16)}`;
  const mid = new Date((start.getTime() + end.getTime()) / 2);
  const lines = drawn.flatMap((s, i) => g.lines[i].map((pts) => svg('polyline', { points: pts, class: `chart-line ${s.cls}`, fill: 'none' })));
  const dots = drawn.flatMap((s, i) => g.lines[i].filter((pts) => !pts.includes(' ')).map((pt) => {
    const [x, y] = pt.split(',');
    return svg('circle', { cx: x, cy: y, r: 2.5, class: `chart-dot ${s.cls}` });
  }));
  const label = `${title}: ${drawn.map((s) => `${s.label} up to ${Math.max(0, ...s.points.map((p) => p.v || 0))}`).join(', ')}`;
  return h('figure', { class: 'chart' },
    h('figcaption', {}, title, ' ', h('span', { class: 'legend' }, drawn.map((s) => h('span', { class: `key ${s.cls}` }, s.label)))),
    svg('svg', { viewBox: `0 0 ${w} ${ht}`, role: 'img', 'aria-label': label, class: 'chart-svg' },
      svg('title', {}, label),
      g.ticks.map((t) => [
        svg('line', { x1: pad, x2: w - pad, y1: t.y, y2: t.y, class: 'chart-grid' }),
        svg('text', { x: pad - 4, y: t.y + 4, 'text-anchor': 'end', class: 'chart-label' }, t.label),
      ]),
      svg('text', { x: pad, y: ht - 8, class: 'chart-label' }, hhmm(start)),
      svg('text', { x: w / 2, y: ht - 8, 'text-anchor': 'middle', class: 'chart-label' }, hhmm(mid)),
      svg('text', { x: w - pad, y: ht - 8, 'text-anchor': 'end', class: 'chart-label' }, `${hhmm(end)} UTC`),
      lines, dots));
}

// recentInvocations lists the latest REPORT lines of the log group since
// start, newest first (at most 20, reading at most 5 pages).
async function recentInvocations(ctx, group, start) {
  const found = [];
  let token;
  try {
    for (let i = 0; i < 5; i++) {
      const body = { logGroupName: group, startTime: start.getTime(), filterPattern: '"REPORT RequestId"' };
      if (token) body.nextToken = token;
      const out = await ctx.client.logs('FilterLogEvents', body);
      for (const e of list(out.events)) {
        const r = parseReport(e.message);
        if (r) found.push({ ...r, timestamp: e.timestamp, stream: e.logStreamName });
      }
      token = out.nextToken;
      if (!token) break;
    }
  } catch (e) {
    if (e.code !== 'ResourceNotFoundException') throw e;
  }
  const rows = found.sort((a, b) => b.timestamp - a.timestamp).slice(0, 20);
  const ms = (v) => (v == null ? '-' : `${v} ms`);
  return h('div', { class: 'recent-invocations' }, section('Recent invocations', table({
    columns: [
      { title: 'Time', value: (r) => h('span', { class: 'nowrap' }, formatTime(r.timestamp)) },
      { title: 'Request ID', value: (r) => h('code', {}, r.requestId) },
      { title: 'Duration', value: (r) => ms(r.duration) },
      { title: 'Billed duration', value: (r) => ms(r.billedDuration) },
      { title: 'Memory size', value: (r) => `${r.memorySize} MB` },
      { title: 'Max memory used', value: (r) => `${r.maxMemoryUsed} MB` },
      { title: 'Init duration', value: (r) => ms(r.initDuration) },
      { title: 'Log stream', value: (r) => h('code', {}, r.stream) },
    ],
    rows,
    empty: `No invocations logged in ${group} in the last ${hours} hours.`,
  })));
}
