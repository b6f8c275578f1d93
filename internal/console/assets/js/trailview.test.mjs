import test from 'node:test';
import assert from 'node:assert/strict';

import {
  Pager, decisiveIndexes, documentSegments, filterQuery, isDenial, lookupRequest, parseDocument,
  policyName, queryParameters, readFilters, summarize, verdict, categoryOf,
} from './trailview.js';

test('filters round-trip through the URL', () => {
  const f = {attribute: 'EventName', value: 'GetObject', range: 'custom', start: '2026-11-30T10:00:00.000Z', end: '2026-11-30T11:00:00.000Z', events: 'management'};
  const q = filterQuery(f);
  assert.equal(q, '?attribute=EventName&value=GetObject&range=custom&start=2026-11-30T10%3A00%3A00.000Z&end=2026-11-30T11%3A00%3A00.000Z');
  assert.deepEqual(readFilters(new URLSearchParams(q)), f);
  assert.equal(filterQuery({attribute: '', value: '', range: 'all'}), '');
  const data = {...f, events: 'data'};
  assert.equal(filterQuery(data), q + '&events=data');
  assert.deepEqual(readFilters(new URLSearchParams(filterQuery(data))), data);
  assert.equal(categoryOf('data'), 'Data');
  assert.equal(categoryOf('all'), 'All');
  assert.equal(categoryOf('nope'), 'Management');
});

test('unknown attributes and ranges read as none', () => {
  const f = readFilters(new URLSearchParams('attribute=ErrorCode&value=x&range=1y&start=2026-01-01'));
  assert.deepEqual(f, {attribute: '', value: '', range: 'all', start: '', end: '', events: 'management'});
  assert.equal(readFilters(new URLSearchParams('events=insight')).events, 'management');
  // start and end count only for a custom range
  assert.equal(readFilters(new URLSearchParams('range=1h&start=2026-01-01')).start, '');
});

test('the LookupEvents request of the filters', () => {
  const now = Date.parse('2026-11-30T12:00:00Z');
  assert.deepEqual(lookupRequest(readFilters(new URLSearchParams('')), now), {MaxResults: 50});
  assert.deepEqual(lookupRequest({attribute: 'Username', value: 'alice', range: '24h'}, now), {
    MaxResults: 50,
    LookupAttributes: [{AttributeKey: 'Username', AttributeValue: 'alice'}],
    StartTime: now / 1000 - 86400,
  });
  assert.deepEqual(lookupRequest({attribute: 'EventName', value: '', range: '1h'}, now), {MaxResults: 50, StartTime: now / 1000 - 3600});
  assert.deepEqual(lookupRequest({range: 'custom', start: '2026-11-30T10:00:00Z', end: ''}, now), {MaxResults: 50, StartTime: Date.parse('2026-11-30T10:00:00Z') / 1000});
  assert.throws(() => lookupRequest({range: 'custom', start: 'yesterday'}, now), /Start time "yesterday" is not a date/);
});

test('the pager keeps the tokens so Previous goes back', () => {
  const p = new Pager();
  assert.equal(p.token, undefined);
  assert.equal(p.hasPrevious, false);
  p.next('t1');
  p.next('t2');
  assert.equal(p.page, 3);
  assert.equal(p.token, 't2');
  p.previous();
  assert.equal(p.token, 't1');
  p.previous();
  p.previous();
  assert.equal(p.token, undefined);
  assert.equal(p.page, 1);
  assert.throws(() => p.next(''), /no next page/);
});

test('denials are told by their error code', () => {
  for (const c of ['AccessDenied', 'AccessDeniedException', 'Client.UnauthorizedOperation', 'AuthorizationError']) assert.ok(isDenial(c), c);
  for (const c of ['', undefined, 'NoSuchEntity', 'ThrottlingException', 'ResourceNotFoundException']) assert.ok(!isDenial(c), c);
});

test('an event summary reads the record', () => {
  const rec = {eventName: 'GetObject', errorCode: 'AccessDenied', errorMessage: 'User: arn:aws:iam::123456789012:user/u is not authorized', userIdentity: {type: 'IAMUser'}};
  const s = summarize({
    EventId: 'e1', EventName: 'GetObject', EventTime: 1764504000, EventSource: 's3.amazonaws.com', Username: 'u',
    Resources: [{ResourceType: 'AWS::S3::Object', ResourceName: 'b/k'}], CloudTrailEvent: JSON.stringify(rec),
  });
  assert.equal(s.denied, true);
  assert.equal(s.errorCode, 'AccessDenied');
  assert.deepEqual(s.resources, ['AWS::S3::Object: b/k']);
  assert.equal(s.user, 'u');
  const bad = summarize({EventId: 'e2', EventName: 'X', CloudTrailEvent: 'not json'});
  assert.equal(bad.record, null);
  assert.equal(bad.denied, false);
  assert.deepEqual(bad.resources, []);
});

test('documents parse from objects, JSON and URL-encoded JSON', () => {
  const d = {Version: '2012-10-17', Statement: []};
  assert.deepEqual(parseDocument(d), d);
  assert.deepEqual(parseDocument(JSON.stringify(d)), d);
  assert.deepEqual(parseDocument(encodeURIComponent(JSON.stringify(d))), d);
  assert.equal(parseDocument('nope'), null);
  assert.equal(parseDocument(''), null);
});

test('document segments are the pretty JSON with the decisive statement cut out', () => {
  const doc = {
    Version: '2012-10-17',
    Statement: [
      {Sid: 'A', Effect: 'Allow', Action: 's3:ListBucket', Resource: '*'},
      {Sid: 'B', Effect: 'Deny', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::b/*'},
    ],
  };
  const segs = documentSegments(JSON.stringify(doc), new Set([1]));
  assert.equal(segs.map((s) => s.text).join(''), JSON.stringify(doc, null, 2));
  const marked = segs.filter((s) => s.mark);
  assert.equal(marked.length, 1);
  assert.equal(marked[0].index, 1);
  assert.match(marked[0].text, /"Sid": "B"/);
  assert.doesNotMatch(marked[0].text, /"Sid": "A"/);
  assert.deepEqual(segs.filter((s) => s.index >= 0).map((s) => s.index), [0, 1]);

  // A single statement object, and an empty list.
  const one = {Version: '2012-10-17', Statement: {Effect: 'Allow', Action: '*', Resource: '*'}};
  const s1 = documentSegments(one, new Set([0]));
  assert.equal(s1.map((s) => s.text).join(''), JSON.stringify(one, null, 2));
  assert.equal(s1.filter((s) => s.mark).length, 1);
  const none = {Version: '2012-10-17', Statement: []};
  assert.equal(documentSegments(none).map((s) => s.text).join(''), JSON.stringify(none, null, 2));
  // Not a document: shown as it is.
  assert.deepEqual(documentSegments('<xml/>'), [{text: '<xml/>', index: -1, mark: false}]);
});

test('decisive statements are matched to their policy', () => {
  const x = {Decisive: [
    {Kind: 'identity', PolicyName: 'inline', Index: 2},
    {Kind: 'identity', PolicyArn: 'arn:aws:iam::123456789012:policy/p', PolicyName: 'p', Index: 0},
    {Kind: 'boundary', PolicyArn: 'arn:aws:iam::123456789012:policy/p', PolicyName: 'p', Index: 1},
  ]};
  assert.deepEqual([...decisiveIndexes(x, {Kind: 'identity', Name: 'inline'})], [2]);
  assert.deepEqual([...decisiveIndexes(x, {Kind: 'identity', Name: 'p', Arn: 'arn:aws:iam::123456789012:policy/p'})], [0]);
  assert.deepEqual([...decisiveIndexes(x, {Kind: 'boundary', Name: 'p', Arn: 'arn:aws:iam::123456789012:policy/p'})], [1]);
  assert.deepEqual([...decisiveIndexes({}, {Kind: 'identity', Name: 'inline'})], []);
});

test('the verdict in plain words', () => {
  const implicit = verdict({Decision: 'ImplicitDeny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/k', Missing: 'identity',
    Reason: 'because no identity-based policy allows the s3:GetObject action'});
  assert.equal(implicit.headline, 'Denied because no identity-based policy allows the s3:GetObject action.');
  assert.deepEqual(implicit.lines, ['No identity-based policy allows s3:GetObject on arn:aws:s3:::b/k.']);
  const explicit = verdict({Decision: 'ExplicitDeny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/k',
    Decisive: [{Kind: 'boundary', PolicyName: 'fence', Sid: 'NoReads', Index: 0}, {Kind: 'identity', PolicyName: 'inline', Index: 3}]});
  assert.equal(explicit.headline, 'Denied by an explicit deny.');
  assert.equal(verdict({Decision: 'ExplicitDeny', Reason: 'with an explicit deny in a permissions boundary'}).headline,
    'Denied with an explicit deny in a permissions boundary.');
  assert.deepEqual(explicit.lines, [
    'The statement "NoReads" of the permissions boundary fence denies s3:GetObject on arn:aws:s3:::b/k.',
    'Statement 4 of the identity-based policy inline denies s3:GetObject on arn:aws:s3:::b/k.',
  ]);
  assert.deepEqual(verdict({Decision: 'Allow'}), {headline: 'Allowed.', lines: []});
  assert.deepEqual(verdict({Decision: 'Allow', RecordedDecision: 'ImplicitDeny'}).lines,
    ['When it was made, the request was denied (no policy allowed it); the decision above is with the policies as they are now.']);
});

test('policies are named by name, else by their ARN', () => {
  assert.equal(policyName({Name: 'inline', Arn: ''}), 'inline');
  assert.equal(policyName({Arn: 'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'}), 'AWSLambdaBasicExecutionRole');
  assert.equal(policyName({Kind: 'resource'}), '');
});

test('fix parameters flatten for the query protocol', () => {
  assert.deepEqual(queryParameters({RoleName: 'r', PolicyDocument: {Version: '2012-10-17'}, SetAsDefault: true, Skip: null}), {
    RoleName: 'r', PolicyDocument: '{"Version":"2012-10-17"}', SetAsDefault: 'true',
  });
});

test('a fix makes only the calls the console knows, with their parameters', async () => {
  const { knownFixOperation } = await import('./trailview.js');
  const ok = [
    { Service: 'iam', Action: 'PutRolePolicy', Parameters: { RoleName: 'r', PolicyName: 'p', PolicyDocument: '{}' } },
    { Service: 'iam', Action: 'CreatePolicyVersion', Parameters: { PolicyArn: 'arn:aws:iam::123456789012:policy/p', PolicyDocument: '{}', SetAsDefault: 'true' } },
    { Service: 's3', Action: 'PutBucketPolicy', Parameters: { Bucket: 'b', Policy: '{}' } },
    { Service: 'kms', Action: 'PutKeyPolicy', Parameters: { KeyId: 'k', PolicyName: 'default', Policy: '{}' } },
  ];
  for (const op of ok) assert.equal(knownFixOperation(op), true, `${op.Service}:${op.Action}`);
  const bad = [
    null, {}, 'iam:PutRolePolicy',
    { Service: 'iam', Action: 'CreateAccessKey', Parameters: { UserName: 'admin' } },
    { Service: 'iam', Action: 'AttachRolePolicy', Parameters: { RoleName: 'r', PolicyArn: 'arn:aws:iam::aws:policy/AdministratorAccess' } },
    { Service: 'iam', Action: 'DeleteRole', Parameters: { RoleName: 'r' } },
    { Service: 'iam', Action: 'toString', Parameters: {} },
    { Service: 'sts', Action: 'AssumeRole', Parameters: {} },
    { Service: 'iam', Action: 'PutRolePolicy', Parameters: { RoleName: 'r', PolicyName: 'p' } },
    { Service: 'iam', Action: 'PutRolePolicy', Parameters: { RoleName: 'r', PolicyName: 'p', PolicyDocument: '{}', 'Extra': 'x' } },
    { Service: 'iam', Action: 'PutRolePolicy', Parameters: { RoleName: 'r', PolicyName: 'p', PolicyDocument: { Statement: [] } } },
    { Service: 'iam', Action: 'PutRolePolicy', Parameters: ['RoleName'] },
  ];
  for (const op of bad) assert.equal(knownFixOperation(op), false, JSON.stringify(op));
});
