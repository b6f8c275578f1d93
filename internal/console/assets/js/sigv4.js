// AWS Signature Version 4 for the console's requests, in plain JavaScript.
// SHA-256 and HMAC are computed here rather than with WebCrypto, which a
// browser offers only in secure contexts (https, or loopback), so that the
// console works on any address rolecall listens on.
//
// Reference: "Create a signed AWS API request" (AWS IAM User Guide) and
// FIPS 180-4 for SHA-256.

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const encoder = new TextEncoder();

/** utf8 returns the UTF-8 bytes of s (a string or bytes). */
export function utf8(s) {
  return typeof s === 'string' ? encoder.encode(s) : s;
}

/** sha256 returns the 32-byte SHA-256 digest of data (a string or Uint8Array). */
export function sha256(data) {
  const msg = utf8(data);
  const bitLen = msg.length * 8;
  const padded = new Uint8Array(((msg.length + 9 + 63) >> 6) << 6);
  padded.set(msg);
  padded[msg.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(bitLen / 0x100000000));
  view.setUint32(padded.length - 4, bitLen >>> 0);
  const h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  const w = new Uint32Array(64);
  const rotr = (x, n) => (x >>> n) | (x << (32 - n));
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) w[i] = view.getUint32(off + i * 4);
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[i] + w[i]) >>> 0;
      const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) >>> 0;
      hh = g; g = f; f = e; e = (d + t1) >>> 0;
      d = c; c = b; b = a; a = (t1 + t2) >>> 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  }
  const out = new Uint8Array(32);
  const ov = new DataView(out.buffer);
  h.forEach((v, i) => ov.setUint32(i * 4, v));
  return out;
}

/** hmac returns HMAC-SHA256(key, data) (RFC 2104). */
export function hmac(key, data) {
  let k = utf8(key);
  if (k.length > 64) k = sha256(k);
  const block = new Uint8Array(64);
  block.set(k);
  const inner = new Uint8Array(64 + utf8(data).length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = block[i] ^ 0x36;
    outer[i] = block[i] ^ 0x5c;
  }
  inner.set(utf8(data), 64);
  outer.set(sha256(inner), 64);
  return sha256(outer);
}

/** hex returns bytes as lower-case hexadecimal. */
export function hex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

const unreserved = /[A-Za-z0-9\-._~]/;

/** uriEncode percent-encodes every byte of s but the unreserved ones (and '/' when keepSlash). */
export function uriEncode(s, keepSlash = false) {
  let out = '';
  for (const b of utf8(s)) {
    const c = String.fromCharCode(b);
    if (b < 0x80 && (unreserved.test(c) || (keepSlash && c === '/'))) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

// amzDate renders t as 20060102T150405Z.
function amzDate(t) {
  return t.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

// canonicalQuery sorts and re-encodes a URL's query parameters.
function canonicalQuery(params) {
  const pairs = [];
  for (const [k, v] of params) pairs.push([uriEncode(k), uriEncode(v)]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => k + '=' + v).join('&');
}

/**
 * sign returns the headers to send with a request signed with SigV4:
 * the given ones plus X-Amz-Date, X-Amz-Security-Token (for temporary
 * credentials) and Authorization. The host header is signed with the
 * URL's host, as the browser sends it.
 *
 * @param {object} req
 * @param {string} req.method   HTTP method
 * @param {string} req.url      absolute URL, its path already percent-encoded as sent
 * @param {object} req.headers  header name → value
 * @param {string|Uint8Array} req.body
 * @param {string} req.service  signing name, e.g. "iam", "lambda"
 * @param {string} req.region   e.g. "us-east-1"
 * @param {{accessKeyId: string, secretAccessKey: string, sessionToken?: string}} req.credentials
 * @param {Date} [req.date]     signing time (now)
 */
export function sign({ method, url, headers = {}, body = '', service, region, credentials, date = new Date() }) {
  const u = new URL(url);
  const stamp = amzDate(date);
  const day = stamp.slice(0, 8);
  const out = { ...headers, 'X-Amz-Date': stamp };
  if (credentials.sessionToken) out['X-Amz-Security-Token'] = credentials.sessionToken;
  const canon = { host: u.host };
  for (const [k, v] of Object.entries(out)) canon[k.toLowerCase()] = String(v).trim().replace(/\s+/g, ' ');
  const names = Object.keys(canon).sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    method.toUpperCase(),
    uriEncode(u.pathname || '/', true),
    canonicalQuery(u.searchParams),
    names.map((n) => n + ':' + canon[n] + '\n').join(''),
    signedHeaders,
    hex(sha256(body || '')),
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', stamp, scope, hex(sha256(canonicalRequest))].join('\n');
  let key = hmac('AWS4' + credentials.secretAccessKey, day);
  key = hmac(key, region);
  key = hmac(key, service);
  key = hmac(key, 'aws4_request');
  const signature = hex(hmac(key, stringToSign));
  out.Authorization = `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return out;
}
