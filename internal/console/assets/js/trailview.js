// What the Trail pages compute without a DOM: the filters a /console/trail
// URL names and the LookupEvents request they make, the paging through
// NextToken, what a CloudTrail record says (its error code, whether it is a
// denial), and the text of a policy document with its decisive statements
// marked. The pages (pages/trail.js) only draw what these return.

// LookupEvents' lookup attribute keys, in the order the CloudTrail console
// lists them (CloudTrail API Reference, LookupAttribute.AttributeKey).
export const ATTRIBUTES = [
  {key: 'EventName', label: 'Event name'},
  {key: 'Username', label: 'User name'},
  {key: 'EventSource', label: 'Event source'},
  {key: 'ResourceType', label: 'Resource type'},
  {key: 'ResourceName', label: 'Resource name'},
  {key: 'ReadOnly', label: 'Read-only'},
  {key: 'AccessKeyId', label: 'AWS access key'},
  {key: 'EventId', label: 'Event ID'},
];

// The time ranges the page offers; seconds is how far back a preset
// reaches from now. "all" sends no StartTime (CloudTrail's event history
// then answers its whole 90 days).
export const RANGES = [
  {id: 'all', label: 'All events'},
  {id: '1h', label: 'Last hour', seconds: 3600},
  {id: '24h', label: 'Last 24 hours', seconds: 86400},
  {id: '7d', label: 'Last 7 days', seconds: 7 * 86400},
  {id: 'custom', label: 'Custom range'},
];

// PAGE_SIZE is LookupEvents' largest MaxResults.
export const PAGE_SIZE = 50;

const attributeKeys = new Set(ATTRIBUTES.map((a) => a.key));
const rangeIds = new Set(RANGES.map((r) => r.id));

// CATEGORIES are the kinds of events the page lists: CloudTrail's event
// history holds management events only; data events (s3:GetObject,
// dynamodb:GetItem, lambda:Invoke, …) come from rolecall's own
// LookupEvents (POST /v1/events/lookup), which takes Category.
export const CATEGORIES = [
  { id: 'management', label: 'Management events', category: 'Management' },
  { id: 'data', label: 'Data events', category: 'Data' },
  { id: 'all', label: 'All events', category: 'All' },
];
const categoryIds = new Set(CATEGORIES.map((c) => c.id));

/** categoryOf is the Category of rolecall's LookupEvents for a CATEGORIES id. */
export function categoryOf(id) {
  return (CATEGORIES.find((c) => c.id === id) || CATEGORIES[0]).category;
}

// readFilters reads the filters of a /console/trail URL's query
// (URLSearchParams): attribute and value (a lookup attribute), range (a
// RANGES id), for a custom range start and end (ISO 8601 strings, either
// may be empty), and events (a CATEGORIES id). Unknown attributes, ranges
// and categories read as none, "all" and "management".
export function readFilters(query) {
  const attribute = query.get('attribute') || '';
  const range = query.get('range') || 'all';
  const events = query.get('events') || 'management';
  const f = {
    attribute: attributeKeys.has(attribute) ? attribute : '',
    value: query.get('value') || '',
    range: rangeIds.has(range) ? range : 'all',
    start: '',
    end: '',
    events: categoryIds.has(events) ? events : 'management',
  };
  if (!f.attribute) f.value = '';
  if (f.range === 'custom') {
    f.start = query.get('start') || '';
    f.end = query.get('end') || '';
  }
  return f;
}

// filterQuery is the query string ("" or "?...") naming filters f, the
// inverse of readFilters: empty and default parts are left out.
export function filterQuery(f) {
  const q = new URLSearchParams();
  if (f.attribute && f.value) {
    q.set('attribute', f.attribute);
    q.set('value', f.value);
  }
  if (f.range && f.range !== 'all') q.set('range', f.range);
  if (f.range === 'custom') {
    if (f.start) q.set('start', f.start);
    if (f.end) q.set('end', f.end);
  }
  if (f.events && f.events !== 'management') q.set('events', f.events);
  const s = q.toString();
  return s ? '?' + s : '';
}

// lookupRequest is the LookupEvents body (awsJson1.1: times in epoch
// seconds) for filters f at nowMs (epoch milliseconds), without NextToken.
// A preset range sends StartTime only, so that the request (which a
// NextToken is bound to) stays the same from page to page. It throws an
// Error for a custom time that is not a date.
export function lookupRequest(f, nowMs) {
  const body = {MaxResults: PAGE_SIZE};
  if (f.attribute && f.value) {
    body.LookupAttributes = [{AttributeKey: f.attribute, AttributeValue: f.value}];
  }
  const preset = RANGES.find((r) => r.id === f.range);
  if (preset && preset.seconds) {
    body.StartTime = Math.floor(nowMs / 1000) - preset.seconds;
  } else if (f.range === 'custom') {
    if (f.start) body.StartTime = epochSeconds(f.start, 'Start time');
    if (f.end) body.EndTime = epochSeconds(f.end, 'End time');
  }
  return body;
}

function epochSeconds(iso, what) {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`${what} "${iso}" is not a date.`);
  return Math.floor(ms / 1000);
}

// Pager keeps the NextTokens of the pages seen, so that Previous goes back
// without asking again for the tokens: token is the current page's
// NextToken to send (undefined on the first page), page its number from 1.
export class Pager {
  constructor() {
    this.tokens = [undefined];
  }
  get token() {
    return this.tokens[this.tokens.length - 1];
  }
  get page() {
    return this.tokens.length;
  }
  get hasPrevious() {
    return this.tokens.length > 1;
  }
  // next moves to the page next (the NextToken the current page returned).
  next(next) {
    if (!next) throw new Error('there is no next page');
    this.tokens.push(next);
  }
  // previous moves back a page.
  previous() {
    if (this.tokens.length > 1) this.tokens.pop();
  }
}

// parseRecord is a LookupEvents CloudTrailEvent string as an object, or
// null when it is not JSON.
export function parseRecord(text) {
  if (!text) return null;
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? v : null;
  } catch {
    return null;
  }
}

// The error codes services answer for a refused authorization: IAM, STS,
// S3 and CloudWatch (AccessDenied), the JSON services
// (AccessDeniedException), EC2 (UnauthorizedOperation, with or without its
// "Client." prefix), SNS (AuthorizationError), KMS and others.
const denialCodes = new Set([
  'AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', 'Client.UnauthorizedOperation',
  'AuthorizationError', 'AuthorizationErrorException', 'UnauthorizedException', 'Forbidden',
  'ForbiddenException', 'NotAuthorized', 'NotAuthorizedException', 'AccessDeniedFault',
]);

// isDenial reports whether an event's errorCode is an authorization refusal.
export function isDenial(code) {
  return Boolean(code) && denialCodes.has(code);
}

// summarize is what the event list shows of one LookupEvents event: id,
// time (epoch seconds), name, user, source, resources (["Type: name"]),
// errorCode, errorMessage, denied, and record (the parsed CloudTrail record
// or null).
export function summarize(ev) {
  const record = parseRecord(ev.CloudTrailEvent);
  const errorCode = (record && record.errorCode) || '';
  return {
    id: ev.EventId,
    time: ev.EventTime,
    name: ev.EventName,
    user: ev.Username || (record && record.userIdentity && record.userIdentity.type) || '',
    source: ev.EventSource,
    resources: (ev.Resources || []).map((r) => (r.ResourceType ? `${r.ResourceType}: ${r.ResourceName}` : r.ResourceName)),
    errorCode,
    errorMessage: (record && record.errorMessage) || '',
    denied: isDenial(errorCode),
    record,
  };
}

// parseDocument reads a policy document given as an object, as JSON, or as
// URL-encoded JSON (as IAM returns documents); null when it is none.
export function parseDocument(doc) {
  if (doc && typeof doc === 'object') return doc;
  if (typeof doc !== 'string' || doc === '') return null;
  for (const text of [doc, safeDecode(doc)]) {
    try {
      const v = JSON.parse(text);
      if (v && typeof v === 'object') return v;
    } catch {
      // try the next reading
    }
  }
  return null;
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

// documentSegments is the pretty JSON (2-space indents, as JSON.stringify)
// of a policy document cut into segments [{text, index, mark}]: each
// statement of its Statement (an array, or a single object as index 0) is a
// segment of its own with its index, marked when marks (a Set of indexes)
// has it; the text around them has index -1. Joined, the texts are the
// whole document. A document that is not an object is one unmarked segment.
export function documentSegments(doc, marks = new Set()) {
  const d = parseDocument(doc);
  if (!d) return [{text: typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2), index: -1, mark: false}];
  if (!('Statement' in d)) return [{text: JSON.stringify(d, null, 2), index: -1, mark: false}];
  const sentinel = '\u0000statements\u0000';
  const whole = JSON.stringify({...d, Statement: sentinel}, null, 2);
  const at = whole.indexOf(JSON.stringify(sentinel));
  const before = whole.slice(0, at);
  const after = whole.slice(at + JSON.stringify(sentinel).length);
  const st = d.Statement;
  const segs = [{text: before, index: -1, mark: false}];
  const indent = (text, pad) => text.split('\n').join('\n' + pad);
  if (Array.isArray(st)) {
    if (st.length === 0) {
      segs.push({text: '[]', index: -1, mark: false});
    } else {
      segs.push({text: '[\n    ', index: -1, mark: false});
      st.forEach((s, i) => {
        if (i > 0) segs.push({text: ',\n    ', index: -1, mark: false});
        segs.push({text: indent(JSON.stringify(s, null, 2), '    '), index: i, mark: marks.has(i)});
      });
      segs.push({text: '\n  ]', index: -1, mark: false});
    }
  } else {
    segs.push({text: indent(JSON.stringify(st, null, 2), '  '), index: 0, mark: marks.has(0)});
  }
  segs.push({text: after, index: -1, mark: false});
  return segs;
}

// POLICY_KINDS names the kinds of policy an explanation lists.
export const POLICY_KINDS = {
  identity: 'Identity-based policy',
  resource: 'Resource-based policy',
  boundary: 'Permissions boundary',
  session: 'Session policy',
  scp: 'Service control policy',
  rcp: 'Resource control policy',
  endpoint: 'VPC endpoint policy',
};

// policyName is how a policy of an explanation is named: an inline
// policy by its name, a managed policy by the last part of its ARN, a
// resource's policy by the kind alone.
export function policyName(p) {
  if (p.Name) return p.Name;
  if (p.Arn) return p.Arn.slice(p.Arn.lastIndexOf('/') + 1);
  return '';
}

// kindLabel is the words for a policy kind.
export function kindLabel(kind) {
  return POLICY_KINDS[kind] || kind || 'Policy';
}

// decisiveIndexes is the set of statement indexes of policy p (an
// explanation's Policies entry) that the explanation's Decisive list names.
export function decisiveIndexes(explanation, p) {
  const marks = new Set();
  for (const d of explanation.Decisive || []) {
    if (d.Kind !== p.Kind) continue;
    const same = d.PolicyArn && p.Arn ? d.PolicyArn === p.Arn : d.PolicyName === p.Name;
    if (same && Number.isInteger(d.Index)) marks.add(d.Index);
  }
  return marks;
}

// verdict is the explanation's decision in plain words: a headline
// ("Denied because no identity-based policy allows the s3:GetObject
// action.", "Denied with an explicit deny in an identity-based policy.") and the sentences that name the decisive statements or the
// missing allow.
export function verdict(x) {
  const what = [x.Action, x.Resource && `on ${x.Resource}`].filter(Boolean).join(' ');
  const word = x.Decision === 'Allow' ? 'Allowed' : 'Denied';
  const reason = (x.Reason || '').trim().replace(/\.$/, '');
  let headline = word + (x.Decision === 'ExplicitDeny' && !reason ? ' by an explicit deny.' : '.');
  if (/^(because|with)\b/i.test(reason)) headline = `${word} ${reason}.`;
  else if (reason) headline = `${word}: ${reason}.`;
  const lines = [];
  if (x.Decision === 'ExplicitDeny') {
    for (const d of x.Decisive || []) {
      const policy = d.PolicyName || d.PolicyArn || '';
      lines.push(`${statementName(d)} of the ${kindLabel(d.Kind).toLowerCase()}${policy ? ' ' + policy : ''} denies ${what}.`);
    }
  } else if (x.Decision !== 'Allow' && x.Missing) {
    lines.push(`No ${kindLabel(x.Missing).toLowerCase()} allows ${what}.`);
  }
  const recorded = {ImplicitDeny: 'denied (no policy allowed it)', ExplicitDeny: 'denied by an explicit deny', Allow: 'allowed'}[x.RecordedDecision];
  if (recorded && x.RecordedDecision !== x.Decision) {
    lines.push(`When it was made, the request was ${recorded}; the decision above is with the policies as they are now.`);
  }
  return {headline, lines};
}

// statementName is how a decisive statement is named: by its Sid, else by
// its place in the policy.
export function statementName(d) {
  return d.Sid ? `The statement "${d.Sid}"` : `Statement ${Number(d.Index) + 1}`;
}

// queryParameters flattens an explanation fix's Operation.Parameters for
// an AWS query-protocol call (IAM): strings stay, objects (a policy
// document) become their JSON, numbers and booleans their text.
export function queryParameters(params) {
  const out = {};
  for (const [k, v] of Object.entries(params || {})) {
    if (v === null || v === undefined) continue;
    out[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

// fixOperations are the calls an explanation's fix may make, each with
// the parameters it takes (all required, all strings): IAM's changes of
// an identity's policies, a role's trust policy and a managed policy's
// default version, S3's bucket policy and KMS's key policy.
const fixOperations = {
  'iam:PutRolePolicy': ['RoleName', 'PolicyName', 'PolicyDocument'],
  'iam:PutUserPolicy': ['UserName', 'PolicyName', 'PolicyDocument'],
  'iam:DeleteRolePolicy': ['RoleName', 'PolicyName'],
  'iam:DeleteUserPolicy': ['UserName', 'PolicyName'],
  'iam:DetachRolePolicy': ['RoleName', 'PolicyArn'],
  'iam:DetachUserPolicy': ['UserName', 'PolicyArn'],
  'iam:DeleteRolePermissionsBoundary': ['RoleName'],
  'iam:DeleteUserPermissionsBoundary': ['UserName'],
  'iam:CreatePolicyVersion': ['PolicyArn', 'PolicyDocument', 'SetAsDefault'],
  'iam:UpdateAssumeRolePolicy': ['RoleName', 'PolicyDocument'],
  's3:PutBucketPolicy': ['Bucket', 'Policy'],
  's3:DeleteBucketPolicy': ['Bucket'],
  'kms:PutKeyPolicy': ['KeyId', 'PolicyName', 'Policy'],
};

// knownFixOperation reports whether the console makes op, a fix's
// Operation ({Service, Action, Parameters}): one of fixOperations with
// exactly its parameters, each a non-empty string. The page refuses any
// other call, whatever the explanation says.
export function knownFixOperation(op) {
  if (!op || typeof op !== 'object') return false;
  const want = Object.hasOwn(fixOperations, `${op.Service}:${op.Action}`) ? fixOperations[`${op.Service}:${op.Action}`] : null;
  const p = op.Parameters;
  if (!want || !p || typeof p !== 'object' || Array.isArray(p)) return false;
  const keys = Object.keys(p);
  return keys.length === want.length && want.every((k) => Object.hasOwn(p, k) && typeof p[k] === 'string' && p[k] !== '');
}
