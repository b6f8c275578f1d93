import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseReport, decodeLogResult, filterFunctions, formatTimeout, formatBytes, formatWeights, roleName,
  eventsKey, loadEvents, saveEvent, deleteEvent, checkEvent, metricQueries, series, niceMax, chartGeometry, fnPath, functionRef,
} from './lambdafmt.js';

// memoryStorage is the part of the Storage interface the events use.
function memoryStorage() {
  const m = new Map();
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)) };
}

test('parseReport reads the last REPORT line', () => {
  const log = 'START RequestId: a Version: $LATEST\nhello\nEND RequestId: a\n' +
    'REPORT RequestId: a\tDuration: 1.50 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 41 MB\t\n' +
    'REPORT RequestId: b\tDuration: 12.25 ms\tBilled Duration: 13 ms\tMemory Size: 256 MB\tMax Memory Used: 50 MB\tInit Duration: 80.10 ms\t\n';
  const r = parseReport(log);
  assert.equal(r.requestId, 'b');
  assert.equal(r.duration, 12.25);
  assert.equal(r.billedDuration, 13);
  assert.equal(r.memorySize, 256);
  assert.equal(r.maxMemoryUsed, 50);
  assert.equal(r.initDuration, 80.1);
  assert.ok(r.line.startsWith('REPORT RequestId: b'));
  assert.equal(parseReport('REPORT RequestId: a\tDuration: 1.00 ms').initDuration, null);
  assert.equal(parseReport('no report here'), null);
  assert.equal(parseReport(undefined), null);
});

test('decodeLogResult decodes base64 UTF-8', () => {
  assert.equal(decodeLogResult(Buffer.from('héllo ✓\n').toString('base64')), 'héllo ✓\n');
  assert.equal(decodeLogResult(''), '');
  assert.equal(decodeLogResult(null), '');
});

test('filterFunctions matches names ignoring case', () => {
  const fns = [{ FunctionName: 'orders-api' }, { FunctionName: 'Billing' }, { FunctionName: 'order-sync' }];
  assert.deepEqual(filterFunctions(fns, 'ORDER').map((f) => f.FunctionName), ['orders-api', 'order-sync']);
  assert.deepEqual(filterFunctions(fns, '  '), fns);
  assert.deepEqual(filterFunctions(fns, 'nothing'), []);
});

test('formats', () => {
  assert.equal(formatTimeout(3), '0 min 3 sec');
  assert.equal(formatTimeout(900), '15 min 0 sec');
  assert.equal(formatBytes(299), '299 bytes');
  assert.equal(formatBytes(1536), '1.5 kB');
  assert.equal(formatBytes(2300000), '2.3 MB');
  assert.equal(formatWeights('2', { AdditionalVersionWeights: { 3: 0.1 } }), '2: 90%, 3: 10%');
  assert.equal(formatWeights('1', undefined), '1: 100%');
  assert.equal(roleName('arn:aws:iam::123456789012:role/service-role/fn-role'), 'fn-role');
  assert.equal(eventsKey('123456789012', 'fn'), 'rolecall:events:123456789012:fn');
});

test('saved events', () => {
  const s = memoryStorage();
  const key = eventsKey('1', 'fn');
  assert.deepEqual({ ...loadEvents(s, key) }, {});
  saveEvent(s, key, 'hello', '{"a":1}');
  saveEvent(s, key, 'second_2', '[]');
  assert.deepEqual({ ...loadEvents(s, key) }, { hello: '{"a":1}', second_2: '[]' });
  assert.throws(() => saveEvent(s, key, 'bad name', '{}'), /Event name must contain/);
  assert.throws(() => saveEvent(s, key, 'x'.repeat(26), '{}'), /Event name must contain/);
  assert.throws(() => saveEvent(s, key, 'ok', '{'), /error in your JSON event/);
  assert.deepEqual({ ...deleteEvent(s, key, 'hello') }, { second_2: '[]' });
  s.setItem(key, 'not json');
  assert.deepEqual({ ...loadEvents(s, key) }, {});
  s.setItem(key, '[1]');
  assert.deepEqual({ ...loadEvents(s, key) }, {});
  assert.doesNotThrow(() => checkEvent('"text"'));
});

test('metricQueries names each metric and statistic', () => {
  const start = new Date('2026-01-01T00:00:00Z');
  const end = new Date('2026-01-01T03:00:00Z');
  const p = metricQueries('fn', start, end, 300);
  assert.equal(p.StartTime, '2026-01-01T00:00:00.000Z');
  assert.equal(p['MetricDataQueries.member.1.Id'], 'inv');
  assert.equal(p['MetricDataQueries.member.1.MetricStat.Metric.MetricName'], 'Invocations');
  assert.equal(p['MetricDataQueries.member.4.MetricStat.Stat'], 'Average');
  assert.equal(p['MetricDataQueries.member.5.MetricStat.Stat'], 'Maximum');
  assert.equal(p['MetricDataQueries.member.2.MetricStat.Metric.Dimensions.member.1.Value'], 'fn');
  assert.equal(p['MetricDataQueries.member.3.MetricStat.Period'], '300');
});

test('series fills the period grid', () => {
  const start = new Date('2026-01-01T00:00:00Z');
  const end = new Date('2026-01-01T00:20:00Z');
  const s = series(['2026-01-01T00:05:00Z', '2026-01-01T00:15:00Z'], ['3', '1'], start, end, 300, 0);
  assert.deepEqual(s.map((p) => p.v), [0, 3, 0, 1]);
  const d = series(['2026-01-01T00:05:00Z'], ['12.5'], start, end, 300, null);
  assert.deepEqual(d.map((p) => p.v), [null, 12.5, null, null]);
  assert.deepEqual(series(['2025-01-01T00:00:00Z'], ['9'], start, end, 300, 0).map((p) => p.v), [0, 0, 0, 0]);
});

test('chartGeometry scales and breaks lines at gaps', () => {
  assert.equal(niceMax(0), 1);
  assert.equal(niceMax(3), 5);
  assert.equal(niceMax(10), 10);
  assert.equal(niceMax(11), 20);
  assert.equal(niceMax(0.3), 0.5);
  const g = chartGeometry([[{ v: 0 }, { v: 5 }, { v: null }, { v: 5 }]], 130, 110, 5);
  assert.equal(g.top, 5);
  assert.deepEqual(g.lines[0], ['5.0,105.0 45.0,5.0', '125.0,5.0']);
  assert.deepEqual(g.ticks.map((t) => t.label), ['0', '2.5', '5']);
  assert.equal(chartGeometry([[]], 100, 100, 0).lines[0].length, 0);
});

test('fnPath encodes the name', () => {
  assert.equal(fnPath('a:b', '/versions'), '/2015-03-31/functions/a%3Ab/versions');
});

test('functionRef reads names, qualified names and ARNs as Lambda does', () => {
  const arn = 'arn:aws:lambda:us-east-1:123456789012:function:f';
  assert.deepEqual(functionRef('f'), { name: 'f', qualifier: '', account: '', unqualified: 'f' });
  assert.deepEqual(functionRef('f:prod'), { name: 'f', qualifier: 'prod', account: '', unqualified: 'f' });
  assert.deepEqual(functionRef('f:$LATEST'), { name: 'f', qualifier: '$LATEST', account: '', unqualified: 'f' });
  assert.deepEqual(functionRef(arn), { name: 'f', qualifier: '', account: '123456789012', unqualified: arn });
  assert.deepEqual(functionRef(`${arn}:7`), { name: 'f', qualifier: '7', account: '123456789012', unqualified: arn });
  assert.deepEqual(functionRef('123456789012:function:f:prod'),
    { name: 'f', qualifier: 'prod', account: '123456789012', unqualified: '123456789012:function:f' });
});

test('metricQueries of a qualified function add the Resource dimension', () => {
  const start = new Date('2026-01-01T00:00:00Z');
  const p = metricQueries('f', start, new Date('2026-01-01T01:00:00Z'), 60, 'prod');
  assert.equal(p['MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value'], 'f');
  assert.equal(p['MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.2.Name'], 'Resource');
  assert.equal(p['MetricDataQueries.member.5.MetricStat.Metric.Dimensions.member.2.Value'], 'f:prod');
  assert.equal(metricQueries('f', start, start, 60)['MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.2.Name'], undefined);
});

test('saveEvent keeps events whose names are Object\'s own', () => {
  const st = memoryStorage();
  for (const name of ['__proto__', 'constructor', 'toString']) saveEvent(st, 'k', name, `{"n":"${name}"}`);
  const events = loadEvents(st, 'k');
  assert.deepEqual(Object.keys(events).sort(), ['__proto__', 'constructor', 'toString']);
  assert.equal(events.__proto__, '{"n":"__proto__"}');
  assert.deepEqual(Object.keys(deleteEvent(st, 'k', '__proto__')).sort(), ['constructor', 'toString']);
});

test('saved events: any valid name is kept, a damaged entry reads as text only', () => {
  const s = memoryStorage();
  for (const n of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) saveEvent(s, 'k', n, `{"n":"${n}"}`);
  const events = loadEvents(s, 'k');
  assert.deepEqual(Object.keys(events).sort(), ['__proto__', 'constructor', 'hasOwnProperty', 'toString']);
  assert.equal(events.__proto__, '{"n":"__proto__"}');
  assert.equal('valueOf' in events, false);
  s.setItem('k2', '{"a":{"b":1},"c":"{}","__proto__":{"polluted":true}}');
  const damaged = loadEvents(s, 'k2');
  assert.deepEqual(Object.keys(damaged), ['c']);
  assert.equal(({}).polluted, undefined);
  deleteEvent(s, 'k', '__proto__');
  assert.deepEqual(Object.keys(loadEvents(s, 'k')).sort(), ['constructor', 'hasOwnProperty', 'toString']);
});
