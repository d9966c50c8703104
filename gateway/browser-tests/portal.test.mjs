// Headless-Chromium checks of the portal as a person meets it, driven by playwright-core
// with Debian's /usr/bin/chromium (no browser download). Run by run.sh, which starts the
// whole system and sets PORTAL_URL and ARTIFACTS.
//
// Checks, on a phone (390×844) and a desktop (1280×900) viewport:
//   * the home page renders Persian, right to left, in Vazirmatn, with Persian digits;
//   * the language switch flips to English, left to right, and back, and keeps what a person
//     has typed in a form (also text typed while the page is being drawn again);
//   * deep links (/verify/…, /login, /map) render their views;
//   * the API reference (/api/docs) renders from vendored swagger-ui;
//   * no console error and no Content-Security-Policy violation on any page.
// Screenshots go to $ARTIFACTS for a person to look at.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ARTIFACTS, BASE, VIEWPORTS, eventually, launch, settle, switchLanguage, unexpected, watchedPage,
} from './support.mjs';

for (const [name, viewport] of Object.entries(VIEWPORTS)) {
  test(`portal on a ${name}: Persian RTL, English switch, deep links, no errors`, async () => {
    const context = await launch();
    try {
      const { page, problems } = await watchedPage(context, viewport);
      await page.goto(`${BASE}/`);
      await settle(page);
      assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
      assert.equal(await page.getAttribute('html', 'lang'), 'fa');
      const heading = await page.textContent('main h1');
      assert.match(heading, /خدمات/, 'Persian heading');
      const font = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
      assert.match(font, /Vazirmatn/);
      // Ask for the face and wait for it: the page may not have needed it yet.
      const faces = await page.evaluate(async () => (await document.fonts.load('16px Vazirmatn')).length);
      assert.ok(faces > 0, 'Vazirmatn loads');
      assert.ok(await page.evaluate(() => document.fonts.check('16px Vazirmatn')), 'Vazirmatn loaded');
      await page.screenshot({ path: join(ARTIFACTS, `${name}-home-fa.png`), fullPage: true });

      await switchLanguage(page, 'en');
      assert.equal(await page.getAttribute('html', 'dir'), 'ltr');
      assert.equal(await page.getAttribute('html', 'lang'), 'en');
      assert.match(await page.textContent('main h1'), /Municipal e-services/);
      assert.match(await page.textContent('.brand-name'), /Shahin Shahr/);
      await page.screenshot({ path: join(ARTIFACTS, `${name}-home-en.png`), fullPage: true });
      await switchLanguage(page, 'fa');
      assert.equal(await page.getAttribute('html', 'dir'), 'rtl');

      await page.goto(`${BASE}/verify/1234567890`);
      await settle(page);
      assert.match(await page.textContent('main h1'), /بررسی اصالت/);
      const code = await page.inputValue('input[name="verification_code"]');
      assert.equal(code, '1234567890');
      await page.screenshot({ path: join(ARTIFACTS, `${name}-verify-fa.png`), fullPage: true });

      await page.goto(`${BASE}/register`);
      await settle(page);
      await page.click('button[type="submit"]');
      await page.waitForSelector('.notice-error, .field.invalid');
      await page.screenshot({ path: join(ARTIFACTS, `${name}-register-fa.png`), fullPage: true });

      await page.goto(`${BASE}/map`);
      await settle(page);
      await page.waitForSelector('.leaflet-container');
      await page.waitForSelector('main [data-map-status]');
      await page.screenshot({ path: join(ARTIFACTS, `${name}-map-fa.png`), fullPage: true });

      // A visitor who has not logged in is refused the map's parcels (the property service
      // serves them to accounts only), which the page says; a navigation may abort a call
      // still in flight. Those, and only those, are expected here; script errors, CSP
      // violations, server errors and failed asset loads are not.
      // The verification page was opened with a made-up code, which the API refuses (400:
      // its check digit is wrong) and the page shows.
      const left = unexpected(problems).filter(
        (p) => !/^http 400 GET \S+\/api\/v1\/answers\/1234567890$/.test(p)
          && !/^http 401 GET \S+\/api\/v1\/collections\/parcels\/items\?/.test(p),
      );
      assert.deepEqual(left, [], 'no console errors or CSP violations');
    } finally {
      await context.close();
    }
  });
}

test('a language switch in the middle of a form keeps what the person typed (phone)', async () => {
  const context = await launch();
  try {
    const { page, problems } = await watchedPage(context, VIEWPORTS.phone);
    await page.goto(`${BASE}/register`);
    await settle(page, 'fa');
    await page.fill('main input[name="national_code"]', '۰۰۱۲۳۴۵۶۷۸');
    await page.fill('main input[name="first_name"]', 'مریم');
    await page.fill('main input[name="password"]', 'a-secret-1403');
    await switchLanguage(page, 'en');
    assert.match(await page.textContent('main h1'), /Citizen registration/, 'the form is drawn again in English');
    assert.equal(await page.inputValue('main input[name="national_code"]'), '۰۰۱۲۳۴۵۶۷۸');
    assert.equal(await page.inputValue('main input[name="first_name"]'), 'مریم');
    assert.equal(await page.inputValue('main input[name="password"]'), 'a-secret-1403');
    assert.equal(await page.inputValue('main input[name="last_name"]'), '', 'an untouched field stays empty');
    await page.screenshot({ path: join(ARTIFACTS, 'phone-register-switched-en.png'), fullPage: true });

    // What failed CI once: text typed right after the click, while the page is still being
    // drawn again (its view module loads asynchronously), landed in the old form and was
    // wiped. Type in the same task as the click, before any redraw can happen.
    await page.goto(`${BASE}/login`);
    await settle(page, 'en');
    await page.evaluate(() => {
      document.getElementById('lang-switch').click();
      const input = document.querySelector('main input[name="national_code"]');
      input.value = '0012345678';
      input.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await settle(page, 'fa');
    assert.equal(await page.inputValue('main input[name="national_code"]'), '0012345678');

    // The login form's second tab, and the value typed there, survive too.
    await page.click('main .tabs button:nth-child(2)');
    await page.fill('main input[name="membership_code"]', '123456');
    await switchLanguage(page, 'en');
    assert.equal(await page.getAttribute('main .tabs button:nth-child(2)', 'aria-selected'), 'true');
    assert.equal(await page.inputValue('main input[name="membership_code"]'), '123456');
    assert.deepEqual(unexpected(problems), [], 'no console errors or CSP violations');
  } finally {
    await context.close();
  }
});

test('API reference renders from vendored swagger-ui with no CSP violation', async () => {
  const context = await launch();
  try {
    const { page, problems } = await watchedPage(context, VIEWPORTS.desktop);
    await page.goto(`${BASE}/api/docs`);
    await page.waitForSelector('.swagger-ui .opblock', { timeout: 20_000 });
    const text = await page.textContent('.swagger-ui');
    assert.match(text, /\/api\/openapi\.json/);
    assert.match(text, /\/healthz/);
    await page.screenshot({ path: join(ARTIFACTS, 'desktop-api-docs.png'), fullPage: false });
    assert.deepEqual(problems, [], 'no console errors or CSP violations');
  } finally {
    await context.close();
  }
});

test('the policy blocks an injected inline script, and the detector above sees it', async () => {
  const context = await launch();
  try {
    const { page, problems } = await watchedPage(context, VIEWPORTS.phone);
    await page.goto(`${BASE}/`);
    await settle(page);
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true;';
      document.body.append(s);
      const style = document.createElement('style');
      style.textContent = 'body { background: red; }';
      document.head.append(style);
    });
    // An allowed inline script would have run as it was appended; a blocked one is reported.
    await eventually(
      () => problems.some((p) => p.startsWith('CSP: script-src')) && problems.some((p) => p.startsWith('CSP: style-src')),
      'both violations to be reported',
    );
    assert.equal(await page.evaluate(() => window.__inlineRan), undefined, 'inline script did not run');
    assert.ok(problems.some((p) => p.startsWith('CSP: script-src')), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('CSP: style-src')), problems.join('\n'));
  } finally {
    await context.close();
  }
});

test.after(() => {
  console.log(`screenshots: ${ARTIFACTS}`);
});
