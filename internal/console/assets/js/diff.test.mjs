import test from 'node:test';
import assert from 'node:assert/strict';

import {decodeDocument, prettyJSON, lineDiff, hunks, diffStats, offsetAt, statementSpans, matchedSpan, splitList, trustedEntities} from './diff.js';

test('decodeDocument decodes IAM URL-encoded documents once', () => {
  assert.equal(decodeDocument('%7B%22Version%22%3A%222012-10-17%22%7D'), '{"Version":"2012-10-17"}');
  assert.equal(decodeDocument('{"a":"100%"}'), '{"a":"100%"}');
  assert.equal(decodeDocument('  [1]'), '  [1]');
  assert.equal(decodeDocument('%E0%A4%A'), '%E0%A4%A'); // malformed: as is
  assert.equal(decodeDocument(undefined), '');
});

test('prettyJSON indents and keeps member order; other text unchanged', () => {
  assert.equal(prettyJSON('{"b":1,"a":[true]}'), '{\n  "b": 1,\n  "a": [\n    true\n  ]\n}');
  assert.equal(prettyJSON('not json'), 'not json');
});

test('lineDiff marks added and removed lines with both line numbers', () => {
  const d = lineDiff('a\nb\nc\nd', 'a\nc\nx\nd');
  assert.deepEqual(d, [
    {kind: 'same', text: 'a', oldLine: 1, newLine: 1},
    {kind: 'removed', text: 'b', oldLine: 2, newLine: null},
    {kind: 'same', text: 'c', oldLine: 3, newLine: 2},
    {kind: 'added', text: 'x', oldLine: null, newLine: 3},
    {kind: 'same', text: 'd', oldLine: 4, newLine: 4},
  ]);
  assert.deepEqual(diffStats(d), {added: 1, removed: 1});
  assert.deepEqual(hunks(d), [1, 3]);
});

test('lineDiff of equal, empty and disjoint texts', () => {
  assert.deepEqual(lineDiff('x\ny', 'x\ny').map((l) => l.kind), ['same', 'same']);
  assert.deepEqual(lineDiff('', ''), []);
  assert.deepEqual(lineDiff('', 'a').map((l) => [l.kind, l.text]), [['added', 'a']]);
  assert.deepEqual(lineDiff('a\nb', 'c').map((l) => l.kind), ['removed', 'removed', 'added']);
  assert.deepEqual(hunks(lineDiff('a\nb', 'c')), [0]);
});

test('lineDiff of two policy versions changes only the differing lines', () => {
  const v1 = prettyJSON('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}');
  const v2 = prettyJSON('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}]}');
  const d = lineDiff(v1, v2);
  assert.deepEqual(d.filter((l) => l.kind === 'removed').map((l) => l.text), ['      "Action": "s3:GetObject",']);
  assert.deepEqual(d.filter((l) => l.kind === 'added').map((l) => l.text.trim()),
    ['"Action": [', '"s3:GetObject",', '"s3:PutObject"', '],']);
  // Every line of both texts is there once, in order.
  assert.deepEqual(d.filter((l) => l.oldLine !== null).map((l) => l.oldLine), v1.split('\n').map((_, k) => k + 1));
  assert.deepEqual(d.filter((l) => l.newLine !== null).map((l) => l.newLine), v2.split('\n').map((_, k) => k + 1));
});

test('offsetAt counts lines and code-point columns from 1', () => {
  const t = 'ab\n\u{1F600}cd\nef';
  assert.equal(offsetAt(t, 1, 1), 0);
  assert.equal(offsetAt(t, 2, 1), 3);
  assert.equal(offsetAt(t, 2, 2), 5); // after the emoji's two code units
  assert.equal(offsetAt(t, 3, 2), 9);
  assert.equal(offsetAt(t, 9, 1), t.length);
  assert.equal(offsetAt(t, 1, 40), 2);
});

test('statementSpans finds each statement of an array or a single object', () => {
  const doc = '{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"} , {"Sid":"}\\"","Effect":"Deny","Action":"s3:*","Resource":["a","b"],"Condition":{"Bool":{"aws:SecureTransport":false}}}]}';
  const spans = statementSpans(doc);
  assert.equal(spans.length, 2);
  assert.equal(doc.slice(spans[0].start, spans[0].end), '{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"}');
  assert.ok(doc.slice(spans[1].start, spans[1].end).startsWith('{"Sid":"}\\""'));
  assert.ok(doc.slice(spans[1].start, spans[1].end).endsWith('false}}}'));
  const one = '{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"},"Version":"2012-10-17"}';
  const [only] = statementSpans(one);
  assert.equal(one.slice(only.start, only.end), '{"Effect":"Allow","Action":"*","Resource":"*"}');
  assert.deepEqual(statementSpans('{"Version":"2012-10-17"}'), []);
  assert.deepEqual(statementSpans('{"Statement":[}'), []);
  assert.deepEqual(statementSpans('nope'), []);
});

test('matchedSpan maps the simulator positions onto the pretty document', () => {
  const raw = '{"Version":"2012-10-17",\n "Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"},{"Effect":"Deny","Action":"logs:DeleteLogGroup","Resource":"*"}]}';
  const spans = statementSpans(raw);
  // Positions as IAM gives them: line and column of the opening brace and
  // just past the closing one.
  const pos = (k) => {
    const before = raw.slice(0, k);
    return {Line: before.split('\n').length, Column: k - before.lastIndexOf('\n')};
  };
  const pretty = prettyJSON(raw);
  const got = matchedSpan(raw, pretty, pos(spans[1].start), pos(spans[1].end));
  const text = pretty.slice(got.start, got.end);
  assert.ok(text.startsWith('{') && text.endsWith('}'));
  assert.ok(text.includes('"Effect": "Deny"'));
  assert.ok(!text.includes('Allow'));
  assert.equal(matchedSpan(raw, pretty, {Line: 1, Column: 2}, {Line: 1, Column: 3}), null);
  // A document that is not JSON is highlighted where the positions say.
  assert.deepEqual(matchedSpan('x\nyz', 'x\nyz', {Line: 2, Column: 1}, {Line: 2, Column: 3}), {start: 2, end: 4});
});

test('splitList reads comma, space and newline separated lists', () => {
  assert.deepEqual(splitList(' s3:GetObject, s3:PutObject\nlogs:*;;s3:GetObject  '), ['s3:GetObject', 's3:PutObject', 'logs:*']);
  assert.deepEqual(splitList(''), []);
  assert.deepEqual(splitList(null), []);
});

test('trustedEntities lists each principal with its actions and condition keys', () => {
  const doc = JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      { Effect: 'Allow', Principal: { AWS: ['arn:aws:iam::111122223333:root', '444455556666'] }, Action: ['sts:AssumeRole', 'sts:TagSession'],
        Condition: { StringEquals: { 'sts:ExternalId': 'x' }, Bool: { 'aws:MultiFactorAuthPresent': 'true' } } },
      { Effect: 'Deny', Principal: '*', NotAction: 'sts:AssumeRole' },
      { Effect: 'Deny', NotPrincipal: { Federated: 'cognito-identity.amazonaws.com' }, Action: 'sts:AssumeRoleWithWebIdentity' },
    ],
  });
  assert.deepEqual(trustedEntities(doc), [
    { effect: 'Allow', type: 'Service', principal: 'lambda.amazonaws.com', actions: ['sts:AssumeRole'], conditions: [] },
    { effect: 'Allow', type: 'AWS', principal: 'arn:aws:iam::111122223333:root', actions: ['sts:AssumeRole', 'sts:TagSession'], conditions: ['sts:ExternalId', 'aws:MultiFactorAuthPresent'] },
    { effect: 'Allow', type: 'AWS', principal: '444455556666', actions: ['sts:AssumeRole', 'sts:TagSession'], conditions: ['sts:ExternalId', 'aws:MultiFactorAuthPresent'] },
    { effect: 'Deny', type: '*', principal: '*', actions: ['not sts:AssumeRole'], conditions: [] },
    { effect: 'Deny', type: 'NotPrincipal: Federated', principal: 'cognito-identity.amazonaws.com', actions: ['sts:AssumeRoleWithWebIdentity'], conditions: [] },
  ]);
  // A single statement object counts too; other text gives nothing.
  assert.equal(trustedEntities('{"Statement":{"Effect":"Allow","Principal":{"Service":"x"},"Action":"sts:AssumeRole"}}').length, 1);
  assert.deepEqual(trustedEntities('not json'), []);
  assert.deepEqual(trustedEntities('null'), []);
});
