// Parsing and formatting for the Functions pages, free of the DOM so that
// node unit tests can run it (lambdafmt.test.mjs).

// parseReport returns the figures of the last REPORT line of a Lambda log
// ("REPORT RequestId: ID\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory
// Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 90.10 ms"): an
// object {line, requestId, duration, billedDuration, memorySize,
// maxMemoryUsed, initDuration} with numbers in ms and MB (initDuration is
// null without a cold start), or null when the text has no REPORT line.
export function parseReport(text) {
  const lines = String(text || '').split('\n').filter((l) => l.startsWith('REPORT RequestId:'));
  if (lines.length === 0) return null;
  const line = lines[lines.length - 1].trimEnd();
  const fields = {};
  for (const part of line.split('\t')) {
    const i = part.indexOf(':');
    if (i > 0) fields[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  const num = (k) => (fields[k] === undefined ? null : parseFloat(fields[k]));
  return {
    line,
    requestId: fields['REPORT RequestId'] || '',
    duration: num('Duration'),
    billedDuration: num('Billed Duration'),
    memorySize: num('Memory Size'),
    maxMemoryUsed: num('Max Memory Used'),
    initDuration: num('Init Duration'),
  };
}

// decodeLogResult decodes Invoke's X-Amz-Log-Result header (base64 of the
// last 4 KB of the invocation's log, UTF-8) into text; "" for none.
export function decodeLogResult(b64) {
  if (!b64) return '';
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder('utf-8').decode(bytes);
}

// filterFunctions keeps the functions whose name contains the query,
// ignoring case, as the Lambda console's search box does as you type.
export function filterFunctions(functions, query) {
  const q = String(query || '').trim().toLowerCase();
  if (!q) return functions;
  return functions.filter((f) => String(f.FunctionName || '').toLowerCase().includes(q));
}

// formatTimeout formats a timeout in seconds as the console does: "0 min 3 sec".
export function formatTimeout(seconds) {
  const s = Number(seconds) || 0;
  return `${Math.floor(s / 60)} min ${s % 60} sec`;
}

// formatBytes formats a size in bytes: "299 bytes", "1.5 kB", "2.3 MB".
export function formatBytes(n) {
  const b = Number(n) || 0;
  if (b < 1000) return `${b} bytes`;
  if (b < 1e6) return `${(b / 1e3).toFixed(1)} kB`;
  return `${(b / 1e6).toFixed(1)} MB`;
}

// formatWeights describes an alias's traffic: "2: 90%, 3: 10%" for an alias
// of version 2 whose RoutingConfig sends 0.1 to version 3, "2: 100%"
// without one.
export function formatWeights(functionVersion, routingConfig) {
  const extra = Object.entries((routingConfig && routingConfig.AdditionalVersionWeights) || {});
  const rest = 1 - extra.reduce((sum, [, w]) => sum + Number(w), 0);
  const pct = (w) => `${Math.round(w * 1000) / 10}%`;
  return [[functionVersion, rest], ...extra].map(([v, w]) => `${v}: ${pct(Number(w))}`).join(', ');
}

// roleName is the name of a role from its ARN (the last path segment).
export function roleName(arn) {
  const s = String(arn || '');
  return s.slice(s.lastIndexOf('/') + 1);
}

// fnPath is the path of a function's Lambda REST resource, with rest
// (such as "/versions") appended.
export function fnPath(name, rest = '') {
  return `/2015-03-31/functions/${encodeURIComponent(name)}${rest}`;
}

// functionRef splits the function of a page's path as Lambda reads its
// FunctionName parameter: a name ("f"), a name with a qualifier
// ("f:prod"), a partial ARN ("123456789012:function:f[:q]") or an ARN
// ("arn:aws:lambda:us-east-1:123456789012:function:f[:q]"). It returns
// {name (the bare function name), qualifier ("" when none), account (""
// unless the path names one), unqualified (the path without its
// qualifier, for the operations that refuse one: ListVersionsByFunction,
// ListAliases)}.
export function functionRef(path) {
  const s = String(path || '');
  let prefix = '';
  let rest = s;
  let account = '';
  const i = s.indexOf(':function:');
  if (i >= 0) {
    prefix = s.slice(0, i + ':function:'.length);
    rest = s.slice(prefix.length);
    const head = s.slice(0, i).split(':');
    account = head[head.length - 1];
  }
  const j = rest.indexOf(':');
  const name = j >= 0 ? rest.slice(0, j) : rest;
  const qualifier = j >= 0 ? rest.slice(j + 1) : '';
  return { name, qualifier, account, unqualified: prefix + name };
}

// eventsKey is the localStorage key of a function's saved test events.
export function eventsKey(account, functionName) {
  return `rolecall:events:${account}:${functionName}`;
}

const eventName = /^[A-Za-z0-9_-]{1,25}$/;

// loadEvents reads the saved events under key from a Storage ({name: json
// text}, an object without a prototype, so any name, "__proto__" too, is
// an event's); a missing or damaged entry reads as none, an entry that is
// not text is left out.
export function loadEvents(storage, key) {
  const events = Object.create(null);
  let v;
  try {
    v = JSON.parse(storage.getItem(key) || '{}');
  } catch {
    return events;
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return events;
  for (const [name, text] of Object.entries(v)) {
    if (typeof text === 'string') events[name] = text;
  }
  return events;
}

// saveEvent stores a named event after checking it as Lambda's console
// does: the name has 1 to 25 letters, digits, dashes and underscores, the
// text is JSON. It throws an Error with the console's message otherwise
// and returns the events saved.
export function saveEvent(storage, key, name, text) {
  if (!eventName.test(name)) {
    throw new Error('Event name must contain 1 to 25 characters, and only alphanumeric characters, dashes and underscores.');
  }
  checkEvent(text);
  const events = loadEvents(storage, key);
  // Defined, not assigned: a name such as "__proto__" is an event too.
  Object.defineProperty(events, name, { value: text, enumerable: true, writable: true, configurable: true });
  storage.setItem(key, JSON.stringify(events));
  return events;
}

// deleteEvent removes a saved event and returns the events left.
export function deleteEvent(storage, key, name) {
  const events = loadEvents(storage, key);
  delete events[name];
  storage.setItem(key, JSON.stringify(events));
  return events;
}

// checkEvent throws an Error naming the problem when text is not JSON.
export function checkEvent(text) {
  try {
    JSON.parse(text);
  } catch (e) {
    throw new Error(`There is an error in your JSON event. Correct it and try again. (${e.message})`);
  }
}

// metricQueries are GetMetricData's flat query parameters (CloudWatch,
// query protocol) for a function's AWS/Lambda metrics between start and
// end (Date) at period seconds: Invocations, Errors and Throttles (Sum),
// Duration (Average and Maximum), with ids inv, err, thr, davg, dmax.
// functionName is the bare name; with a qualifier (a version or an alias)
// the metrics are those Lambda emits for it, under the dimensions
// FunctionName and Resource ("name:qualifier").
export function metricQueries(functionName, start, end, period, qualifier = '') {
  const q = [
    ['inv', 'Invocations', 'Sum'],
    ['err', 'Errors', 'Sum'],
    ['thr', 'Throttles', 'Sum'],
    ['davg', 'Duration', 'Average'],
    ['dmax', 'Duration', 'Maximum'],
  ];
  const p = { StartTime: start.toISOString(), EndTime: end.toISOString() };
  q.forEach(([id, metric, stat], i) => {
    const m = `MetricDataQueries.member.${i + 1}.`;
    p[`${m}Id`] = id;
    p[`${m}MetricStat.Metric.Namespace`] = 'AWS/Lambda';
    p[`${m}MetricStat.Metric.MetricName`] = metric;
    p[`${m}MetricStat.Metric.Dimensions.member.1.Name`] = 'FunctionName';
    p[`${m}MetricStat.Metric.Dimensions.member.1.Value`] = functionName;
    if (qualifier) {
      p[`${m}MetricStat.Metric.Dimensions.member.2.Name`] = 'Resource';
      p[`${m}MetricStat.Metric.Dimensions.member.2.Value`] = `${functionName}:${qualifier}`;
    }
    p[`${m}MetricStat.Period`] = String(period);
    p[`${m}MetricStat.Stat`] = stat;
  });
  return p;
}

// series places a metric's (timestamp, value) pairs on the period grid from
// start to end (Date): one {t (ms), v} per period, v from the pair whose
// timestamp falls in that period, else fill (0 for counts, null for
// statistics that have no value without data).
export function series(timestamps, values, start, end, period, fill) {
  const step = period * 1000;
  const from = Math.floor(start.getTime() / step) * step;
  const out = [];
  for (let t = from; t < end.getTime(); t += step) out.push({ t, v: fill });
  timestamps.forEach((ts, i) => {
    const k = Math.floor((new Date(ts).getTime() - from) / step);
    if (k >= 0 && k < out.length) out[k].v = Number(values[i]);
  });
  return out;
}

// niceMax rounds a chart's highest value up to 1, 2 or 5 times a power of
// ten, so that the axis reads well; at least 1.
export function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

// chartGeometry lays series out in a box of width × height with pad on
// each side: for each series the SVG polyline points ("x,y x,y", a gap
// where v is null starts a new run), and the y axis ticks {y, label} at 0,
// half and the top.
export function chartGeometry(list, width, height, pad) {
  const n = Math.max(1, ...list.map((s) => s.length)) - 1 || 1;
  const top = niceMax(Math.max(0, ...list.flat().map((p) => (p.v == null ? 0 : p.v))));
  const x = (i) => pad + (i * (width - 2 * pad)) / n;
  const y = (v) => height - pad - (v / top) * (height - 2 * pad);
  const lines = list.map((s) => {
    const runs = [];
    let run = [];
    s.forEach((p, i) => {
      if (p.v == null) {
        if (run.length) runs.push(run);
        run = [];
        return;
      }
      run.push(`${x(i).toFixed(1)},${y(p.v).toFixed(1)}`);
    });
    if (run.length) runs.push(run);
    return runs.map((r) => r.join(' '));
  });
  const ticks = [0, top / 2, top].map((v) => ({ y: y(v), label: String(Math.round(v * 100) / 100) }));
  return { lines, ticks, top };
}
