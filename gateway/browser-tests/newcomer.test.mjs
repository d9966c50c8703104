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
  ARTIFACTS, BASE, VIEWPORTS, axeViolations, eventually, launch, settle, switchLanguage, unexpected, watchedPage,
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

/** Waits until the wizard's address names page `step` (`?step=property`) and it is drawn. */
async function atPage(page, step) {
  await page.waitForURL(new RegExp(`[?&]step=${step}\\b`), { timeout: 20_000 });
  await settle(page);
}

/** Submits the wizard's current form and waits for page `step`. */
async function next(page, step) {
  await page.click('main form .actions button[type="submit"]');
  await atPage(page, step);
}

/**
 * Every page of both walks goes through axe-core (WCAG 2.x A/AA) and must have no
 * violation; `checked` collects what was looked at, so the test can say which pages.
 */
async function accessible(page, what, checked) {
  const violations = await axeViolations(page);
  assert.deepEqual(violations, [], `axe-core on ${what}`);
  checked.push(what);
}

/** Steps 3–6 up to the check-your-answers page, for a logged-in person at step 3. */
async function fillSteps(page, shot, a11y, { pick, requestNumber, backAndReload }) {
  for (const box of await page.$$('main input[type="checkbox"][name^="accept:"]')) await box.check();
  await shot('undertakings');
  await a11y('undertakings');
  await next(page, 'property');

  await pick();
  await page.fill('main input[name="request_number"]', requestNumber);
  await shot('property');
  await a11y('property');
  await next(page, 'letter');

  await page.fill('main input[name="letter_number"]', '1403/12/345');
  const authority = await page.$('main select[name="authority_organization_id"]');
  const options = await authority.$$eval('option', (os) => os.map((o) => o.value).filter(Boolean));
  assert.ok(options.length >= 1, 'the demo notary office is offered as an authority');
  await authority.selectOption(options[0]);
  await shot('letter');
  await a11y('letter');
  await next(page, 'documents');

  const files = await page.$$('main input[type="file"]');
  assert.equal(files.length, 2, 'the request type asks for two documents');
  await files[0].setInputFiles({ name: 'national-id.png', mimeType: 'image/png', buffer: PNG });
  await files[1].setInputFiles({ name: 'deed.pdf', mimeType: 'application/pdf', buffer: PDF });
  await page.waitForFunction(() => document.querySelectorAll('main .field[data-uploaded]').length === 2);
  await shot('documents');
  await a11y('documents');
  await next(page, 'applicant');

  if (backAndReload) {
    // The browser's Back goes one step back — to the documents, still uploaded — and a
    // reload there forgets nothing; going on again changes nothing on the server.
    await page.goBack();
    await atPage(page, 'documents');
    assert.equal(await page.$$eval('main .field[data-uploaded]', (f) => f.length), 2, 'Back keeps the uploads');
    await page.reload();
    await atPage(page, 'documents');
    assert.equal(await page.$$eval('main .field[data-uploaded]', (f) => f.length), 2, 'a reload keeps the uploads');
    await shot('documents-after-reload');
    // The page's own back link goes one step back too.
    await page.click('main a[data-back]');
    await atPage(page, 'letter');
    assert.equal(await page.inputValue('main input[name="letter_number"]'), '1403/12/345', 'the letter is filled in as recorded');
    await next(page, 'applicant');
  }

  await shot('applicant');
  await a11y('applicant');
  await next(page, 'check');
  await shot('check-answers');
  await a11y('check your answers');
}

/** On the check-your-answers page: submits, pays on the sandbox bank's page, waits for the answer. */
async function submitAndPay(page, shot, a11y) {
  await page.click('main form .actions button[type="submit"]');
  await atStep(page, 8);
  await page.waitForSelector('main table.bill tfoot');
  await shot('bill');
  await a11y('bill');
  const total = await page.textContent('main table.bill tfoot .amount');
  await page.click('main form[data-pay] .actions button[type="submit"]');
  await page.waitForURL(/\/psp\/pay\?/);
  await page.waitForSelector('button[value="pay"]');
  await shot('psp');
  await page.click('button[value="pay"]');
  await page.waitForURL(/\/inquiries\/[^/?]+/);
  await atStep(page, 9);
  await page.waitForSelector('main [data-outcome="issued"] dl.facts a[href^="/verify/"]', { timeout: 30_000 });
  await settle(page);
  await shot('answer');
  await a11y('answer');
  return { total };
}

/** "Print" opens the browser's print dialog (recorded here) — no file is downloaded. */
async function printsThePage(page) {
  await page.evaluate(() => {
    window.printed = 0;
    window.print = () => { window.printed += 1; };
  });
  await page.click('main [data-print]');
  assert.equal(await page.evaluate(() => window.printed), 1, 'print opens the print dialog');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.$eval('.site-header', (e) => getComputedStyle(e).display), 'none', 'the print stylesheet leaves out the header');
  assert.notEqual(await page.$eval('main dl.facts', (e) => getComputedStyle(e).display), 'none', 'and prints the answer');
  await page.emulateMedia({ media: 'screen' });
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

/** The street, alley and plate number an address names, as a person would type them. */
function streetAndNumber(address) {
  const street = /خیابان\s+([^،,]+)/.exec(address);
  const alley = /کوچه\S*\s+([0-9۰-۹]+)/.exec(address);
  const plate = /پلاک\s+([0-9۰-۹]+)/.exec(address);
  assert.ok(street && plate, `the newcomer's address names a street and a plate: ${address}`);
  const lane = alley ? ` کوچه ${persianDigits(alley[1])}` : '';
  return `${street[1].trim()}${lane} پلاک ${persianDigits(plate[1])}`;
}

/**
 * Taps the map at a point inside its box that no parcel covers (a street), found by asking
 * the page what lies under each point of a grid.
 */
async function tapAStreet(page) {
  await page.$eval('main .map', (map) => map.scrollIntoView({ block: 'center' }));
  const spot = await page.evaluate(() => {
    const box = document.querySelector('main .map').getBoundingClientRect();
    for (let y = box.top + 30; y < box.bottom - 30; y += 6) {
      for (let x = box.left + 30; x < box.right - 30; x += 6) {
        const el = document.elementFromPoint(x, y);
        if (el && !el.closest('path.parcel') && !el.closest('.leaflet-control') && el.closest('.leaflet-container')) return { x, y };
      }
    }
    return null;
  });
  assert.ok(spot, 'the map shows a street between parcels');
  await page.mouse.click(spot.x, spot.y);
}

test('a newcomer registers from a request type, finds their parcel by street and in "your properties", goes back, reloads, checks the answers and pays (Persian, phone)', async () => {
  const who = DEMO.newcomer;
  assert.ok(who, 'demo.json names a newcomer (the demo city is loaded)');
  assert.ok(who.address, 'demo.json gives the newcomer\'s address');
  const context = await launch();
  const checked = [];
  try {
    const { page, problems } = await watchedPage(context, VIEWPORTS.phone);
    const shot = camera(page, 'newcomer-phone-fa');
    const a11y = (what) => accessible(page, `${what} (phone, Persian)`, checked);
    await page.goto(`${BASE}/`);
    await settle(page);
    assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
    const header = await page.$eval('.site-header', (e) => e.getBoundingClientRect().height);
    assert.ok(header <= 844 / 5, `the phone header is compact (${header}px of 844)`);
    await shot('home');
    await a11y('home');

    // "Start" on a request type, as a stranger: the type survives login and registration.
    await page.click('main a[href="/inquiries/new?type=property-transfer"]');
    await page.waitForURL(/\/login\?next=/);
    await settle(page);
    await a11y('login');
    await page.click('main a[href^="/register"]');
    await page.waitForURL(/\/register\?next=/);
    await settle(page);

    const password = 'newcomer-password-1403';
    await page.fill('main input[name="national_code"]', who.national_code);
    await page.fill('main input[name="first_name"]', who.first_name);
    await page.fill('main input[name="last_name"]', who.last_name);
    await page.fill('main input[name="mobile"]', who.mobile);
    await page.fill('main input[name="password"]', password);
    await shot('register');
    await a11y('register');
    await page.click('main form button[type="submit"]');
    const code = await page.waitForSelector('[data-membership-code]');
    const membership = await code.getAttribute('data-membership-code');
    assert.match(membership, /^\d+$/);
    const shown = await code.textContent();
    assert.match(shown, PERSIAN_DIGIT, 'the membership code is shown in Persian digits');
    assert.doesNotMatch(shown, LATIN_DIGIT);
    assert.ok(shown.trim().split(/\s+/).length >= 3, `the code is grouped for reading: ${shown}`);
    assert.ok(await page.$('main [data-copy]'), 'a copy button sits next to the code');
    await shot('membership-code');
    await a11y('membership code');

    // The login opens on the membership-code tab with the code filled in.
    await page.click('main a[href^="/login"]');
    await settle(page);
    assert.equal(await page.inputValue('main input[name="membership_code"]'), membership);
    await page.fill('main input[name="password"]', password);
    await page.click('main form button[type="submit"]');

    // Then the portal asks for the code the registration sent to the mobile.
    await page.waitForURL(/\/me\/mobile/);
    await settle(page);
    await page.waitForSelector('main input[name="code"][inputmode="numeric"]');
    assert.ok(await page.$('#session [data-mobile-unverified]'), 'the header says the mobile is not verified yet');
    await shot('mobile-code');
    await a11y('mobile code');
    const smsCode = await codeSentTo(who.mobile);
    assert.match(smsCode, /^\d{6}$/);
    // A wrong code is refused, next to the field and in the summary at the top.
    const wrong = String((Number(smsCode) + 1) % 1_000_000).padStart(6, '0');
    await page.fill('main input[name="code"]', wrong);
    await page.click('main form button[type="submit"]');
    const refusal = await page.waitForSelector('main .field[data-field="code"].invalid .field-error:not([hidden])');
    assert.match(await refusal.textContent(), /[\u0600-\u06FF]/, 'the refusal is in Persian');
    assert.ok(await page.$('main .error-summary a[href^="#"]'), 'and the summary at the top links to the field');
    assert.ok(!(await page.$('main [data-mobile-verified]')), 'a wrong code verifies nothing');
    await shot('mobile-code-wrong');
    await a11y('mobile code refused');
    // Registration sent the code moments ago: asking for another now is too early (429).
    await page.click('main [data-resend]');
    const wait = await page.waitForSelector('main [data-resend-wait]:not([hidden])');
    assert.match(await wait.textContent(), /[۰-۹]+ ثانیه/, 'the wait is said in words, in Persian');
    assert.ok(await page.$eval('main [data-resend]', (b) => b.disabled), 'send again waits out the interval');
    // A language switch keeps the typed code and the countdown.
    await page.fill('main input[name="code"]', persianDigits(smsCode));
    await switchLanguage(page, 'en');
    assert.equal(await page.inputValue('main input[name="code"]'), persianDigits(smsCode));
    assert.match(await page.textContent('main [data-resend-wait]'), /\d+ seconds/);
    await switchLanguage(page, 'fa');
    assert.equal(await page.inputValue('main input[name="code"]'), persianDigits(smsCode));
    await page.click('main form button[type="submit"]');
    await page.waitForSelector('main [data-mobile-verified]');
    await page.waitForFunction(() => !document.querySelector('#session [data-mobile-unverified]'));
    await shot('mobile-verified');
    // "Continue" goes where the person was going: the request type they chose, chosen.
    await page.click('main .actions a.button');
    await page.waitForURL(/\/inquiries\/new\?type=property-transfer/);
    await settle(page);
    assert.equal(await page.inputValue('main select[name="request_type_code"]'), 'property-transfer');

    await fillSteps(page, shot, a11y, {
      requestNumber: who.request_number,
      backAndReload: true,
      pick: async () => {
        await page.click('main .tabs button:nth-child(2)');
        // "Your properties" lists their parcel first…
        const own = await page.waitForSelector(`main [data-list="own"] [data-code="${who.renovation_code}"]`, { timeout: 20_000 });
        await page.waitForSelector(`main path.parcel-${who.renovation_code}`, { timeout: 20_000 });
        await shot('your-properties');
        // …a tap on a street selects nothing and says where to tap…
        await tapAStreet(page);
        await page.waitForSelector('main [data-missed]');
        assert.ok(!(await page.$('main [data-picked]')), 'a street is not a parcel');
        await shot('tapped-a-street');
        // …and their street and plate number, typed as a Persian keyboard gives them, find it.
        await page.fill('main input[name="q"]', streetAndNumber(who.address));
        await page.click('main [data-search]');
        const result = await Promise.race([
          page.waitForSelector('main [data-picked]', { timeout: 20_000 }).then(() => null),
          page.waitForSelector(`main [data-list="search"] [data-code="${who.renovation_code}"]`, { timeout: 20_000 }),
        ]);
        if (result) await result.click();
        let picked = await page.waitForSelector(`main [data-picked="${who.renovation_code}"]`, { timeout: 20_000 });
        assert.match(await picked.textContent(), PERSIAN_DIGIT);
        await shot('found-by-street');
        await own.click();
        picked = await page.waitForSelector(`main [data-picked="${who.renovation_code}"]`, { timeout: 20_000 });
        assert.ok(await page.$(`main path.parcel-${who.renovation_code}.own-parcel`), 'their parcel is marked as theirs');
      },
    });
    // Check your answers: every answer, each with a change link.
    const answers = await page.textContent('main .summary-list');
    assert.match(answers, new RegExp(persianDigits(who.request_number)), 'the request number is listed');
    assert.ok((await page.$$('main .summary-list a[data-change]')).length >= 5, 'each answer can be changed');
    // "Change" the property: its page, filled in; going on unchanged comes back here.
    await page.click('main .summary-list a[data-change="property"]');
    await atPage(page, 'property');
    assert.equal(await page.inputValue('main input[name="request_number"]'), who.request_number);
    await next(page, 'check');

    const { total } = await submitAndPay(page, shot, a11y);
    assert.match(total, PERSIAN_DIGIT, 'the bill total is in Persian digits');
    const outcome = await page.textContent('main [data-outcome="issued"] [data-plain]');
    assert.match(outcome, /بدهی/, 'the answer says in words what happened to the debt');
    const facts = await page.textContent('main dl.facts');
    assert.match(facts, /۱۴[۰-۹]{2}/, 'the issue date is a Jalali year in Persian digits');
    assert.doesNotMatch(facts, LATIN_DIGIT, 'no Latin digits in Persian mode');
    const timeline = await page.$$eval('.timeline li', (items) => items.map((i) => i.textContent));
    assert.ok(timeline.length >= 6, `the timeline shows every step: ${timeline.join(' | ')}`);
    assert.ok(timeline.every((item) => /۱۴[۰-۹]{2}/.test(item)), 'each step with its Jalali time');
    await printsThePage(page);

    const html = await downloadAnswer(page, 'main [data-download="html"]', 'newcomer-answer.html');
    assert.match(html.toString('utf8'), /<html/i);
    const pdf = await downloadAnswer(page, 'main [data-download="pdf"]', 'newcomer-answer.pdf');
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');

    // Anyone can check the answer: the verification page, without logging in.
    const verify = await page.getAttribute('main dl.facts a[href^="/verify/"]', 'href');
    await page.click('#session button');
    await page.goto(`${BASE}${verify}`);
    await settle(page);
    await page.waitForSelector('main [data-result]', { timeout: 20_000 });
    assert.equal(await page.getAttribute('main [data-result]', 'data-result'), 'valid');
    await page.waitForFunction(() => document.querySelector('main [data-root-fingerprint]')?.textContent !== '');
    const root = await (await fetch(`${BASE}/api/v1/answer-trust-list`)).headers.get('x-estelam-root-fingerprint');
    assert.equal(await page.textContent('main [data-root-fingerprint]'), root);
    assert.equal(await page.getAttribute('main a[data-offline-link]', 'href'), '/verify/offline');
    await shot('verify');
    await a11y('verify');

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
    // A person's mistake (the wrong code) is not an ERROR in the system's log.
    const errors = readFileSync(process.env.ESTELAM_LOG, 'utf8').split('\n').filter((l) => /"level":"ERROR"/.test(l));
    assert.deepEqual(errors.filter((l) => /VerifyMobile|call refused/.test(l)), [], 'user mistakes are not logged as errors');
    console.log(`axe-core found nothing on: ${checked.join(', ')}`);
  } finally {
    await context.close();
  }
});

test('a demo citizen cancels a draft, then files by renovation code, fixes a mistake the error summary names, pays and prints the answer (English, desktop)', async () => {
  const who = DEMO.citizens.find((c) => c.has_debt);
  assert.ok(who, 'demo.json has a citizen whose parcel owes levies');
  const context = await launch();
  const checked = [];
  try {
    const { page, problems } = await watchedPage(context, VIEWPORTS.desktop);
    const shot = camera(page, 'citizen-desktop-en');
    const a11y = (what) => accessible(page, `${what} (desktop, English)`, checked);
    await page.goto(`${BASE}/login`);
    await settle(page);
    await switchLanguage(page, 'en');
    await page.fill('main input[name="national_code"]', who.national_code);
    await page.fill('main input[name="password"]', who.password);
    await shot('login');
    await a11y('login');
    await page.click('main form button[type="submit"]');
    await page.waitForURL(/\/inquiries$/);
    await settle(page);
    await a11y('my inquiries');

    // No request type is chosen for the person: "next" without one names what is missing.
    await page.click('main a[href="/inquiries/new"]');
    await atStep(page, 3);
    assert.equal(await page.inputValue('main select[name="request_type_code"]'), '', 'no type is preselected');
    await page.click('main form .actions button[type="submit"]');
    await page.waitForSelector('main .error-summary a');
    assert.ok(await page.$('main .field[data-field="request_type_code"].invalid'), 'the field is marked too');
    await shot('error-summary');
    await a11y('new inquiry, with errors');

    // A draft started by mistake is cancelled, and says so.
    await page.selectOption('main select[name="request_type_code"]', 'property-transfer');
    for (const box of await page.$$('main input[type="checkbox"][name^="accept:"]')) await box.check();
    await next(page, 'property');
    await page.click('main [data-cancel]');
    await page.click('main [data-cancel-yes]');
    await page.waitForSelector('main [data-outcome="cancelled"]');
    await settle(page);
    await shot('cancelled');
    await a11y('cancelled');

    // Then the real one, by renovation code.
    await page.click('main a[href="/inquiries/new"]');
    await atStep(page, 3);
    await page.selectOption('main select[name="request_type_code"]', 'property-transfer');
    await fillSteps(page, shot, a11y, {
      requestNumber: who.request_number,
      pick: async () => {
        await page.fill('main input[name="renovation_code"]', who.renovation_code);
      },
    });
    const { total } = await submitAndPay(page, shot, a11y);
    assert.doesNotMatch(total, PERSIAN_DIGIT, 'English mode shows Latin digits');
    assert.match(await page.textContent('main [data-outcome="issued"] [data-plain]'), /debt has been paid and cleared/);
    const facts = await page.textContent('main dl.facts');
    assert.doesNotMatch(facts, PERSIAN_DIGIT);
    await printsThePage(page);

    const pdf = await downloadAnswer(page, 'main [data-download="pdf"]', 'citizen-answer.pdf');
    assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.deepEqual(unexpected(problems), [], 'no console errors, failed requests or CSP violations');
    console.log(`axe-core found nothing on: ${checked.join(', ')}`);
  } finally {
    await context.close();
  }
});
