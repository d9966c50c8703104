// Step 7, "check your answers" (the GOV.UK pattern): before the inquiry is submitted — after
// which nothing can be changed — every answer the person gave is listed, each with a
// "change" link back to the page that asked it. Submitting assesses the levies and debt.

import { t, digits, localized } from '../i18n.js';
import { h, showProblem, busy } from '../dom.js';
import { post, requestId } from '../api.js';
import { kindLabel } from '../kinds.js';

/** The address of wizard page `page` (as wizard.js `pageUrl`). */
const pageUrl = (inquiry, page) => `/inquiries/${encodeURIComponent(inquiry.inquiry_id)}?step=${page}`;

/** A row of the summary: what was asked, the answer, and where to change it. */
function row(inquiry, label, value, page, key) {
  const change = page
    ? h('a', { href: pageUrl(inquiry, page), 'data-link': true, 'data-change': page },
      t('check_change'), h('span', { class: 'visually-hidden' }, ` ${label}`))
    : null;
  return h('div', { class: 'summary-row', dataset: { answer: key } },
    h('dt', {}, label),
    h('dd', {}, value || '—'),
    h('dd', { class: 'summary-change' }, change));
}

/** The check-your-answers page of `inquiry`; `next(inquiry)` once it is submitted. */
export async function reviewStep(inquiry, type, next) {
  const property = inquiry.property || {};
  const letter = inquiry.letter || {};
  const applicant = inquiry.applicant || {};
  const documents = (inquiry.documents && inquiry.documents.documents) || [];
  const undertakings = (inquiry.undertakings && inquiry.undertakings.undertaking_version_ids) || [];
  const code = (text) => h('bdi', { dir: 'ltr', class: 'ltr' }, digits(text || ''));
  const rows = [
    row(inquiry, t('check_type'), localized(type.name) || inquiry.request_type_code, null, 'type'),
    row(inquiry, t('check_undertakings'), t('check_undertakings_value', { n: undertakings.length }), 'undertakings', 'undertakings'),
    row(inquiry, t('check_property'),
      h('span', {}, code(property.renovation_code), property.address ? h('span', { class: 'muted small' }, ` — ${digits(property.address)}`) : null),
      'property', 'renovation_code'),
    row(inquiry, t('check_request_number'), code(property.request_number), 'property', 'request_number'),
  ];
  if (type.letter_required !== false) {
    const parts = [letter.letter_number, letter.letter_date_jalali, localized(letter.authority_name)].filter(Boolean);
    rows.push(row(inquiry, t('check_letter'), digits(parts.join(' · ')), 'letter', 'letter'));
  }
  rows.push(
    row(inquiry, t('check_documents'), h('ul', { class: 'plain' }, documents.map((d) => h('li', {}, kindLabel(d.kind), ': ', h('bdi', {}, d.original_filename)))), 'documents', 'documents'),
    row(inquiry, t('check_applicant'), h('span', {}, applicant.full_name || '', ' ', code(applicant.national_code)), 'applicant', 'applicant'),
    row(inquiry, t('check_ownership'), applicant.ownership_type ? t(`own_${applicant.ownership_type}`) : '', 'applicant', 'ownership_type'),
  );
  const submit = h('button', { class: 'button', type: 'submit' }, t('submit_inquiry'));
  const form = h('form', { novalidate: true },
    h('p', { class: 'small' }, t('check_submit_note')),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(submit, async () => {
      try {
        const result = await post(`/api/v1/inquiries/${encodeURIComponent(inquiry.inquiry_id)}/submit`, {
          expected_version: inquiry.version, client_request_id: requestId(),
        });
        next(result.inquiry);
      } catch (err) {
        if (err && err.problem) showProblem(form, err.problem);
        else throw err;
      }
    });
  });
  return h('div', { 'data-check-answers': true },
    h('h2', {}, t('check_title')),
    h('p', {}, t('check_intro')),
    h('dl', { class: 'summary-list' }, rows),
    form);
}
