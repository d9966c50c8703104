// What every browser test here shares: where the portal is, where screenshots go, a fresh
// headless Chromium (Debian's /usr/bin/chromium, no download), and a page that records
// console errors, page errors, failed requests and Content-Security-Policy violations.

import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

/** The portal's address (run.sh sets PORTAL_URL from `estelam run`'s URLs file). */
export const BASE = process.env.PORTAL_URL || 'http://127.0.0.1:8080';
/** Where screenshots and downloads go. */
export const ARTIFACTS = process.env.ARTIFACTS || mkdtempSync(join(tmpdir(), 'estelam-browser-'));
/** Debian's Chromium. */
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
mkdirSync(ARTIFACTS, { recursive: true });

/** A phone and a desktop. */
export const VIEWPORTS = {
  phone: { width: 390, height: 844, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
  desktop: { width: 1280, height: 900 },
};

/** A fresh headless Chromium profile that accepts downloads. */
export async function launch() {
  // A fresh profile each run; nothing reaches outside this machine.
  const userDataDir = mkdtempSync(join(tmpdir(), 'estelam-chromium-'));
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** A page that records console errors, page errors, failed requests and CSP violations. */
export async function watchedPage(context, viewport) {
  const page = await context.newPage();
  await page.setViewportSize({ width: viewport.width, height: viewport.height });
  const problems = [];
  page.on('console', (msg) => {
    // A failed load is recorded below, with its address.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(`console: ${msg.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`http ${response.status()} ${response.request().method()} ${response.url()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText}`));
  await page.exposeFunction('__reportCsp', (text) => problems.push(`CSP: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__reportCsp(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  return { page, problems };
}

/**
 * Waits until the portal says its view is drawn: `<main data-ready="<language>">` (see
 * `redrawing` in dom.js), in `language` when given. This is the page's own signal, set after
 * the view's data has loaded and its form is complete; a side effect that happens earlier
 * (`dir` flips at once on a language switch) is not.
 */
export async function settle(page, language) {
  await page.waitForFunction((want) => {
    const main = document.getElementById('main');
    if (!main || main.getAttribute('aria-busy') !== 'false' || !main.dataset.ready) return false;
    return !want || main.dataset.ready === want;
  }, language, { timeout: 20_000 });
}

/** Clicks the language switch and waits until the view is drawn again in `language`. */
export async function switchLanguage(page, language) {
  await page.click('#lang-switch');
  await settle(page, language);
}

/** Polls `condition` until it holds or `ms` pass (then fails with `what`). */
/** The first admin's password once it has been changed from the one-time password. */
export const ADMIN_PASSPHRASE = 'desk-admin-passphrase-1405';

/** The first admin's membership code and one-time password, as `estelam run` printed them. */
export async function firstAdmin() {
  const log = process.env.ESTELAM_LOG;
  if (!log) throw new Error('run.sh passes ESTELAM_LOG');
  let found = null;
  await eventually(() => {
    const m = /membership code (\d+) and the one-time password (\S+)/.exec(readFileSync(log, 'utf8'));
    if (m) found = { membership: m[1], password: m[2] };
    return found !== null;
  }, 'the first admin\'s one-time password in the log');
  return found;
}

/**
 * The first admin's current password: the one-time password is changed to ADMIN_PASSPHRASE
 * over the API here unless a test before this one (they run in file-name order) already did
 * so on the page.
 */
export async function firstAdminPassword() {
  const admin = await firstAdmin();
  const login = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ membership_code: admin.membership, password: admin.password }),
  });
  if (login.status !== 200) return { membership: admin.membership, password: ADMIN_PASSPHRASE };
  const { tokens } = await login.json();
  const changed = await fetch(`${BASE}/api/v1/me/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.access_token}` },
    body: JSON.stringify({ current_password: admin.password, new_password: ADMIN_PASSPHRASE }),
  });
  if (changed.status !== 200) throw new Error(`changing the first admin's password: ${changed.status} ${await changed.text()}`);
  return { membership: admin.membership, password: ADMIN_PASSPHRASE };
}

/** A valid national code (its check digit computed) that no demo person has, from `seed`. */
export function nationalCode(seed) {
  const body = String(700000000 + (seed % 99999999)).padStart(9, '0').slice(-9);
  const sum = [...body].reduce((acc, d, i) => acc + Number(d) * (10 - i), 0) % 11;
  return body + String(sum < 2 ? sum : 11 - sum);
}

export async function eventually(condition, what, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * The recorded problems less API calls a navigation aborted while they were in flight (the
 * wizard looks at an inquiry now and then; leaving for the bank's page cuts such a look
 * short), which a person never notices.
 */
export function unexpected(problems) {
  return problems.filter((p) => !/^request failed: \S+\/api\/\S* net::ERR_ABORTED$/.test(p));
}

/** axe-core's script, from npm (the lock file pins it). */
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core on the page as it is now (WCAG 2.x A and AA rules) and returns the
 * violations as short strings (`rule: selector`), empty when there are none. The script is
 * evaluated through the debugging protocol, which the page's Content-Security-Policy does
 * not govern, so the portal's policy stays as strict as a visitor gets it.
 */
export async function axeViolations(page) {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    resultTypes: ['violations'],
  }));
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} (${v.help})`));
}
