// The staff walk of the review queue, in headless Chromium against the whole system (run.sh):
// the demo citizen who owes nothing files a clearance through the HTTP API under a name
// otherwise than on their deed, so that it waits for a municipal clerk; the citizen's page
// says so (on a phone); the demo clerk logs in, opens the queue at /clerk/reviews, opens the review —
// what the applicant gave beside what the records say, the deed to download — and approves
// it; the queue no longer holds it and the citizen's inquiry goes on. Screenshots go to
// $ARTIFACTS.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  ARTIFACTS, BASE, VIEWPORTS, axeViolations, launch, settle, unexpected, watchedPage,
} from './support.mjs';

const DEMO = JSON.parse(readFileSync(process.env.DEMO_JSON, 'utf8'));

const PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n'
  + '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==',
  'base64',
);

/** A name no owner is recorded under. */
const OTHER_NAME = 'مریم کاظمی';

/** The HTTP API as the holder of `token` calls it; a refusal fails the test with its body. */
function api(token) {
  const call = async (method, path, body) => {
    const headers = { authorization: `Bearer ${token}` };
    let payload;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const response = await fetch(`${BASE}${path}`, { method, headers, body: payload });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : {};
  };
  return {
    get: (path) => call('GET', path),
    post: (path, body) => call('POST', path, body),
    put: (path, body) => call('PUT', path, body),
  };
}

async function logIn(nationalCode, password) {
  const response = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ national_code: nationalCode, password }),
  });
  assert.equal(response.status, 200, `login of ${nationalCode}`);
  return (await response.json()).tokens.access_token;
}

async function upload(citizen, kind, name, type, bytes) {
  const form = new FormData();
  form.append('kind', kind);
  form.append('file', new Blob([bytes], { type }), name);
  return (await citizen.post('/api/v1/documents', form)).document_id;
}

/** Steps 3–6 of a clearance with the applicant's name written otherwise than on the deed. */
async function fileWithAnotherName(who) {
  const citizen = api(await logIn(who.national_code, who.password));
  const type = (await citizen.get('/api/v1/request-types')).request_types.find((t) => t.code === 'clearance');
  assert.ok(type, 'the clearance request type is offered');
  let inquiry = await citizen.post('/api/v1/inquiries', { request_type_code: 'clearance', client_request_id: randomUUID() });
  const step = async (name, body) => {
    inquiry = await citizen.put(`/api/v1/inquiries/${inquiry.inquiry_id}/${name}`, {
      ...body, expected_version: inquiry.version, client_request_id: randomUUID(),
    });
  };
  await step('undertakings', { undertaking_version_ids: type.undertakings.map((u) => u.undertaking_version_id) });
  await step('property', { renovation_code: who.renovation_code, request_number: who.request_number });
  const card = await upload(citizen, 'national_id_card', 'card.png', 'image/png', PNG);
  const deed = await upload(citizen, 'ownership_deed', 'deed.pdf', 'application/pdf', PDF);
  await step('documents', { document_ids: [card, deed] });
  await step('applicant', { full_name: OTHER_NAME, national_code: who.national_code, ownership_type: 'full' });
  assert.equal(inquiry.state, 'awaiting_review', 'the mismatch waits for a clerk');
  return { citizen, inquiry };
}

/** The citizen's own page of the inquiry says a municipal clerk is checking it (phone). */
async function theApplicantSeesItWaits(who, inquiry) {
  const context = await launch();
  try {
    const { page, problems } = await watchedPage(context, VIEWPORTS.phone);
    await page.goto(`${BASE}/login?next=/inquiries/${inquiry.inquiry_id}`);
    await settle(page);
    await page.fill('main input[name="national_code"]', who.national_code);
    await page.fill('main input[name="password"]', who.password);
    await page.click('main form button[type="submit"]');
    await page.waitForSelector('main [data-waiting="review"]', { timeout: 20_000 });
    await settle(page);
    assert.match(await page.textContent('main [data-waiting="review"]'), /کارشناس شهرداری/);
    assert.equal(await page.$('main form button[type="submit"]'), null, 'nothing to change while it waits');
    await page.screenshot({ path: join(ARTIFACTS, 'staff-review-00-applicant-waits.png'), fullPage: true });
    const violations = await axeViolations(page);
    assert.deepEqual(violations, [], `axe-core on the waiting inquiry: ${violations.join('; ')}`);
    const left = unexpected(problems);
    assert.deepEqual(left, [], `no console errors, failed requests or CSP violations: ${left.join('; ')}`);
  } finally {
    await context.close();
  }
}

test('a clerk opens the review queue and approves a name mismatch (desktop, Persian)', async () => {
  const who = DEMO.citizens.find((c) => !c.has_debt);
  assert.ok(who, 'demo.json has a citizen who owes nothing');
  const { citizen, inquiry } = await fileWithAnotherName(who);
  await theApplicantSeesItWaits(who, inquiry);
  const context = await launch();
  try {
    const { page, problems } = await watchedPage(context, VIEWPORTS.desktop);
    let n = 0;
    const shot = (what) => page.screenshot({ path: join(ARTIFACTS, `staff-review-${String(++n).padStart(2, '0')}-${what}.png`), fullPage: true });

    await page.goto(`${BASE}/login?next=/clerk/reviews`);
    await settle(page);
    await page.fill('main input[name="national_code"]', DEMO.clerk.national_code);
    await page.fill('main input[name="password"]', DEMO.clerk.password);
    await page.click('main form button[type="submit"]');
    await page.waitForURL(/\/clerk\/reviews$/);
    await settle(page);
    const row = `main [data-review-queue] tr[data-inquiry="${inquiry.inquiry_id}"]`;
    await page.waitForSelector(row);
    assert.equal(await page.getAttribute(row, 'data-kind'), 'applicant_name_mismatch');
    await shot('queue');
    let violations = await axeViolations(page);
    assert.deepEqual(violations, [], `axe-core on the review queue: ${violations.join('; ')}`);

    // One review: the applicant's name beside the one on record, and the deed to read.
    await page.click(`${row} button`);
    const card = `main [data-review="${inquiry.inquiry_id}"]`;
    await page.waitForSelector(card);
    assert.equal((await page.textContent(`${card} [data-given="full_name"]`)).trim(), OTHER_NAME);
    assert.equal((await page.textContent(`${card} [data-recorded="full_name"]`)).trim(), who.name);
    assert.equal(await page.$$eval(`${card} [data-review-documents] li`, (items) => items.length), 2, 'the card and the deed');
    await shot('review-opened');
    violations = await axeViolations(page);
    assert.deepEqual(violations, [], `axe-core on an opened review: ${violations.join('; ')}`);

    await page.click(`${card} [data-approve]`);
    await page.waitForSelector('main [data-decided="applicant_verified"]');
    await settle(page);
    assert.equal(await page.$(row), null, 'the decided inquiry left the queue');
    await shot('approved');

    const after = await citizen.get(`/api/v1/inquiries/${inquiry.inquiry_id}`);
    assert.equal(after.state, 'applicant_verified', 'the citizen goes on to submit');
    assert.equal(after.review.status, 'approved');
    const left = unexpected(problems);
    assert.deepEqual(left, [], `no console errors, failed requests or CSP violations: ${left.join('; ')}`);
  } finally {
    await context.close();
  }
});
