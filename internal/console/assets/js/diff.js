// Policy documents as the console shows them: decoded, pretty-printed,
// compared line by line, and located statement by statement. Pure
// functions, no DOM, so they are unit-tested with node --test.

/**
 * decodeDocument returns a policy document as IAM stores it. IAM's query
 * API returns documents URL-encoded (RFC 3986: "%7B%22Version%22…"); a
 * document that already starts with "{" is returned as it is, and one that
 * is not valid percent-encoding is returned unchanged.
 * @param {string} s
 * @returns {string}
 */
export function decodeDocument(s) {
  if (s == null) return '';
  s = String(s);
  if (/^\s*[{[]/.test(s)) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * prettyJSON indents a JSON text by two spaces, keeping its members'
 * order; a text that is not JSON is returned unchanged.
 * @param {string} text
 * @returns {string}
 */
export function prettyJSON(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/**
 * lineDiff compares two texts line by line (longest common subsequence)
 * and returns every line of both in order, each as
 * {kind: 'same'|'removed'|'added', text, oldLine, newLine}, with line
 * numbers counted from 1 (null on the side a line is not in).
 * Removed lines come before the added lines that replace them.
 * @param {string} a the old text
 * @param {string} b the new text
 */
export function lineDiff(a, b) {
  const x = splitLines(a);
  const y = splitLines(b);
  // Common head and tail need no table.
  let head = 0;
  while (head < x.length && head < y.length && x[head] === y[head]) head++;
  let tail = 0;
  while (tail < x.length - head && tail < y.length - head &&
         x[x.length - 1 - tail] === y[y.length - 1 - tail]) tail++;
  const xs = x.slice(head, x.length - tail);
  const ys = y.slice(head, y.length - tail);
  const n = xs.length;
  const m = ys.length;
  // lcs[i][j]: the longest common subsequence of xs[i:] and ys[j:].
  const lcs = Array.from({length: n + 1}, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = xs[i] === ys[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = [];
  const same = (i, j) => out.push({kind: 'same', text: x[i], oldLine: i + 1, newLine: j + 1});
  for (let k = 0; k < head; k++) same(k, k);
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && xs[i] === ys[j]) {
      same(head + i, head + j);
      i++;
      j++;
    } else if (j >= m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1])) {
      out.push({kind: 'removed', text: xs[i], oldLine: head + i + 1, newLine: null});
      i++;
    } else {
      out.push({kind: 'added', text: ys[j], oldLine: null, newLine: head + j + 1});
      j++;
    }
  }
  for (let k = 0; k < tail; k++) same(x.length - tail + k, y.length - tail + k);
  return out;
}

function splitLines(s) {
  if (s === '') return [];
  return String(s).replace(/\r\n?/g, '\n').split('\n');
}

/**
 * hunks groups a lineDiff's changes: the indexes (into the diff) of the
 * first line of each run of added or removed lines.
 * @param {{kind: string}[]} diff
 * @returns {number[]}
 */
export function hunks(diff) {
  const out = [];
  for (let k = 0; k < diff.length; k++) {
    if (diff[k].kind !== 'same' && (k === 0 || diff[k - 1].kind === 'same')) out.push(k);
  }
  return out;
}

/**
 * diffStats counts a lineDiff's added and removed lines.
 * @returns {{added: number, removed: number}}
 */
export function diffStats(diff) {
  let added = 0;
  let removed = 0;
  for (const d of diff) {
    if (d.kind === 'added') added++;
    else if (d.kind === 'removed') removed++;
  }
  return {added, removed};
}

/**
 * offsetAt converts a position of text, line and column counted from 1 as
 * IAM's simulator counts them (columns in Unicode code points), into a
 * string index (UTF-16 code units). A position past the end of its line
 * or of the text is clamped to it.
 * @returns {number}
 */
export function offsetAt(text, line, column) {
  let k = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf('\n', k);
    if (nl < 0) return text.length;
    k = nl + 1;
  }
  for (let c = 1; c < column && k < text.length && text[k] !== '\n'; c++) {
    k += text.codePointAt(k) > 0xffff ? 2 : 1;
  }
  return k;
}

/**
 * statementSpans locates the statements of a policy document: for each
 * element of its top-level "Statement" array (or the single statement
 * object), {start, end}, the string indexes of its opening brace and just
 * past its closing brace. A text that is not a JSON object gives [].
 * @param {string} text
 * @returns {{start: number, end: number}[]}
 */
export function statementSpans(text) {
  const s = new Scanner(text);
  try {
    s.space();
    if (text[s.k] !== '{') return [];
    s.k++;
    for (;;) {
      s.space();
      if (text[s.k] === '}') return [];
      const key = s.string();
      s.space();
      s.expect(':');
      s.space();
      if (key !== 'Statement') {
        s.value();
      } else if (text[s.k] === '[') {
        const spans = [];
        s.k++;
        s.space();
        if (text[s.k] === ']') return spans;
        for (;;) {
          s.space();
          const start = s.k;
          s.value();
          spans.push({start, end: s.k});
          s.space();
          if (text[s.k] === ']') return spans;
          s.expect(',');
        }
      } else {
        const start = s.k;
        s.value();
        return [{start, end: s.k}];
      }
      s.space();
      if (text[s.k] === '}') return [];
      s.expect(',');
    }
  } catch {
    return [];
  }
}

/**
 * matchedSpan maps a statement the simulator matched, given by its start
 * and end positions ({Line, Column}) in the document as stored, onto the
 * pretty-printed document: {start, end} string indexes of the same
 * statement there, or null when the positions name no statement.
 * @param {string} raw the document as stored
 * @param {string} pretty prettyJSON(raw)
 */
export function matchedSpan(raw, pretty, startPos, endPos) {
  const from = offsetAt(raw, Number(startPos.Line), Number(startPos.Column));
  const rawSpans = statementSpans(raw);
  let index = rawSpans.findIndex((sp) => sp.start === from);
  if (index < 0) index = rawSpans.findIndex((sp) => sp.start <= from && from < sp.end);
  if (index < 0) {
    if (raw !== pretty || !endPos) return null;
    const to = offsetAt(raw, Number(endPos.Line), Number(endPos.Column));
    return to > from ? {start: from, end: to} : null;
  }
  const prettySpans = raw === pretty ? rawSpans : statementSpans(pretty);
  return prettySpans[index] || null;
}

/**
 * splitList reads a list typed by a person: items separated by commas,
 * semicolons, white space or new lines, trimmed, empty ones and repeats
 * dropped, in the order given.
 * @param {string} s
 * @returns {string[]}
 */
export function splitList(s) {
  const out = [];
  for (const item of String(s || '').split(/[\s,;]+/)) {
    if (item !== '' && !out.includes(item)) out.push(item);
  }
  return out;
}

// Scanner walks JSON text far enough to find where values begin and end;
// it throws on text that is not JSON.
class Scanner {
  constructor(text) {
    this.t = text;
    this.k = 0;
  }

  space() {
    while (this.k < this.t.length && ' \t\r\n'.includes(this.t[this.k])) this.k++;
  }

  expect(ch) {
    if (this.t[this.k] !== ch) throw new SyntaxError(`expected ${ch} at ${this.k}`);
    this.k++;
  }

  string() {
    this.expect('"');
    let out = '';
    for (;;) {
      if (this.k >= this.t.length) throw new SyntaxError('unterminated string');
      const ch = this.t[this.k++];
      if (ch === '"') return out;
      if (ch === '\\') {
        const esc = this.t[this.k++];
        if (esc === 'u') {
          out += String.fromCharCode(parseInt(this.t.slice(this.k, this.k + 4), 16));
          this.k += 4;
        } else {
          out += {'"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t'}[esc] ?? esc;
        }
      } else {
        out += ch;
      }
    }
  }

  value() {
    const ch = this.t[this.k];
    if (ch === '"') {
      this.string();
    } else if (ch === '{' || ch === '[') {
      const close = ch === '{' ? '}' : ']';
      this.k++;
      this.space();
      if (this.t[this.k] === close) {
        this.k++;
        return;
      }
      for (;;) {
        this.space();
        if (ch === '{') {
          this.string();
          this.space();
          this.expect(':');
          this.space();
        }
        this.value();
        this.space();
        if (this.t[this.k] === close) {
          this.k++;
          return;
        }
        this.expect(',');
      }
    } else {
      const m = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(this.t.slice(this.k, this.k + 64));
      if (!m) throw new SyntaxError(`unexpected ${ch} at ${this.k}`);
      this.k += m[0].length;
    }
  }
}

/**
 * trustedEntities lists who a trust policy lets assume the role: one
 * {effect, type, principal, actions, conditions} per principal of each
 * statement, type being the Principal key ("Service", "AWS", "Federated",
 * "CanonicalUser") or "*" for everyone, and conditions the condition keys
 * the statement tests. NotPrincipal statements are listed with type
 * "NotPrincipal: KEY". A text that is not a policy gives [].
 * @param {string} text the decoded policy document
 */
export function trustedEntities(text) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const asList = (x) => (x === undefined || x === null ? [] : Array.isArray(x) ? x : [x]);
  const out = [];
  for (const st of asList(doc && doc.Statement)) {
    if (!st || typeof st !== 'object') continue;
    const actions = asList(st.Action).concat(asList(st.NotAction).map((a) => `not ${a}`));
    const conditions = Object.values(st.Condition || {}).flatMap((keys) => Object.keys(keys || {}));
    const add = (type, principal) => out.push({ effect: st.Effect, type, principal, actions, conditions });
    for (const [field, prefix] of [['Principal', ''], ['NotPrincipal', 'NotPrincipal: ']]) {
      const p = st[field];
      if (p === undefined) continue;
      if (p === '*') {
        add(`${prefix}*`, '*');
        continue;
      }
      for (const [type, values] of Object.entries(p || {})) {
        for (const v of asList(values)) add(prefix + type, v);
      }
    }
  }
  return out;
}
