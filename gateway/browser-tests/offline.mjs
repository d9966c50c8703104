// The offline verification page (/verify/offline) checking a real answer's QR text in
// Chromium: WebCrypto's Ed25519 over the COSE Sig_structure, against the trust list the
// page embeds. The text is read from the downloaded HTML copy by `estelam verify`, which
// prints it (run.sh passes the binary as ESTELAM_BIN).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
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
