// The staff desk's e-service editor in headless Chromium: the first admin (whose one-time
// password `estelam run` prints into its log) logs in, changes that password as the portal
// asks, opens /clerk/services, tries to publish a new e-service whose inquiry fee no tariff
// of this year prices — the refusal appears next to the fee items, in Persian — then
// publishes it without the fee and sees the wizard a citizen will see, with the answer's
// title and statements; axe-core finds nothing on the page. Run by run.sh, which starts the whole system and sets PORTAL_URL,
// ARTIFACTS and ESTELAM_LOG.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ADMIN_PASSPHRASE, ARTIFACTS, BASE, VIEWPORTS, axeViolations, firstAdmin, launch, settle, unexpected, watchedPage,
} from './support.mjs';

test('an admin publishes an e-service on the desk and sees what a citizen will see', async () => {
  const admin = await firstAdmin();
  const context = await launch();
  try {
    const { page, problems } = await watchedPage(context, VIEWPORTS.desktop);
    const shot = (what) => page.screenshot({ path: join(ARTIFACTS, `staff-eservice-${what}.png`), fullPage: true });

    await page.goto(`${BASE}/login?next=/clerk/services`);
    await settle(page);
    await page.click('main [role="tab"]:nth-child(2)');
    await page.fill('main input[name="membership_code"]', admin.membership);
    await page.fill('main input[name="password"]', admin.password);
    await page.click('main form button[type="submit"]');
    // A one-time password is changed before anything else.
    await page.waitForURL(/\/me\/password/);
    await settle(page);
    await page.fill('main input[name="current_password"]', admin.password);
    await page.fill('main input[name="new_password"]', ADMIN_PASSPHRASE);
    await page.click('main form button[type="submit"]');
    await page.waitForURL(/\/clerk\/services$/);
    await settle(page);
    assert.ok(await page.$('main tr[data-type="clearance"]'), 'the seeded e-services are listed');

    await page.click('main [data-create]');
    await page.waitForSelector('main form[data-editor="new"]');
    await page.fill('main input[name="request_type.code"]', 'browser-extract');
    await page.fill('main input[name="request_type.name.fa"]', 'رونوشت پرونده (آزمون مرورگر)');
    await page.fill('main input[name="request_type.name.en"]', 'Record extract (browser test)');
    await page.fill('main input[name="request_type.undertakings[0].code"]', 'own-use');
    await page.fill('main textarea[name="request_type.undertakings[0].text.fa"]', 'این رونوشت را برای استفادهٔ خود می‌خواهم.');
    await page.check('main input[name="request_type.required_documents"][value="national_id_card"]');
    await page.check('main input[name="request_type.check_ownership"]');
    await page.check('main input[name="request_type.fee_items"][value="inquiry_fee"]');
    await page.fill('main input[name="request_type.answer_title.fa"]', 'رونوشت پروندهٔ ملک');
    await page.fill('main textarea[name="request_type.answer_statements.fa"]', 'این رونوشت جای سند مالکیت را نمی‌گیرد.');
    await page.fill('main input[name="reason"]', 'آزمون میز کارمند');

    // No tariff of this year prices its inquiry fee: refused, next to the fee items.
    await page.click('main form[data-editor="new"] .actions button');
    await page.waitForSelector('main .field[data-field="request_type.fee_items"].invalid');
    const said = await page.textContent('main .field[data-field="request_type.fee_items"] .field-error');
    assert.match(said, /هزینهٔ استعلام/, said);
    await shot('refused');

    // Without the fee it is published, and the preview shows the wizard and the answer.
    await page.uncheck('main input[name="request_type.fee_items"][value="inquiry_fee"]');
    await page.click('main form[data-editor="new"] .actions button');
    await page.waitForSelector('main [data-published="browser-extract"]');
    await page.waitForSelector('main [data-preview="browser-extract"]');
    const steps = await page.$$eval('main [data-preview] [data-step]', (els) => els.map((e) => e.dataset.step));
    assert.deepEqual(steps, ['undertakings', 'property', 'documents', 'applicant', 'answer']);
    assert.match(await page.textContent('main [data-answer-title]'), /رونوشت پروندهٔ ملک/);
    assert.match(await page.textContent('main [data-statement]'), /جای سند مالکیت/);
    assert.ok(await page.$('main tr[data-type="browser-extract"]'), 'listed after publishing');
    await shot('published');
    // The editor with its preview meets WCAG 2.1 A/AA as the other pages do.
    assert.deepEqual(await axeViolations(page), [], 'axe-core finds nothing on /clerk/services');
    // The form now holds version 1: publishing again makes version 2.
    await page.fill('main input[name="reason"]', 'نسخهٔ دوم');
    await page.click('main form[data-editor="browser-extract"] .actions button');
    await page.waitForFunction(() => /۲|2/.test(document.querySelector('main [data-published="browser-extract"]')?.textContent || ''));

    // The refusal was a 422 the page showed; nothing else went wrong.
    const rest = unexpected(problems).filter((p) => !/^http 422 PUT \S+\/api\/v1\/request-types\/browser-extract$/.test(p));
    assert.deepEqual(rest, []);
  } finally {
    await context.close();
  }
});
