// The console's AWS clients. Every call is signed (sigv4.js) with the
// credentials the user signed in with and sent to the origin that served
// the console, speaking each service's own protocol: the query protocol
// (IAM, STS, CloudWatch), awsJson1.1 (CloudTrail, CloudWatch Logs) and
// REST-JSON (Lambda, Access Analyzer, rolecall's own API).
import { sign } from './sigv4.js';

/** AwsError is an error answer of the API: AWS's code, message and HTTP status. */
export class AwsError extends Error {
  constructor(code, message, status, requestId) {
    super(message || code);
    this.name = 'AwsError';
    this.code = code || 'UnknownError';
    this.status = status;
    this.requestId = requestId || '';
  }
}

/** list reads a list member that may be absent or empty: [] | [x] | x. */
export function list(x) {
  if (x === undefined || x === null || x === '') return [];
  return Array.isArray(x) ? x : [x];
}

/** enc percent-encodes one path segment. */
export const enc = (s) => encodeURIComponent(s);

// Query-protocol versions by signing name.
const queryVersions = { iam: '2010-05-08', sts: '2011-06-15', monitoring: '2010-08-01' };

// awsJson1.1 target prefixes by signing name.
const jsonTargets = { cloudtrail: 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101', logs: 'Logs_20140328' };

/** xmlToObject converts an element: a leaf is its text, <member> children an array, repeated children arrays. */
export function xmlToObject(el) {
  const kids = Array.from(el.children);
  if (kids.length === 0) return el.textContent;
  if (kids.every((k) => k.localName === 'member')) return kids.map(xmlToObject);
  const out = {};
  const repeated = new Set();
  for (const k of kids) {
    const name = k.localName;
    const v = xmlToObject(k);
    if (!(name in out)) {
      out[name] = v;
    } else if (repeated.has(name)) {
      out[name].push(v);
    } else {
      out[name] = [out[name], v];
      repeated.add(name);
    }
  }
  return out;
}

function child(el, name) {
  return el ? Array.from(el.children).find((c) => c.localName === name) : undefined;
}

/** Client signs and sends calls for one set of credentials. */
export class Client {
  /**
   * @param {{accessKeyId: string, secretAccessKey: string, sessionToken?: string, region: string, endpoint?: string}} opts
   */
  constructor({ accessKeyId, secretAccessKey, sessionToken, region, endpoint }) {
    this.credentials = { accessKeyId, secretAccessKey, sessionToken: sessionToken || undefined };
    this.region = region;
    this.endpoint = endpoint || globalThis.location.origin;
  }

  async send(service, method, path, { query, body = '', headers = {} } = {}) {
    const url = new URL(this.endpoint + path);
    for (const [k, v] of Object.entries(query || {})) {
      if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, v);
    }
    const signed = sign({
      method, url: url.toString(), headers, body, service,
      region: service === 'iam' ? 'us-east-1' : this.region, credentials: this.credentials,
    });
    let res;
    try {
      // A redirect is refused, not followed: it would carry the signed headers
      // (the session token among them) to wherever it points.
      res = await fetch(url, { method, headers: signed, body: method === 'GET' || method === 'HEAD' ? undefined : body, credentials: 'omit', cache: 'no-store', redirect: 'error' });
    } catch (e) {
      throw new AwsError('NetworkError', `Could not reach rolecall at ${this.endpoint}: ${e.message}`, 0);
    }
    return res;
  }

  async query(service, action, params = {}) {
    const form = new URLSearchParams({ Action: action, Version: queryVersions[service] });
    for (const [k, v] of Object.entries(params)) {
      if (v !== undefined && v !== null) form.append(k, String(v));
    }
    const res = await this.send(service, 'POST', '/', {
      body: form.toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
    });
    const text = await res.text();
    const doc = new DOMParser().parseFromString(text, 'application/xml');
    const root = doc.documentElement;
    if (!res.ok || root.localName === 'ErrorResponse') {
      const err = child(root, 'Error') || root;
      throw new AwsError(child(err, 'Code')?.textContent || `HTTP${res.status}`,
        child(err, 'Message')?.textContent || text.slice(0, 200), res.status,
        child(root, 'RequestId')?.textContent || res.headers.get('x-amzn-requestid'));
    }
    const result = child(root, `${action}Result`);
    return result ? xmlToObject(result) : {};
  }

  iam(action, params) { return this.query('iam', action, params); }
  sts(action, params) { return this.query('sts', action, params); }
  cloudwatch(action, params) { return this.query('monitoring', action, params); }

  async json(service, op, body = {}) {
    const res = await this.send(service, 'POST', '/', {
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `${jsonTargets[service]}.${op}` },
    });
    return readJSON(res);
  }

  cloudtrail(op, body) { return this.json('cloudtrail', op, body); }
  logs(op, body) { return this.json('logs', op, body); }

  /**
   * rest sends a REST-JSON call. opts: {query, body (object or string), headers, raw}.
   * With raw the Response is returned as it came, after errors are thrown.
   */
  async rest(service, method, path, { query, body, headers = {}, raw = false } = {}) {
    const h = { ...headers };
    let payload = '';
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      if (!h['Content-Type']) h['Content-Type'] = 'application/json';
    }
    const res = await this.send(service, method, path, { query, body: payload, headers: h });
    if (raw) {
      if (!res.ok) await readJSON(res);
      return res;
    }
    return readJSON(res);
  }

  lambda(method, path, opts) { return this.rest('lambda', method, path, opts); }
  analyzer(method, path, opts) { return this.rest('access-analyzer', method, path, opts); }
  rolecall(method, path, opts) { return this.rest('rolecall', method, path, opts); }
}

// readJSON returns a JSON answer's body, or throws its error.
async function readJSON(res) {
  const text = await res.text();
  let body = {};
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      if (res.ok) throw new AwsError('SerializationException', `rolecall answered with something that is not JSON: ${text.slice(0, 200)}`, res.status);
      body = { message: text.slice(0, 500) };
    }
  }
  if (res.ok) return body;
  let code = res.headers.get('x-amzn-errortype') || body.__type || body.code || body.Code || `HTTP${res.status}`;
  code = code.split(':')[0];
  code = code.slice(code.lastIndexOf('#') + 1);
  throw new AwsError(code, body.message || body.Message || body.errorMessage || '', res.status, res.headers.get('x-amzn-requestid'));
}
