// The offline verification page's whole program: no imports, no network except the status
// list (when there is one). It checks an answer's QR text (EQ1: + Base45(zlib(COSE_Sign1)))
// against the trust list embedded when the page was downloaded. See docs/certificate.md.
'use strict';
(function () {
  const PREFIX = 'EQ1:';
  const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
  const $ = (id) => document.getElementById(id);
  const data = JSON.parse($('trust-data').textContent);

  class Verdict extends Error {
    constructor(kind, detail) { super(detail || kind); this.kind = kind; }
  }

  function base45(text) {
    const out = [];
    for (let i = 0; i < text.length; i += 3) {
      const chunk = text.slice(i, i + 3);
      let n = 0;
      for (let j = chunk.length - 1; j >= 0; j--) {
        const v = B45.indexOf(chunk[j]);
        if (v < 0) throw new Error('not Base45');
        n = n * 45 + v;
      }
      if (chunk.length === 3) {
        if (n > 0xffff) throw new Error('not Base45');
        out.push(n >> 8, n & 0xff);
      } else if (chunk.length === 2) {
        if (n > 0xff) throw new Error('not Base45');
        out.push(n);
      } else throw new Error('not Base45');
    }
    return new Uint8Array(out);
  }

  function base64url(text) {
    const b = atob(text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '='));
    return Uint8Array.from(b, (c) => c.charCodeAt(0));
  }

  async function inflate(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
    const out = new Uint8Array(await new Response(stream).arrayBuffer());
    if (out.length > 16384) throw new Error('too large');
    return out;
  }

  // A small CBOR decoder (RFC 8949): the types a COSE_Sign1 and its CWT claims use.
  function cbor(bytes) {
    let pos = 0;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    function need(n) { if (pos + n > bytes.length) throw new Error('truncated CBOR'); }
    function arg(info) {
      if (info < 24) return info;
      const size = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
      if (!size) throw new Error('unsupported CBOR');
      need(size);
      let n = 0;
      for (let i = 0; i < size; i++) n = n * 256 + bytes[pos + i];
      pos += size;
      return n;
    }
    function item() {
      need(1);
      const head = bytes[pos++];
      const major = head >> 5, info = head & 31;
      if (major === 7) {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        if (info === 27) { need(8); const f = view.getFloat64(pos); pos += 8; return f; }
        throw new Error('unsupported CBOR');
      }
      const n = arg(info);
      switch (major) {
        case 0: return n;
        case 1: return -1 - n;
        case 2: { need(n); const b = bytes.slice(pos, pos + n); pos += n; return b; }
        case 3: { need(n); const t = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(pos, pos + n)); pos += n; return t; }
        case 4: { const a = []; for (let i = 0; i < n; i++) a.push(item()); return a; }
        case 5: { const m = new Map(); for (let i = 0; i < n; i++) { const k = item(); m.set(k, item()); } return m; }
        case 6: return { tag: n, value: item() };
        default: throw new Error('unsupported CBOR');
      }
    }
    const value = item();
    if (pos !== bytes.length) throw new Error('trailing bytes');
    return value;
  }

  // Just enough CBOR encoding for the Sig_structure (RFC 9052 §4.4).
  function head(major, n) {
    if (n < 24) return [(major << 5) | n];
    if (n < 256) return [(major << 5) | 24, n];
    if (n < 65536) return [(major << 5) | 25, n >> 8, n & 255];
    return [(major << 5) | 26, (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  function sigStructure(protectedBytes, payload) {
    const context = new TextEncoder().encode('Signature1');
    return new Uint8Array([
      ...head(4, 4),
      ...head(3, context.length), ...context,
      ...head(2, protectedBytes.length), ...protectedBytes,
      ...head(2, 0),
      ...head(2, payload.length), ...payload,
    ]);
  }

  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  const ascii = (s) => new TextEncoder().encode(s);

  async function ed25519(x, signature, message) {
    const key = await crypto.subtle.importKey('raw', x, { name: 'Ed25519' }, false, ['verify']);
    return crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
  }

  async function verifyJws(jws, keyFor) {
    const parts = jws.trim().split('.');
    if (parts.length !== 3) throw new Error('not a compact JWS');
    const header = JSON.parse(new TextDecoder().decode(base64url(parts[0])));
    if (header.alg !== 'EdDSA') throw new Error('not EdDSA');
    const x = await keyFor(header);
    const ok = await ed25519(x, base64url(parts[2]), ascii(`${parts[0]}.${parts[1]}`));
    if (!ok) throw new Error('bad signature');
    return { header, payload: JSON.parse(new TextDecoder().decode(base64url(parts[1]))) };
  }

  // The embedded trust list, checked against the embedded root fingerprint.
  let trusted = null;
  async function trustList() {
    if (trusted) return trusted;
    const pin = data.root_fingerprint.replace(/\s+/g, '').toLowerCase();
    const { payload } = await verifyJws(data.trust_list, async (header) => {
      const x = base64url(header.jwk.x);
      const fp = hex(new Uint8Array(await crypto.subtle.digest('SHA-256', x)));
      if (fp !== pin) throw new Error('the trust list is signed by another root');
      return x;
    });
    trusted = payload.keys;
    return trusted;
  }

  function kidOf(bytes) {
    return bytes.length === 8 ? `ans-${hex(bytes)}` : new TextDecoder().decode(bytes);
  }

  async function check(text) {
    text = text.trim();
    if (!text.startsWith(PREFIX)) throw new Verdict('unreadable');
    let sign1;
    try {
      const decoded = cbor(await inflate(base45(text.slice(PREFIX.length))));
      sign1 = decoded && decoded.tag === 18 ? decoded.value : decoded;
      if (!Array.isArray(sign1) || sign1.length !== 4) throw new Error('not a COSE_Sign1');
    } catch (e) {
      // The prefix is there but the rest does not decode: changed in transit or by hand.
      throw new Verdict('altered', e.message);
    }
    const [protectedBytes, , payload, signature] = sign1;
    let header, claims;
    try {
      header = cbor(protectedBytes);
      claims = cbor(payload);
    } catch (e) {
      throw new Verdict('altered', e.message);
    }
    if (header.get(1) !== -8) throw new Verdict('altered', 'not EdDSA');
    const kid = kidOf(header.get(4) || new Uint8Array());
    const keys = await trustList();
    const key = keys.find((k) => k.kid === kid);
    const iat = claims.get(6);
    // The order of `estelam verify` and the API (certificate/check.rs): key known,
    // signature, key's period, revoked, expired.
    if (!key) throw new Verdict('unknown-key', kid);
    const ok = await ed25519(base64url(key.x), signature, sigStructure(protectedBytes, payload));
    if (!ok) throw new Verdict('altered', 'signature');
    if ((key.nbf !== undefined && iat < key.nbf) || (key.exp !== undefined && iat > key.exp)) {
      throw new Verdict('unknown-key', kid);
    }
    const facts = factsOf(claims, kid);
    const status = await revocation(claims, keys);
    if (status && status.revoked) return { kind: 'revoked', facts, status };
    if (claims.get(4) * 1000 < Date.now()) return { kind: 'expired', facts, status };
    return { kind: 'valid', facts, status };
  }

  // The last status list verified, by its address: kept in memory and, where the browser
  // allows it, in localStorage, so that a page saved to a file and opened with no network
  // still knows the revocations it saw when it was last online.
  const STORE_KEY = 'estelam-status-lists';
  const remembered = new Map();
  function recall(uri) {
    if (remembered.has(uri)) return remembered.get(uri);
    try { return JSON.parse(localStorage.getItem(STORE_KEY) || '{}')[uri] || null; } catch { return null; }
  }
  function remember(uri, token) {
    remembered.set(uri, token);
    try {
      const all = JSON.parse(localStorage.getItem(STORE_KEY) || '{}');
      all[uri] = token;
      localStorage.setItem(STORE_KEY, JSON.stringify(all));
    } catch { /* storage refused: memory only */ }
  }

  async function readStatusList(token, keys) {
    const { payload } = await verifyJws(token, async (header) => {
      if (header.typ !== 'statuslist+jwt') throw new Error('not a status list');
      const key = keys.find((k) => k.kid === header.kid);
      if (!key) throw new Error('status list by an unknown key');
      return base64url(key.x);
    });
    if (payload.status_list.bits !== 1) throw new Error('not one bit per answer');
    return { bits: await inflate(base64url(payload.status_list.lst)), iat: payload.iat };
  }

  // The answer's status from the status list: { revoked, iat, fresh } — fresh when fetched
  // now, otherwise the copy last fetched (its `iat` says how old) — or null when no list
  // covering the answer was ever seen.
  async function revocation(claims, keys) {
    const ref = claims.get(65535)?.get('status_list');
    if (!ref) return null;
    const uri = ref.get('uri');
    const url = location.protocol.startsWith('http') ? '/api/v1/answer-status-list' : uri;
    const idx = ref.get('idx');
    const from = async (token, fresh) => {
      const { bits, iat } = await readStatusList(token, keys);
      if ((idx >> 3) >= bits.length) return null;
      return { revoked: ((bits[idx >> 3] >> (idx & 7)) & 1) === 1, iat, fresh };
    };
    try {
      const response = await fetch(url, { cache: 'no-store' });
      if (response.ok) {
        const token = await response.text();
        const status = await from(token, true);
        if (status) { remember(uri, token); return status; }
      }
    } catch { /* no network: the copy last fetched, below */ }
    try {
      const token = recall(uri);
      return token ? await from(token, false) : null;
    } catch {
      return null;
    }
  }

  const DEBT = { 1: ['بدهی ندارد', 'nothing owed'], 2: ['تسویه با پرداخت', 'cleared by a payment'], 3: ['بررسی نشده', 'not checked'] };
  const date = (s) => [
    new Date(s * 1000).toLocaleString('fa-IR-u-ca-persian'),
    new Date(s * 1000).toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
  ];
  function factsOf(c, kid) {
    const plate = c.get(-4) || [];
    const debt = DEBT[c.get(-5)] || ['؟', '?'];
    const owners = (c.get(-9) || []).map((o) => `${o[1]} (${o[0]}) ${o[2]}/${o[3]}`).join('؛ ');
    return [
      ['شماره استعلام', 'Inquiry number', c.get(-1)],
      ['کد تصدیق', 'Verification code', new TextDecoder().decode(c.get(7) || new Uint8Array())],
      ['کد نوسازی', 'Renovation code', c.get(-3)],
      ['پلاک ثبتی', 'Registry plate', plate.join(' / ')],
      ['وضعیت بدهی', 'Debt status', `${debt[0]} — ${debt[1]}`],
      ['کد رهگیری پرداخت', 'Payment tracking code', c.get(-6) || '—'],
      ['مبلغ پرداخت‌شده (ریال)', 'Amount paid (rials)', String(c.get(-7))],
      ['مرجع استعلام‌کننده', 'Inquiring authority', c.get(-8)],
      ['مالکان', 'Owners', `${owners} (${c.get(-10)})`],
      ['تاریخ صدور', 'Issued', date(c.get(6)).join(' — ')],
      ['معتبر تا', 'Valid until', date(c.get(4)).join(' — ')],
      ['شناسه کلید', 'Key id', kid],
    ];
  }

  const VERDICTS = {
    valid: ['معتبر: اصیل، دست‌نخورده و در مهلت اعتبار', 'Valid: genuine, unaltered and within its validity'],
    altered: ['دست‌کاری‌شده: امضا با محتوا نمی‌خواند', 'Altered: the signature does not match the content'],
    revoked: ['باطل‌شده: فهرست وضعیت آن را باطل اعلام کرده است', 'Revoked: the status list marks it'],
    expired: ['منقضی: مهلت اعتبار آن گذشته است', 'Expired: past its validity'],
    'unknown-key': ['کلید ناشناخته: در فهرست کلیدهای مورد اعتماد نیست', 'Unknown key: not in the trust list'],
    unreadable: ['کد پاسخ استعلام یافت نشد (باید با EQ1: آغاز شود)', 'No answer code found (it starts with EQ1:)'],
    error: ['بررسی ممکن نشد', 'The check could not be made'],
  };

  function show(kind, facts, status) {
    const box = $('result');
    box.replaceChildren();
    box.dataset.result = kind;
    const [fa, en] = VERDICTS[kind];
    const h = document.createElement('h2');
    h.textContent = fa;
    const p = document.createElement('p');
    p.className = 'en';
    p.textContent = en;
    box.append(h, p);
    if (kind !== 'revoked' && !status && facts) {
      const note = document.createElement('p');
      note.dataset.revocation = 'not-checked';
      note.textContent = 'ابطال بررسی نشد (شبکه در دسترس نیست) — revocation not checked (no network)';
      box.append(note);
    } else if (status && !status.fresh) {
      const note = document.createElement('p');
      note.dataset.revocation = 'saved-list';
      const [fa, en] = date(status.iat);
      note.textContent = `وضعیت ابطال از فهرستی که در ${fa} دریافت شد — revocation as of the status list fetched ${en}`;
      box.append(note);
    }
    if (facts) {
      const dl = document.createElement('dl');
      for (const [fa, en, value] of facts) {
        const dt = document.createElement('dt');
        dt.textContent = `${fa} / ${en}`;
        const dd = document.createElement('dd');
        dd.textContent = value ?? '';
        dl.append(dt, dd);
      }
      box.append(dl);
    }
    box.hidden = false;
  }

  async function run() {
    try {
      const r = await check($('qr-text').value);
      show(r.kind, r.facts, r.status);
    } catch (e) {
      show(e instanceof Verdict ? e.kind : 'error');
    }
  }

  $('verify').addEventListener('click', run);

  if ('BarcodeDetector' in window && navigator.mediaDevices) {
    $('scan').hidden = false;
    $('scan').addEventListener('click', async () => {
      const video = $('camera');
      const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
      video.srcObject = stream;
      video.hidden = false;
      await video.play();
      const detector = new window.BarcodeDetector({ formats: ['qr_code'] });
      const tick = async () => {
        const codes = await detector.detect(video).catch(() => []);
        const hit = codes.find((c) => c.rawValue.startsWith(PREFIX));
        if (!hit) { requestAnimationFrame(tick); return; }
        stream.getTracks().forEach((t) => t.stop());
        video.hidden = true;
        $('qr-text').value = hit.rawValue;
        run();
      };
      tick();
    });
  }
})();
