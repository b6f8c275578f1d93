// Unit tests of sigv4.js: node --test (run by go test ./internal/console).
import test from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { sha256, hmac, hex, sign, uriEncode } from './sigv4.js';

test('sha256 and hmac agree with node:crypto at block edges', () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000]) {
    const s = 'é'.repeat(n);
    assert.equal(hex(sha256(s)), crypto.createHash('sha256').update(s).digest('hex'));
    for (const key of ['k', 'k'.repeat(64), 'k'.repeat(65)]) {
      assert.equal(hex(hmac(key, s)), crypto.createHmac('sha256', key).update(s).digest('hex'));
    }
  }
});

// The AWS SigV4 test suite's get-vanilla case.
test('sign matches the SigV4 test suite (get-vanilla)', () => {
  const h = sign({
    method: 'GET',
    url: 'https://example.amazonaws.com/',
    service: 'service',
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    date: new Date(Date.UTC(2015, 7, 30, 12, 36, 0)),
  });
  assert.equal(h['X-Amz-Date'], '20150830T123600Z');
  assert.equal(h.Authorization,
    'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, ' +
    'SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
});

test('session tokens are signed', () => {
  const h = sign({
    method: 'POST', url: 'http://127.0.0.1:4566/', body: 'Action=GetCallerIdentity',
    service: 'sts', region: 'us-east-1',
    credentials: { accessKeyId: 'ASIA', secretAccessKey: 's', sessionToken: 'tok' },
  });
  assert.equal(h['X-Amz-Security-Token'], 'tok');
  assert.match(h.Authorization, /SignedHeaders=host;x-amz-date;x-amz-security-token,/);
});

test('uriEncode encodes all but unreserved bytes', () => {
  assert.equal(uriEncode('a b/ü~'), 'a%20b%2F%C3%BC~');
  assert.equal(uriEncode('/x y/', true), '/x%20y/');
});
