// The least-privilege page's logic without the DOM: time ranges, the
// changes a replay is asked for, the counts of its answer, the rows of the
// comparison of granted and used access, and the steps of applying a
// policy. Times are Date objects; the rolecall API takes epoch seconds,
// Access Analyzer ISO 8601.

/** The range presets, as the URL's `since` names them. */
export const PRESETS = [
  { id: '1h', label: 'Last hour', seconds: 3600 },
  { id: '24h', label: 'Last 24 hours', seconds: 86400 },
  { id: '7d', label: 'Last 7 days', seconds: 7 * 86400 },
  { id: '90d', label: 'Last 90 days', seconds: 90 * 86400 },
];

/** The default preset. */
export const DEFAULT_SINCE = '24h';

/** Access Analyzer generates from at most 90 days. */
export const MAX_RANGE_SECONDS = 90 * 86400;

/**
 * parseInstant reads an ISO 8601 time ("2026-11-30T17:00:00Z"), or the
 * value of a datetime-local input ("2026-11-30T17:00"), read as UTC.
 * Returns null for anything else.
 */
export function parseInstant(s) {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/.test(s)) {
    return null;
  }
  const zoned = /(Z|[+-]\d{2}:\d{2})$/.test(s) ? s : s + 'Z';
  const d = new Date(zoned);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** inputValue is a Date as a datetime-local input shows it, in UTC. */
export function inputValue(d) {
  return d.toISOString().slice(0, 16);
}

// MAX_RANGE_MS is the longest range Access Analyzer reads: 90 days.
const MAX_RANGE_MS = 90 * 24 * 3600 * 1000;

/**
 * parseRange reads the range of the page's URL: `since` (a preset id) or
 * `start` and optionally `end` (ISO 8601; `end` defaults to now). Returns
 * {preset, start, end} or {error} saying what is wrong: an inverted
 * range, or one Access Analyzer refuses (a start in the future, more than
 * 90 days), in its words.
 */
export function parseRange(query, now = new Date()) {
  const start = query.get('start');
  if (start) {
    const s = parseInstant(start);
    if (!s) return { error: `start "${start}" is not a time (ISO 8601, e.g. 2026-11-30T17:00:00Z).` };
    const endText = query.get('end');
    const e = endText ? parseInstant(endText) : now;
    if (!e) return { error: `end "${endText}" is not a time (ISO 8601, e.g. 2026-11-30T18:00:00Z).` };
    if (s >= e) return { error: 'The start of the range must be before its end.' };
    // Access Analyzer's limits on a generation's range, with its wording.
    if (s > now) return { error: 'The start time must not be in the future.' };
    if (e - s > MAX_RANGE_MS) return { error: 'The time range between the start time and the end time must not exceed 90 days.' };
    return { preset: 'custom', start: s, end: e };
  }
  const since = query.get('since') || DEFAULT_SINCE;
  const p = PRESETS.find((x) => x.id === since);
  if (!p) return { error: `since "${since}" is not one of ${PRESETS.map((x) => x.id).join(', ')}.` };
  return { preset: p.id, start: new Date(now.getTime() - p.seconds * 1000), end: now };
}

/** rangeLabel says the range for people. */
export function rangeLabel(r) {
  const p = PRESETS.find((x) => x.id === r.preset);
  const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return p ? `${p.label} (${iso(r.start)} to ${iso(r.end)})` : `${iso(r.start)} to ${iso(r.end)}`;
}

/** epoch is a Date in epoch seconds. */
export function epoch(d) {
  return Math.floor(d.getTime() / 1000);
}

/**
 * pageQuery is the page's URL query for a role and a range choice
 * ({since} or {start, end} as the inputs give them), keeping `feature`
 * and `resourceArn` when given.
 */
export function pageQuery({ role, since, start, end, feature, resourceArn }) {
  const q = new URLSearchParams();
  if (role) q.set('role', role);
  if (start) {
    const s = parseInstant(start);
    q.set('start', s ? s.toISOString().replace(/\.\d{3}Z$/, 'Z') : start);
    if (end) {
      const e = parseInstant(end);
      q.set('end', e ? e.toISOString().replace(/\.\d{3}Z$/, 'Z') : end);
    }
  } else if (since) {
    q.set('since', since);
  }
  if (feature) q.set('feature', feature);
  if (resourceArn) q.set('resourceArn', resourceArn);
  return q;
}

/** POLICY_NAME is IAM's pattern of a policy name. */
export const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;

/** policyNames are the names of n policies written as name: name, name-2, name-3… */
export function policyNames(name, n) {
  return Array.from({ length: n }, (_, i) => (i === 0 ? name : `${name}-${i + 1}`));
}

/** policyArn is the ARN of a customer managed policy at the root path. */
export function policyArn(account, name) {
  return `arn:aws:iam::${account}:policy/${name}`;
}

/** defaultPolicyName is the name offered for a role's generated policy. */
export function defaultPolicyName(role) {
  return `${role}-least-privilege`.slice(0, 128);
}

/**
 * readDocument checks the editor's text: JSON with a Statement. Returns
 * {doc: compact JSON} or {error}.
 */
export function readDocument(text) {
  let v;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { error: `The policy is not valid JSON: ${e.message}` };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { error: 'The policy must be a JSON object.' };
  if (!('Statement' in v)) return { error: 'The policy has no Statement.' };
  return { doc: JSON.stringify(v) };
}

/** pretty is a policy document as people read it: indented JSON. */
export function pretty(doc) {
  try {
    return JSON.stringify(JSON.parse(doc), null, 2);
  } catch {
    return doc;
  }
}

/**
 * replayChanges are ReplayPolicy's changes for the edited documents
 * written as new managed policies (docs[i] as names[i]) and the role's
 * policies removed: [{type:'MANAGED', arn} | {type:'INLINE', name}].
 */
export function replayChanges({ account, names, docs, remove = [] }) {
  const changes = docs.map((doc, i) => ({ policyType: 'MANAGED', policyArn: policyArn(account, names[i]), policyDocument: doc }));
  for (const r of remove) {
    changes.push(r.type === 'INLINE' ? { policyType: 'INLINE', policyName: r.name, remove: true } : { policyType: 'MANAGED', policyArn: r.arn, remove: true });
  }
  return changes;
}

const sum = (items) => (items || []).reduce((n, it) => n + (it.count || 0), 0);

/**
 * replayCounts are the decisions of a replay answer: evaluated, the same
 * under the change, newly denied, newly allowed, drifted (already decided
 * otherwise without the change) and not replayed.
 */
export function replayCounts(r) {
  const newlyDenied = sum(r.newlyDenied);
  const newlyAllowed = sum(r.newlyAllowed);
  const drifted = sum(r.drifted);
  const evaluated = r.evaluated || 0;
  return {
    evaluated,
    same: Math.max(0, evaluated - newlyDenied - newlyAllowed - drifted),
    newlyDenied,
    newlyAllowed,
    drifted,
    notReplayed: r.notReplayed || 0,
  };
}

/**
 * changedRequests are the replayed requests whose decision changes, newly
 * denied first: {change, action, resource, count, recorded, proposed,
 * reason, statements, eventId, lastTime}.
 */
export function changedRequests(r) {
  const rows = [];
  for (const [change, items] of [['Newly denied', r.newlyDenied], ['Newly allowed', r.newlyAllowed], ['Drifted', r.drifted]]) {
    for (const it of items || []) {
      rows.push({
        change,
        action: it.action,
        resource: it.resource,
        count: it.count,
        recorded: it.recorded,
        current: it.current || '',
        proposed: it.proposed,
        reason: it.reason || '',
        statements: (it.statements || []).map(statementLabel),
        eventId: it.firstEventId,
        lastTime: it.lastTime,
      });
    }
  }
  return rows;
}

/** statementLabel names a deciding statement: "Effect Sid (index) of policy". */
export function statementLabel(s) {
  const id = s.sid ? `${s.sid}` : `statement ${s.index}`;
  const where = s.policy ? `${s.policy}` : s.source || 'resource policy';
  return `${s.effect} ${id} of ${where}`;
}

/**
 * compareRows reads GetUnusedAccess's answer: unused (per service, what is
 * granted but not used: {service, name, wholeService, lastAccessed,
 * actions: [{action, resources, lastAccessed}]}), broad (used on fewer
 * resources than granted) and missing (used but refused: deniedActions).
 */
export function compareRows(a) {
  const unused = (a.unused || []).map((s) => ({
    service: s.service,
    name: s.serviceName || s.service,
    wholeService: !!s.wholeService,
    lastAccessed: s.lastAccessed || null,
    actions: (s.actions || []).map((x) => ({ action: x.action, resources: x.resources || [], lastAccessed: x.lastAccessed || null })),
  }));
  const broad = (a.broadResources || []).map((b) => ({ action: b.action, resources: b.resources || [], usedOn: b.usedOn || [] }));
  const missing = (a.deniedActions || []).map((d) => ({
    action: d.action,
    decision: d.decision,
    resources: d.resources || [],
    count: d.count,
    lastUsed: d.lastUsed,
    eventId: d.eventId || '',
  }));
  return { unused, broad, missing };
}

/**
 * generated reads GetGeneratedPolicy's answer: {status, done, policies
 * (pretty JSON), notes, error}.
 */
export function generated(out) {
  const d = out.jobDetails || {};
  const status = d.status || 'IN_PROGRESS';
  const res = {
    status,
    done: status !== 'IN_PROGRESS',
    policies: [],
    notes: out.notes || [],
    error: '',
  };
  if (status === 'SUCCEEDED') {
    res.policies = ((out.generatedPolicyResult || {}).generatedPolicies || []).map((p) => pretty(p.policy));
  } else if (status === 'FAILED') {
    const e = d.jobError || {};
    res.error = `${e.code || 'FAILED'}: ${e.message || 'the policy generation failed.'}`;
    res.errorCode = e.code || 'FAILED';
    res.errorMessage = e.message || 'the policy generation failed.';
  } else if (status === 'CANCELED') {
    res.error = 'The policy generation was canceled.';
  }
  return res;
}

/** ACCESS_ROLE is the access role Access Analyzer reads the trail as, made when missing. */
export const ACCESS_ROLE = 'rolecall-access-analyzer';

/** accessRoleTrust is the access role's trust policy. */
export const accessRoleTrust = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'access-analyzer.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/** accessRolePolicy lets the access role read the trail. */
export function accessRolePolicy(trailArn) {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'ReadTrail', Effect: 'Allow', Action: 'cloudtrail:GetTrail', Resource: trailArn }],
  });
}

/**
 * applySteps are the IAM calls that apply the edited documents to a
 * role, in the order that lets a role at its quota of attached managed
 * policies (10) swap them: CreatePolicy per document, DetachRolePolicy per
 * managed policy removed, AttachRolePolicy per document, then
 * DeleteRolePolicy per inline policy removed. Each step is {action,
 * params, says}; CreatePolicy and AttachRolePolicy steps carry the
 * policy's arn.
 */
export function applySteps({ role, account, names, docs, remove = [], description }) {
  const creates = [];
  const attaches = [];
  docs.forEach((doc, i) => {
    const arn = policyArn(account, names[i]);
    creates.push({
      action: 'CreatePolicy',
      params: { PolicyName: names[i], PolicyDocument: doc, Description: description },
      says: `Create the customer managed policy ${names[i]}`,
      arn,
    });
    attaches.push({
      action: 'AttachRolePolicy',
      params: { RoleName: role, PolicyArn: arn },
      says: `Attach ${names[i]} to the role ${role}`,
      arn,
    });
  });
  const detaches = remove.filter((r) => r.type !== 'INLINE')
    .map((r) => ({ action: 'DetachRolePolicy', params: { RoleName: role, PolicyArn: r.arn }, says: `Detach ${r.arn} from ${role}` }));
  const deletes = remove.filter((r) => r.type === 'INLINE')
    .map((r) => ({ action: 'DeleteRolePolicy', params: { RoleName: role, PolicyName: r.name }, says: `Delete the inline policy ${r.name} of ${role}` }));
  return [...creates, ...detaches, ...attaches, ...deletes];
}

/**
 * undoStep is the IAM call that reverses a step made, or null: a created
 * policy is deleted, an attached one detached, a detached one attached
 * again, and a deleted inline policy put back with the document read
 * before (saved, URL-decoded).
 */
export function undoStep(step, saved) {
  const p = step.params;
  switch (step.action) {
    case 'CreatePolicy': return { action: 'DeletePolicy', params: { PolicyArn: step.arn } };
    case 'AttachRolePolicy': return { action: 'DetachRolePolicy', params: { RoleName: p.RoleName, PolicyArn: p.PolicyArn } };
    case 'DetachRolePolicy': return { action: 'AttachRolePolicy', params: { RoleName: p.RoleName, PolicyArn: p.PolicyArn } };
    case 'DeleteRolePolicy': return saved == null ? null : { action: 'PutRolePolicy', params: { RoleName: p.RoleName, PolicyName: p.PolicyName, PolicyDocument: saved } };
    default: return null;
  }
}

/**
 * runSteps makes the steps in order with call(action, params) (an IAM
 * call returning a promise) and, when one fails, reverses the ones made,
 * latest first, so that a refused apply changes nothing. Before a
 * DeleteRolePolicy it reads the inline document (GetRolePolicy) to put it
 * back if needed. It returns {done (steps made and kept), error (the
 * first failure, or null), undone (steps reversed), stuck ([{step,
 * error}] of the reversals that failed, whose change remains)}.
 */
export async function runSteps(steps, call) {
  const made = [];
  let error = null;
  for (const step of steps) {
    try {
      let saved = null;
      if (step.action === 'DeleteRolePolicy') {
        const got = await call('GetRolePolicy', step.params);
        saved = decodeURIComponent(got.PolicyDocument);
      }
      await call(step.action, step.params);
      made.push({ step, saved });
    } catch (err) {
      error = err;
      break;
    }
  }
  if (!error) return { done: made.map((x) => x.step), error: null, undone: [], stuck: [] };
  const undone = [];
  const stuck = [];
  for (const { step, saved } of made.reverse()) {
    const u = undoStep(step, saved);
    try {
      if (!u) throw new Error(`${step.action} cannot be reversed`);
      await call(u.action, u.params);
      undone.push(step);
    } catch (err) {
      stuck.push({ step, error: err });
    }
  }
  return { done: stuck.map((x) => x.step), error, undone, stuck };
}

/** FEATURES are the features whose permissions the role can be given. */
export const FEATURES = [
  { id: 'tracing', label: 'Active tracing (AWS X-Ray)', arn: '' },
  { id: 'vpc', label: 'VPC access (network interfaces)', arn: '' },
  { id: 'event-source', label: 'Event source mapping (SQS queue, Kinesis stream, DynamoDB stream)', arn: 'The event source\'s ARN' },
  { id: 'destination', label: 'Asynchronous invocation destination (SQS, SNS, Lambda, EventBridge)', arn: 'The destination\'s ARN' },
  { id: 'kms', label: 'Environment variables encrypted with a customer managed key', arn: 'The KMS key\'s ARN' },
];
