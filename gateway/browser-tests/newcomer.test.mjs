// The Done-when of the portal, in headless Chromium against the whole system (`estelam run`
// with a fresh data directory, started by run.sh): a new citizen — the demo city's owner
// with no account, `newcomer` in demo.json — registers, logs in, confirms their mobile with
// the code the registration sent (read from the system's log; a wrong code is refused
// first), files a property inquiry by tapping their parcel on the map, uploads two files,
// pays the parcel's debt on the sandbox bank's page, and downloads the answer as HTML and
// PDF, on a phone in Persian. Then a demo citizen walks the same steps in English on a
// desktop, naming the parcel by its renovation code. Screenshots of every step and the
// downloaded answers go to $ARTIFACTS.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ARTIFACTS, BASE, VIEWPORTS, eventually, launch, settle, switchLanguage, unexpected, watchedPage,
} from './support.mjs';
import { checkOffline, checkSavedPage, qrTextOf } from './offline.mjs';

const DEMO = JSON.parse(readFileSync(process.env.DEMO_JSON, 'utf8'));

// Small but real files, as a phone's camera or scanner would give: a one-page PDF and a
// 1×1 PNG.
const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n'
  + '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

const PERSIAN_DIGIT = /[۰-۹]/;
const LATIN_DIGIT = /[0-9]/;

/** Screenshots `page` as `<prefix>-<n>-<what>.png`, numbered in the order taken. */
function camera(page, prefix) {
  let n = 0;
  return (what) => {
    n += 1;
    return page.screenshot({ path: join(ARTIFACTS, `${prefix}-${String(n).padStart(2, '0')}-${what}.png`), fullPage: true });
  };
}

/**
 * Waits until the wizard shows step `n` as the current one and the page is drawn (the wizard
 * puts the progress indicator and the step's form on the page together).
 */
async function atStep(page, n) {
  await page.waitForSelector(`ol.steps li.current:nth-child(${n})`, { timeout: 20_000 });
  await settle(page);
}

/** Submits the wizard's current form and waits for step `n`. */
async function nextStep(page, n) {
  await page.click('main form .actions button[type="submit"]');
  await atStep(page, n);
}

/** Steps 3–9 for a logged-in person on `page`; `pick` names the property (step 4). */
async function fileInquiry(page, shot, { pick, requestNumber }) {
  await page.click('main a[href="/inquiries/new"]');
  await atStep(page, 3);
  await page.selectOption('main select[name="request_type_code"]', 'property-transfer');
  for (const box of await page.$$('main input[type="checkbox"][name^="accept:"]')) await box.check();
  await shot('undertakings');
  await nextStep(page, 4);

  await pick();
  await page.fill('main input[name="request_number"]', requestNumber);
  await shot('property');
  await nextStep(page, 5);

  await page.fill('main input[name="letter_number"]', '1403/12/345');
  const authority = await page.$('main select[name="authority_organization_id"]');
  const options = await authority.$$eval('option', (os) => os.map((o) => o.value).filter(Boolean));
  assert.ok(options.length >= 1, 'the demo notary office is offered as an authority');
  await authority.selectOption(options[0]);
  await shot('letter');
  // The letter and the documents share step 5: the same step, a new form.
  await page.click('main form .actions button[type="submit"]');
  await page.waitForSelector('main input[type="file"]', { timeout: 20_000 });

  const files = await page.$$('main input[type="file"]');
  assert.equal(files.length, 2, 'the request type asks for two documents');
  await files[0].setInputFiles({ name: 'national-id.png', mimeType: 'image/png', buffer: PNG });
  await files[1].setInputFiles({ name: 'deed.pdf', mimeType: 'application/pdf', buffer: PDF });
  await page.waitForFunction(() => document.querySelectorAll('main .field[data-uploaded]').length === 2);
  await shot('documents');
  await nextStep(page, 6);

  await shot('applicant');
  await nextStep(page, 7);
  await shot('submit');
  await nextStep(page, 8);

  await page.waitForSelector('main table.bill tfoot');
  await shot('bill');
  const total = await page.textContent('main table.bill tfoot .amount');
  await page.click('main form .actions button[type="submit"]');
  await page.waitForURL(/\/psp\/pay\?/);
  await page.waitForSelector('button[value="pay"]');
  await shot('psp');
  await page.click('button[value="pay"]');
  await page.waitForURL(/\/inquiries\/[^/?]+/);
  await atStep(page, 9);
  await page.waitForSelector('main dl.facts a[href^="/verify/"]', { timeout: 30_000 });
  await shot('answer');
  return { total };
}

/** `text` with Persian digits. */
function persianDigits(text) {
  return text.replace(/[0-9]/g, (d) => '۰۱۲۳۴۵۶۷۸۹'[Number(d)]);
}

/** The last ten digits of a mobile number, Latin: `09123456789` and `+989123456789` agree. */
function mobileKey(mobile) {
  const latin = String(mobile).replace(/[۰-۹]/g, (d) => String(d.charCodeAt(0) - 0x06f0));
  return latin.replace(/\D/g, '').slice(-10);
}

/**
 * The code in the last SMS sent to `mobile`, read from the system's log ($ESTELAM_LOG, JSON
 * lines): identity's log SMS provider writes each message there (`to`, `text`).
 */
async function codeSentTo(mobile) {
  const log = process.env.ESTELAM_LOG;
  assert.ok(log, 'run.sh passes ESTELAM_LOG');
  let found = null;
  await eventually(() => {
    for (const line of readFileSync(log, 'utf8').split('\n')) {
      if (!line.includes('SMS')) continue;
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      const fields = entry.fields || entry;
      if (!fields.to || !fields.text || mobileKey(fields.to) !== mobileKey(mobile)) continue;
      const code = /\b(\d{6})\b/.exec(String(fields.text));
      if (code) found = code[1];
    }
    return found !== null;
  }, `an SMS to ${mobile} in ${log}`);
  return found;
}

/** Downloads the answer as `ext` (html or pdf) and returns its bytes. */
async function downloadAnswer(page, button, name) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
  const path = join(ARTIFACTS, name);
  await download.saveAs(path);
  return readFileSync(path);
}

test('a newcomer registers, picks their parcel on the map, pays and downloads the answer (Persian, phone)', async () => {
  const who = DEMO.newcomer;
  assert.ok(who, 'demo.json names a newcomer (the demo city is loaded)');
  const context = await launch();
  try {
    const { page, problems } = await watchedPage(context, VIEWPORTS.phone);
    const shot = camera(page, 'newcomer-phone-fa');
    await page.goto(`${BASE}/`);
    await settle(page);
    assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
    await shot('home');

    await page.goto(`${BASE}/register`);
    await settle(page);
    const password = 'newcomer-password-1403';
    await page.fill('main input[name="national_code"]', who.national_code);
    await page.fill('main input[name="first_name"]', who.first_name);
    await page.fill('main input[name="last_name"]', who.last_name);
    await page.fill('main input[name="mobile"]', who.mobile);
    await page.fill('main input[name="password"]', password);
    await shot('register');
    await page.click('main form button[type="submit"]');
    const code = await page.waitForSelector('[data-membership-code]');
    const membership = await code.getAttribute('data-membership-code');
    assert.match(membership, /^\d+$/);
    const shown = await code.textContent();
    assert.match(shown, PERSIAN_DIGIT, 'the membership code is shown in Persian digits');
    assert.doesNotMatch(shown, LATIN_DIGIT);
    await shot('membership-code');

    await page.click('main a[href^="/login"]');
    await settle(page);
    // Log in with the membership code just received, as the page suggests.
    await page.click('main .tabs button:nth-child(2)');
    await page.fill('main input[name="membership_code"]', membership);
    await page.fill('main input[name="password"]', password);
    await page.click('main form button[type="submit"]');

    // Then the portal asks for the code the registration sent to the mobile.
    await page.waitForURL(/\/me\/mobile/);
    await settle(page);
    await page.waitForSelector('main input[name="code"][inputmode="numeric"]');
    assert.ok(await page.$('#session [data-mobile-unverified]'), 'the header says the mobile is not verified yet');
    await shot('mobile-code');
    const smsCode = await codeSentTo(who.mobile);
    assert.match(smsCode, /^\d{6}$/);
    // A wrong code is refused, with the server's reason in Persian next to the field.
    const wrong = String((Number(smsCode) + 1) % 1_000_000).padStart(6, '0');
    await page.fill('main input[name="code"]', wrong);
    await page.click('main form button[type="submit"]');
    const refusal = await page.waitForSelector('main .field[data-field="code"].invalid .field-error:not([hidden])');
    assert.match(await refusal.textContent(), /[\u0600-\u06FF]/, 'the refusal is in Persian');
    assert.ok(!(await page.$('main [data-mobile-verified]')), 'a wrong code verifies nothing');
    await shot('mobile-code-wrong');
    // Registration sent the code moments ago: asking for another now is too early (429), and
    // the page says how long to wait and counts it down on the disabled button.
    await page.click('main [data-resend]');
    const wait = await page.waitForSelector('main [data-resend-wait]:not([hidden])');
    assert.match(await wait.textContent(), /[۰-۹]+ ثانیه/, 'the wait is said in words, in Persian');
    assert.ok(await page.$eval('main [data-resend]', (b) => b.disabled), 'send again waits out the interval');
    assert.match(await page.textContent('main .notice-error'), /[\u0600-\u06FF]/);
    await shot('mobile-resend-too-early');
    // A language switch keeps the typed code and the countdown.
    await page.fill('main input[name="code"]', persianDigits(smsCode));
    await switchLanguage(page, 'en');
    assert.equal(await page.inputValue('main input[name="code"]'), persianDigits(smsCode));
    assert.ok(await page.$eval('main [data-resend]', (b) => b.disabled), 'still waiting after the switch');
    assert.match(await page.textContent('main [data-resend-wait]'), /\d+ seconds/);
    await switchLanguage(page, 'fa');
    // The right one (the one registration sent), typed in Persian digits as a Persian
    // keyboard gives them.
    assert.equal(await page.inputValue('main input[name="code"]'), persianDigits(smsCode));
    await page.click('main form button[type="submit"]');
    await page.waitForSelector('main [data-mobile-verified]');
    await page.waitForFunction(() => !document.querySelector('#session [data-mobile-unverified]'));
    await shot('mobile-verified');
    await page.click('main .actions a.button');
    await page.waitForURL(/\/inquiries$/);
    await settle(page);
    assert.ok(!(await page.$('main [data-mobile-unverified]')), 'no notice once the mobile is verified');
    await shot('my-inquiries');

    const { total } = await fileInquiry(page, shot, {
      requestNumber: who.request_number,
      pick: async () => {
        await page.click('main .tabs button:nth-child(2)');
        const shape = `main path.parcel-${who.renovation_code}`;
        await page.waitForSelector(shape, { timeout: 20_000 });
        await page.click(shape);
        const picked = await page.waitForSelector('main [data-picked]');
        assert.equal(await picked.getAttribute('data-picked'), who.renovation_code, 'the tapped parcel is theirs');
        assert.match(await picked.textContent(), PERSIAN_DIGIT);
      },
    });
    assert.match(total, PERSIAN_DIGIT, 'the bill total is in Persian digits');

    const facts = await page.textContent('main dl.facts');
    assert.match(facts, /۱۴[۰-۹]{2}/, 'the issue date is a Jalali year in Persian digits');
    assert.doesNotMatch(facts, LATIN_DIGIT, 'no Latin digits in Persian mode');

    const html = await downloadAnswer(page, 'main .actions button.secondary', 'newcomer-answer.html');
    assert.match(html.toString('utf8'), /<html/i);
    const pdf = await downloadAnswer(page, 'main .actions button:not(.secondary)', 'newcomer-answer.pdf');
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');

    // Anyone can check the answer: the verification page, without logging in.
    const verify = await page.getAttribute('main dl.facts a[href^="/verify/"]', 'href');
    await page.click('#session button');
    await page.goto(`${BASE}${verify}`);
    await settle(page);
    await page.waitForSelector('main [data-result]', { timeout: 20_000 });
    assert.equal(await page.getAttribute('main [data-result]', 'data-result'), 'valid');
    // The page shows the root key's fingerprint (as the trust list's header gives it) and
    // links to the offline page.
    await page.waitForFunction(() => document.querySelector('main [data-root-fingerprint]')?.textContent !== '');
    const root = await (await fetch(`${BASE}/api/v1/answer-trust-list`)).headers.get('x-estelam-root-fingerprint');
    assert.equal(await page.textContent('main [data-root-fingerprint]'), root);
    assert.equal(await page.getAttribute('main a[data-offline-link]', 'href'), '/verify/offline');
    await shot('verify');

    // And with no server behind it: the offline page checks the HTML copy's QR text in the
    // browser, valid, and altered with one character changed.
    const qrText = qrTextOf(join(ARTIFACTS, 'newcomer-answer.html'));
    const offline = await checkOffline(context, qrText);
    assert.deepEqual(unexpected(offline), [], 'the offline page: no console errors or CSP violations');
    // The page saved to a file, checking with the network off: valid, altered, unknown key,
    // expired, and revoked once a clerk revokes the answer (which ends this answer's use
    // here, so it comes last).
    const saved = await checkSavedPage(context, qrText, { clerk: DEMO.clerk, renovationCode: who.renovation_code });
    const offlineNoise = (p) => /^request failed: .*answer-status-list net::ERR_INTERNET_DISCONNECTED$/.test(p);
    assert.deepEqual(unexpected(saved.filter((p) => !offlineNoise(p))), [], 'the saved page: no console errors');

    // The wrong code and the early resend above are the only refusals.
    const refused = (p) => /^http (4\d\d POST \S+\/api\/v1\/me\/mobile\/verify|429 POST \S+\/api\/v1\/me\/mobile\/code)$/.test(p);
    assert.equal(problems.filter(refused).length, 2, 'the wrong code and the early resend were refused, once each');
    assert.deepEqual(unexpected(problems.filter((p) => !refused(p))), [], 'no console errors, failed requests or CSP violations');
  } finally {
    await context.close();
  }
});

test('a demo citizen files by renovation code, pays and downloads the answer (English, desktop)', async () => {
  const who = DEMO.citizens.find((c) => c.has_debt);
  assert.ok(who, 'demo.json has a citizen whose parcel owes levies');
  const context = await launch();
  try {
    const { page, problems } = await watchedPage(context, VIEWPORTS.desktop);
    const shot = camera(page, 'citizen-desktop-en');
    await page.goto(`${BASE}/login`);
    await settle(page);
    // The switch draws the form again; type only once the page says it is drawn.
    await switchLanguage(page, 'en');
    await page.fill('main input[name="national_code"]', who.national_code);
    await page.fill('main input[name="password"]', who.password);
    await shot('login');
    await page.click('main form button[type="submit"]');
    await page.waitForURL(/\/inquiries$/);
    await settle(page);

    const { total } = await fileInquiry(page, shot, {
      requestNumber: who.request_number,
      pick: async () => {
        await page.fill('main input[name="renovation_code"]', who.renovation_code);
      },
    });
    assert.doesNotMatch(total, PERSIAN_DIGIT, 'English mode shows Latin digits');
    const facts = await page.textContent('main dl.facts');
    assert.doesNotMatch(facts, PERSIAN_DIGIT);

    const pdf = await downloadAnswer(page, 'main .actions button:not(.secondary)', 'citizen-answer.pdf');
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.deepEqual(unexpected(problems), [], 'no console errors, failed requests or CSP violations');
  } finally {
    await context.close();
  }
});
