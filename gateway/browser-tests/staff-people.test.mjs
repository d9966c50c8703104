// The staff desk's people page in headless Chromium: the first admin opens /clerk/people,
// creates a clerk (the one-time password is shown once), disables the account — the clerk
// can no longer log in — enables it again, and gives it a new one-time password, which
// replaces the old one; then registers a notary office, adds a user to it and disables the
// office, which stops that user from logging in. Each effect is checked where a person
// would notice it: the page, and a login over the HTTP API. axe-core finds nothing on the
// page. Run by run.sh, which starts the whole system and sets PORTAL_URL, ARTIFACTS and
// ESTELAM_LOG.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  ARTIFACTS, BASE, VIEWPORTS, axeViolations, firstAdminPassword, launch, nationalCode, settle,
  unexpected, watchedPage,
} from './support.mjs';

/** A login over the HTTP API: the status and, when refused, the problem's reason. */
async function tryLogin(national_code, password) {
  const response = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ national_code, password }),
  });
  const body = await response.json();
  return { status: response.status, reason: body.reason, account: body.account };
}

/** Fills the reason of a row's or card's action form and sends it. */
async function withReason(form, reason) {
  await form.locator('input[name="reason"]').fill(reason);
  await form.locator('button[type="submit"]').click();
}

test('an admin manages staff accounts and an organisation on the desk', async () => {
  const admin = await firstAdminPassword();
  const seed = Date.now();
  const clerk = { code: nationalCode(seed), mobile: `0913${String(seed % 10_000_000).padStart(7, '0')}` };
  const member = { code: nationalCode(seed + 7), mobile: `0914${String((seed + 7) % 10_000_000).padStart(7, '0')}` };
  const office = 'دفتر اسناد رسمی آزمون مرورگر';

  const context = await launch();
  try {
    const { page, problems } = await watchedPage(context, VIEWPORTS.desktop);
    const shot = (what) => page.screenshot({ path: join(ARTIFACTS, `staff-people-${what}.png`), fullPage: true });

    await page.goto(`${BASE}/login?next=/clerk/people`);
    await settle(page);
    await page.click('main [role="tab"]:nth-child(2)');
    await page.fill('main input[name="membership_code"]', admin.membership);
    await page.fill('main input[name="password"]', admin.password);
    await page.click('main form button[type="submit"]');
    await page.waitForURL(/\/clerk\/people$/);
    await settle(page);

    // A new clerk: the one-time password is shown once, and the account is listed.
    const accounts = page.locator('main section[data-section="accounts"]');
    const create = accounts.locator('form:has(input[name="first_name"])');
    await create.locator('input[name="national_code"]').fill(clerk.code);
    await create.locator('input[name="first_name"]').fill('سارا');
    await create.locator('input[name="last_name"]').fill('مرورگری');
    await create.locator('input[name="mobile"]').fill(clerk.mobile);
    await create.locator('button[type="submit"]').click();
    const secret = accounts.locator('[data-shown-once="password"] [data-secret]');
    await secret.waitFor();
    const firstPassword = (await secret.textContent()).trim();
    assert.ok(firstPassword.length >= 8, 'a one-time password is shown');
    const row = accounts.locator('tr[data-account]', { hasText: 'مرورگری' });
    await row.waitFor();
    const accountId = await row.getAttribute('data-account');
    const rowById = () => accounts.locator(`tr[data-account="${accountId}"]`);
    let login = await tryLogin(clerk.code, firstPassword);
    assert.equal(login.status, 200, 'the new clerk logs in with the one-time password');
    assert.equal(login.account.password_change_required, true, 'and must change it first');
    await shot('created');

    // Disabled: listed as such, and the clerk cannot log in.
    await withReason(rowById().locator('form').nth(0), 'آزمون غیرفعال کردن');
    await page.waitForSelector(`main tr[data-account="${accountId}"][data-status="disabled"]`);
    login = await tryLogin(clerk.code, firstPassword);
    assert.equal(login.status, 403);
    assert.equal(login.reason, 'ACCOUNT_DISABLED');

    // Enabled again: the clerk logs in.
    await withReason(rowById().locator('form').nth(0), 'آزمون فعال کردن');
    await page.waitForSelector(`main tr[data-account="${accountId}"][data-status="active"]`);
    assert.equal((await tryLogin(clerk.code, firstPassword)).status, 200);

    // A new one-time password replaces the old one.
    await withReason(rowById().locator('form').nth(1), 'گذرواژه فراموش شده');
    await page.waitForFunction(
      (old) => {
        const shown = document.querySelector('main section[data-section="accounts"] [data-shown-once="password"] [data-secret]');
        return shown && shown.textContent.trim() !== old;
      },
      firstPassword,
    );
    const secondPassword = (await secret.textContent()).trim();
    assert.equal((await tryLogin(clerk.code, firstPassword)).status, 401, 'the old password no longer works');
    assert.equal((await tryLogin(clerk.code, secondPassword)).status, 200, 'the new one does');
    await shot('reset');

    // A notary office, a user of it, and the office disabled.
    const orgs = page.locator('main section[data-section="organizations"]');
    const register = orgs.locator('form:has(input[name="registry_number"])');
    await register.locator('select[name="type"]').selectOption('notary_office');
    await register.locator('input[name="name.fa"]').fill(office);
    await register.locator('input[name="registry_number"]').fill(String(seed % 100_000));
    await register.locator('input[name="city"]').fill('شاهین شهر');
    await register.locator('button[type="submit"]').click();
    const card = orgs.locator('li[data-organization]', { hasText: office });
    await card.waitFor();
    const orgId = await card.getAttribute('data-organization');
    const cardById = () => orgs.locator(`li[data-organization="${orgId}"]`);
    await cardById().locator('summary').click();
    const addUser = cardById().locator('form:has(input[name="first_name"])');
    await addUser.waitFor();
    await addUser.locator('input[name="national_code"]').fill(member.code);
    await addUser.locator('input[name="first_name"]').fill('رضا');
    await addUser.locator('input[name="last_name"]').fill('دفترداری');
    await addUser.locator('input[name="mobile"]').fill(member.mobile);
    await addUser.locator('button[type="submit"]').click();
    const memberSecret = cardById().locator('[data-shown-once="password"] [data-secret]');
    await memberSecret.waitFor();
    const memberPassword = (await memberSecret.textContent()).trim();
    await cardById().locator('[data-members] tr[data-account]', { hasText: 'دفترداری' }).waitFor();
    assert.equal((await tryLogin(member.code, memberPassword)).status, 200, 'the office\'s user logs in');
    await shot('organisation');

    await withReason(cardById().locator('form').first(), 'آزمون غیرفعال کردن دفتر');
    await page.waitForSelector(`main li[data-organization="${orgId}"][data-active="false"]`);
    login = await tryLogin(member.code, memberPassword);
    assert.equal(login.status, 403, 'a disabled office\'s user cannot log in');
    assert.equal(login.reason, 'ORGANIZATION_DISABLED');
    await shot('organisation-disabled');

    assert.deepEqual(await axeViolations(page), [], 'axe-core finds nothing on /clerk/people');
    assert.deepEqual(unexpected(problems), []);
  } finally {
    await context.close();
  }
});
