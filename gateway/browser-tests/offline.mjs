// The offline verification page (/verify/offline) checking a real answer's QR text in
// Chromium: WebCrypto's Ed25519 over the COSE Sig_structure, against the trust list the
// page embeds. The text is read from the downloaded HTML copy by `estelam verify`, which
// prints it (run.sh passes the binary as ESTELAM_BIN).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';
import { ARTIFACTS, BASE, VIEWPORTS, watchedPage } from './support.mjs';

/** The QR text in the answer file at `path`, as `estelam verify` reads it. */
export function qrTextOf(path) {
  const bin = process.env.ESTELAM_BIN || 'target/debug/estelam';
  const out = execFileSync(bin, ['verify', path, '--online', BASE], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.startsWith('qr text: '));
  assert.ok(line, `estelam verify prints the QR text:\n${out}`);
  return line.slice('qr text: '.length).trim();
}

/** Pastes `text` into the offline page and returns the verdict it shows. */
async function verdictFor(page, text) {
  await page.fill('#qr-text', text);
  await page.evaluate(() => { document.getElementById('result').dataset.result = ''; });
  await page.click('#verify');
  await page.waitForFunction(() => document.getElementById('result').dataset.result !== '', null, { timeout: 20_000 });
  return page.getAttribute('#result', 'data-result');
}

/**
 * Opens the offline page in `context`, checks `text` is valid there and that one character
 * changed makes it altered, with no console error or policy violation; returns the problems.
 */
export async function checkOffline(context, text) {
  const { page, problems } = await watchedPage(context, VIEWPORTS.phone);
  await page.goto(`${BASE}/verify/offline`);
  assert.equal(await verdictFor(page, text), 'valid', 'the genuine answer is valid offline');
  const facts = await page.textContent('#result dl');
  assert.match(facts, /Renovation code/);
  await page.screenshot({ path: join(ARTIFACTS, 'offline-valid.png'), fullPage: true });
  // One character of the Base45 text changed, in the middle.
  const at = Math.floor(text.length / 2);
  const other = text[at] === '0' ? '1' : '0';
  const altered = text.slice(0, at) + other + text.slice(at + 1);
  assert.equal(await verdictFor(page, altered), 'altered', 'one character changed: altered');
  await page.screenshot({ path: join(ARTIFACTS, 'offline-altered.png'), fullPage: true });
  await page.close();
  return problems;
}

// ---- the page saved to a file, verifying with the network off ---------------------------

/** The Base45 alphabet (RFC 9285). */
const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

function base45Decode(text) {
  const out = [];
  for (let i = 0; i < text.length; i += 3) {
    const chunk = text.slice(i, i + 3);
    let n = 0;
    for (let j = chunk.length - 1; j >= 0; j--) n = n * 45 + B45.indexOf(chunk[j]);
    if (chunk.length === 3) out.push(n >> 8, n & 0xff); else out.push(n);
  }
  return Buffer.from(out);
}

function base45Encode(bytes) {
  let out = '';
  for (let i = 0; i < bytes.length; i += 2) {
    if (i + 1 < bytes.length) {
      let n = bytes[i] * 256 + bytes[i + 1];
      for (let k = 0; k < 3; k++) { out += B45[n % 45]; n = Math.floor(n / 45); }
    } else {
      let n = bytes[i];
      for (let k = 0; k < 2; k++) { out += B45[n % 45]; n = Math.floor(n / 45); }
    }
  }
  return out;
}

/**
 * The same signed answer re-signed by a stranger: the protected header's key id (`04 48`
 * and 8 bytes) replaced with one no trust list holds, and the signature replaced with one
 * made by a freshly generated Ed25519 key over the new Sig_structure.
 */
function foreignCode(text) {
  const cose = zlib.inflateSync(base45Decode(text.slice(4)));
  const at = cose.indexOf(Buffer.from([0x04, 0x48]));
  assert.ok(at > 0, 'the protected header names an 8-byte key id');
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  const stranger = Buffer.from(cose);
  crypto.randomFillSync(stranger, at + 2, 8);
  // COSE_Sign1 = tag 18, [protected bstr, {} , payload bstr, signature bstr(64)]; the
  // signature is the last 64 bytes. Re-sign the Sig_structure over the new header.
  const protectedStart = stranger.indexOf(0x84) + 1;
  const protLen = stranger[protectedStart] & 0x1f;
  const protectedBytes = stranger.subarray(protectedStart + 1, protectedStart + 1 + protLen);
  const payloadHead = protectedStart + 1 + protLen + 1; // after the empty map (a0)
  const sigAt = stranger.length - 64;
  const payload = stranger.subarray(
    payloadHead + (stranger[payloadHead] === 0x59 ? 3 : stranger[payloadHead] === 0x58 ? 2 : 1),
    sigAt - 2,
  );
  const bstr = (b) => Buffer.concat([
    b.length < 24 ? Buffer.from([0x40 | b.length]) : b.length < 256 ? Buffer.from([0x58, b.length]) : Buffer.from([0x59, b.length >> 8, b.length & 255]),
    b,
  ]);
  const sigStructure = Buffer.concat([
    Buffer.from([0x84, 0x6a]), Buffer.from('Signature1'), bstr(protectedBytes), Buffer.from([0x40]), bstr(payload),
  ]);
  crypto.sign(null, sigStructure, privateKey).copy(stranger, sigAt);
  return `EQ1:${base45Encode(zlib.deflateSync(stranger))}`;
}

async function api(path, { method = 'GET', token, body } = {}) {
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** A clerk revokes the issued answer of the inquiry on `renovationCode`. */
async function revokeAnswer(clerk, renovationCode) {
  const { tokens } = await api('/api/v1/auth/login', {
    method: 'POST', body: { national_code: clerk.national_code, password: clerk.password },
  });
  const token = tokens.access_token;
  const { inquiries } = await api(`/api/v1/inquiries?renovation_code=${encodeURIComponent(renovationCode)}&state=issued`, { token });
  assert.equal(inquiries.length, 1, 'one issued inquiry on the parcel');
  const [inquiry] = inquiries;
  await api(`/api/v1/inquiries/${inquiry.inquiry_id}/answer/revoke`, {
    method: 'POST',
    token,
    body: { expected_version: inquiry.version, client_request_id: crypto.randomUUID(), reason: 'صادر شده به اشتباه' },
  });
}

/**
 * The offline page downloaded and opened as a saved file, the checks made with the network
 * off: valid, altered (a byte of the signed content flipped), unknown key (re-signed by a
 * stranger), expired (the browser's clock past the validity), and revoked once a clerk has
 * revoked it and the page has fetched the status list while online. Returns the problems
 * the page recorded.
 */
export async function checkSavedPage(context, text, { clerk, renovationCode }) {
  const saved = join(ARTIFACTS, 'offline-page.html');
  const download = await fetch(`${BASE}/verify/offline?download=1`);
  assert.ok(download.ok);
  writeFileSync(saved, Buffer.from(await download.arrayBuffer()));
  const { page, problems } = await watchedPage(context, VIEWPORTS.phone);
  await page.goto(pathToFileURL(saved).href);
  await context.setOffline(true);
  try {
    assert.equal(await verdictFor(page, text), 'valid', 'the saved page, offline: valid');
    assert.ok(await page.$('#result [data-revocation="not-checked"]'), 'and says revocation was not checked');
    // A byte of the signed content flipped, re-compressed: the structure reads, the
    // signature does not hold.
    const cose = zlib.inflateSync(base45Decode(text.slice(4)));
    const flipped = Buffer.from(cose);
    flipped[Math.floor(flipped.length / 2)] ^= 0x01;
    const altered = `EQ1:${base45Encode(zlib.deflateSync(flipped))}`;
    assert.equal(await verdictFor(page, altered), 'altered', 'a flipped byte: altered');
    assert.equal(await verdictFor(page, foreignCode(text)), 'unknown-key', 'a stranger\'s key: unknown key');
    await page.clock.setFixedTime(new Date('2100-01-01T00:00:00Z'));
    assert.equal(await verdictFor(page, text), 'expired', 'past its validity: expired');
    await page.clock.setFixedTime(new Date());
    await page.screenshot({ path: join(ARTIFACTS, 'offline-saved-expired.png'), fullPage: true });
  } finally {
    await context.setOffline(false);
  }
  // A clerk revokes it; the page, online, fetches the status list once, and then knows it
  // offline from that copy.
  await revokeAnswer(clerk, renovationCode);
  assert.equal(await verdictFor(page, text), 'revoked', 'online, the fresh status list: revoked');
  await context.setOffline(true);
  try {
    assert.equal(await verdictFor(page, text), 'revoked', 'offline, the status list fetched online: revoked');
    assert.ok(await page.$('#result [data-revocation="saved-list"]'), 'and says how old its list is');
    await page.screenshot({ path: join(ARTIFACTS, 'offline-saved-revoked.png'), fullPage: true });
  } finally {
    await context.setOffline(false);
  }
  await page.close();
  return problems;
}
