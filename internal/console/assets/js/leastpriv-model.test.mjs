import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseRange, parseInstant, pageQuery, rangeLabel, policyNames, readDocument, replayChanges, replayCounts,
  changedRequests, compareRows, generated, applySteps, inputValue, statementLabel, runSteps,
} from './leastpriv-model.js';

const now = new Date('2026-11-30T18:00:00Z');

test('parseRange reads presets, a custom range, and refuses nonsense', () => {
  const day = parseRange(new URLSearchParams(''), now);
  assert.equal(day.preset, '24h');
  assert.equal(day.start.toISOString(), '2026-11-29T18:00:00.000Z');
  assert.equal(day.end.toISOString(), now.toISOString());
  assert.equal(parseRange(new URLSearchParams('since=1h'), now).start.toISOString(), '2026-11-30T17:00:00.000Z');
  assert.equal(parseRange(new URLSearchParams('since=90d'), now).start.toISOString(), '2026-09-01T18:00:00.000Z');

  const custom = parseRange(new URLSearchParams('start=2026-11-30T10:00:00Z&end=2026-11-30T11:30'), now);
  assert.equal(custom.preset, 'custom');
  assert.equal(custom.start.toISOString(), '2026-11-30T10:00:00.000Z');
  assert.equal(custom.end.toISOString(), '2026-11-30T11:30:00.000Z');
  assert.equal(parseRange(new URLSearchParams('start=2026-11-30T10:00:00Z'), now).end, now);

  assert.match(parseRange(new URLSearchParams('since=2y'), now).error, /not one of 1h, 24h, 7d, 90d/);
  assert.match(parseRange(new URLSearchParams('start=yesterday'), now).error, /is not a time/);
  assert.match(parseRange(new URLSearchParams('start=2026-11-30T12:00Z&end=2026-11-30T11:00Z'), now).error, /before its end/);
  assert.equal(parseRange(new URLSearchParams('start=2026-12-01T00:00Z&end=2026-12-02T00:00Z'), now).error, 'The start time must not be in the future.');
  assert.match(parseRange(new URLSearchParams('start=2026-01-01T00:00Z&end=2026-11-30T00:00Z'), now).error, /must not exceed 90 days/);
  assert.equal(parseRange(new URLSearchParams('start=2026-09-01T18:00Z'), now).preset, 'custom');
  assert.equal(parseInstant('2026-13-45T10:00Z'), null);
  assert.equal(rangeLabel(day), 'Last 24 hours (2026-11-29T18:00:00Z to 2026-11-30T18:00:00Z)');
  assert.equal(inputValue(custom.start), '2026-11-30T10:00');
});

test('pageQuery names the role and the range in the URL', () => {
  assert.equal(pageQuery({ role: 'r', since: '7d' }).toString(), 'role=r&since=7d');
  assert.equal(pageQuery({ role: 'r', since: '7d', start: '2026-11-30T10:00', end: '2026-11-30T11:00' }).toString(),
    'role=r&start=2026-11-30T10%3A00%3A00Z&end=2026-11-30T11%3A00%3A00Z');
  assert.equal(pageQuery({ role: 'r', feature: 'tracing' }).toString(), 'role=r&feature=tracing');
});

test('readDocument checks the edited policy', () => {
  assert.deepEqual(readDocument('{\n "Version": "2012-10-17", "Statement": []\n}'), { doc: '{"Version":"2012-10-17","Statement":[]}' });
  assert.match(readDocument('{"Version":').error, /not valid JSON/);
  assert.match(readDocument('[]').error, /JSON object/);
  assert.match(readDocument('{"Version":"2012-10-17"}').error, /no Statement/);
});

test('replayChanges and applySteps name the same policies', () => {
  const names = policyNames('fn-lp', 2);
  assert.deepEqual(names, ['fn-lp', 'fn-lp-2']);
  const remove = [{ type: 'MANAGED', arn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' }, { type: 'INLINE', name: 'old' }];
  const changes = replayChanges({ account: '123456789012', names, docs: ['{"a":1}', '{"b":2}'], remove });
  assert.deepEqual(changes, [
    { policyType: 'MANAGED', policyArn: 'arn:aws:iam::123456789012:policy/fn-lp', policyDocument: '{"a":1}' },
    { policyType: 'MANAGED', policyArn: 'arn:aws:iam::123456789012:policy/fn-lp-2', policyDocument: '{"b":2}' },
    { policyType: 'MANAGED', policyArn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess', remove: true },
    { policyType: 'INLINE', policyName: 'old', remove: true },
  ]);
  const steps = applySteps({ role: 'fn', account: '123456789012', names, docs: ['{"a":1}', '{"b":2}'], remove, description: 'd' });
  // Detached before attaching, so that a role at its quota can swap.
  assert.deepEqual(steps.map((s) => s.action), ['CreatePolicy', 'CreatePolicy', 'DetachRolePolicy', 'AttachRolePolicy', 'AttachRolePolicy', 'DeleteRolePolicy']);
  assert.equal(steps[3].params.PolicyArn, changes[0].policyArn);
  assert.deepEqual(steps[2].params, { RoleName: 'fn', PolicyArn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' });
  assert.deepEqual(steps[5].params, { RoleName: 'fn', PolicyName: 'old' });
});

test('replayCounts and changedRequests read a replay answer', () => {
  const r = {
    evaluated: 10, notReplayed: 1,
    newlyDenied: [{ action: 's3:PutObject', resource: 'arn:aws:s3:::b/k', count: 3, recorded: 'Allow', proposed: 'ImplicitDeny',
      reason: 'because no identity-based policy allows the s3:PutObject action', statements: [], firstEventId: 'e1', lastTime: 5 }],
    newlyAllowed: [{ action: 'sqs:SendMessage', resource: 'q', count: 1, recorded: 'ImplicitDeny', proposed: 'Allow',
      statements: [{ policy: 'arn:aws:iam::123456789012:policy/fn-lp', sid: 'SQS', index: 0, effect: 'Allow' }], firstEventId: 'e2' }],
    drifted: [],
  };
  assert.deepEqual(replayCounts(r), { evaluated: 10, same: 6, newlyDenied: 3, newlyAllowed: 1, drifted: 0, notReplayed: 1 });
  const rows = changedRequests(r);
  assert.deepEqual(rows.map((x) => x.change), ['Newly denied', 'Newly allowed']);
  assert.deepEqual(rows[1].statements, ['Allow SQS of arn:aws:iam::123456789012:policy/fn-lp']);
  assert.equal(rows[0].eventId, 'e1');
  assert.equal(statementLabel({ index: 2, effect: 'Deny', source: 'service control policy' }), 'Deny statement 2 of service control policy');
  assert.deepEqual(replayCounts({}), { evaluated: 0, same: 0, newlyDenied: 0, newlyAllowed: 0, drifted: 0, notReplayed: 0 });
});

test('compareRows reads the unused-access answer', () => {
  const c = compareRows({
    unused: [{ service: 's3', serviceName: 'Amazon S3', wholeService: false, actions: [{ action: 's3:PutObject', resources: ['*'] }] }],
    broadResources: [{ action: 's3:GetObject', resources: ['*'], usedOn: ['arn:aws:s3:::b/k'] }],
    deniedActions: [{ action: 'sqs:SendMessage', decision: 'ImplicitDeny', resources: ['q'], count: 2, lastUsed: 7, eventId: 'e9' }],
  });
  assert.deepEqual(c.unused, [{ service: 's3', name: 'Amazon S3', wholeService: false, lastAccessed: null,
    actions: [{ action: 's3:PutObject', resources: ['*'], lastAccessed: null }] }]);
  assert.deepEqual(c.broad, [{ action: 's3:GetObject', resources: ['*'], usedOn: ['arn:aws:s3:::b/k'] }]);
  assert.equal(c.missing[0].eventId, 'e9');
  assert.deepEqual(compareRows({}), { unused: [], broad: [], missing: [] });
});

test('generated reads GetGeneratedPolicy', () => {
  assert.deepEqual(generated({ jobDetails: { status: 'IN_PROGRESS' } }).done, false);
  const ok = generated({
    jobDetails: { status: 'SUCCEEDED' },
    generatedPolicyResult: { generatedPolicies: [{ policy: '{"Version":"2012-10-17","Statement":[]}' }] },
    notes: [{ kind: 'collapsed', message: 'm' }],
  });
  assert.equal(ok.done, true);
  assert.equal(ok.policies[0], '{\n  "Version": "2012-10-17",\n  "Statement": []\n}');
  assert.equal(ok.notes.length, 1);
  assert.equal(generated({ jobDetails: { status: 'FAILED', jobError: { code: 'AUTHORIZATION_ERROR', message: 'no' } } }).error, 'AUTHORIZATION_ERROR: no');
});

// iamLog is a call function that records the calls and refuses the one
// named fail (once).
function iamLog(fail, error = { code: 'LimitExceeded' }) {
  const calls = [];
  let failed = false;
  const call = async (action, params) => {
    calls.push(`${action} ${params.PolicyArn || params.PolicyName || ''}`.trim());
    if (!failed && `${action} ${params.PolicyArn || params.PolicyName || ''}`.trim() === fail) {
      failed = true;
      throw error;
    }
    if (action === 'GetRolePolicy') return { PolicyDocument: encodeURIComponent('{"Version":"2012-10-17"}') };
    return {};
  };
  return { calls, call };
}

test('runSteps reverses every step made when one is refused', async () => {
  const names = policyNames('fn-lp', 2);
  const remove = [{ type: 'MANAGED', arn: 'arn:aws:iam::aws:policy/A' }, { type: 'INLINE', name: 'old' }];
  const steps = applySteps({ role: 'fn', account: '123456789012', names, docs: ['{}', '{}'], remove, description: 'd' });
  const p1 = 'arn:aws:iam::123456789012:policy/fn-lp';
  const p2 = 'arn:aws:iam::123456789012:policy/fn-lp-2';

  // The second attachment is refused (the quota): all is reversed.
  let log = iamLog(`AttachRolePolicy ${p2}`);
  let r = await runSteps(steps, log.call);
  assert.equal(r.error.code, 'LimitExceeded');
  assert.deepEqual(r.done, []);
  assert.deepEqual(r.stuck, []);
  assert.deepEqual(log.calls, [
    'CreatePolicy fn-lp', 'CreatePolicy fn-lp-2', 'DetachRolePolicy arn:aws:iam::aws:policy/A',
    `AttachRolePolicy ${p1}`, `AttachRolePolicy ${p2}`,
    `DetachRolePolicy ${p1}`, 'AttachRolePolicy arn:aws:iam::aws:policy/A', `DeletePolicy ${p2}`, `DeletePolicy ${p1}`,
  ]);

  // The second policy's name is taken: the first is deleted again.
  log = iamLog('CreatePolicy fn-lp-2', { code: 'EntityAlreadyExists' });
  r = await runSteps(steps, log.call);
  assert.equal(r.error.code, 'EntityAlreadyExists');
  assert.deepEqual(log.calls, ['CreatePolicy fn-lp', 'CreatePolicy fn-lp-2', `DeletePolicy ${p1}`]);

  // A refused inline deletion: the inline policy was read first; all reversed.
  log = iamLog('DeleteRolePolicy old', { code: 'AccessDenied' });
  r = await runSteps(steps, log.call);
  assert.deepEqual(r.done, []);
  assert.equal(r.undone.length, 5);

  // A reversal that fails is reported with the change it leaves.
  const calls = [];
  r = await runSteps(steps.slice(0, 2), async (action, params) => {
    calls.push(action);
    if (action === 'CreatePolicy' && params.PolicyName === 'fn-lp-2') throw { code: 'ServiceFailure' };
    if (action === 'DeletePolicy') throw { code: 'AccessDenied' };
    return {};
  });
  assert.equal(r.stuck.length, 1);
  assert.equal(r.stuck[0].step.params.PolicyName, 'fn-lp');
  assert.deepEqual(r.done.map((s) => s.action), ['CreatePolicy']);

  // Nothing refused: all done.
  log = iamLog('');
  r = await runSteps(steps, log.call);
  assert.equal(r.error, null);
  assert.equal(r.done.length, steps.length);
});
