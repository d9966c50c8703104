// The public verification page: anyone, without logging in, checks an answer by its
// verification code (`GET /api/v1/answers/{code}`); the QR code on an answer links here.

import { t, digits, latinDigits, localized, issuedText, validText, inquiryNumber } from '../i18n.js';
import { h, field, showProblem, busy, clearErrors } from '../dom.js';
import { get } from '../api.js';
import { navigate } from '../router.js';

const RESULT_TEXT = {
  valid: 'verify_valid',
  unknown: 'verify_unknown',
  revoked: 'verify_revoked',
  expired: 'verify_expired',
  copy_mismatch: 'verify_mismatch',
};

function outcome(body) {
  const ok = body.result === 'valid' && body.signature_valid !== false;
  const facts = (body.answer && body.answer.facts) || {};
  return h('div', { class: 'card', 'data-result': body.result },
    h('p', { class: `notice ${ok ? 'notice-ok' : 'notice-error'}` }, localized(body.message) || t(RESULT_TEXT[body.result] || 'error_generic')),
    body.answer ? h('dl', { class: 'facts' },
      h('dt', {}, t('inquiry_number')), h('dd', { class: 'ltr' }, inquiryNumber(body.answer.inquiry_number)),
      h('dt', {}, t('renovation_code')), h('dd', { class: 'ltr' }, digits(facts.renovation_code || '')),
      h('dt', {}, t('address')), h('dd', {}, digits(facts.address || '')),
      h('dt', {}, t('issued_at')), h('dd', {}, issuedText(facts)),
      h('dt', {}, t('valid_until')), h('dd', {}, validText(facts))) : null);
}

/** Draws the form, and the outcome when the address names a code. */
export async function render(main, params) {
  const code = params.code ? latinDigits(params.code) : '';
  const submit = h('button', { class: 'button', type: 'submit' }, t('verify_button'));
  const form = h('form', { novalidate: true },
    field('verification_code', t('verification_code'), { digits: true, inputmode: 'numeric', required: true, value: code }),
    h('div', { class: 'actions' }, submit));
  const result = h('div', { 'aria-live': 'polite' });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = latinDigits(form.elements.verification_code.value.trim());
    if (value) navigate(`/verify/${encodeURIComponent(value)}`);
  });
  main.append(h('div', { class: 'card narrow' }, h('h1', {}, t('verify_title')), h('p', {}, t('verify_intro')), form), result);
  if (!code) return;
  clearErrors(form);
  await busy(submit, async () => {
    try {
      result.replaceChildren(outcome(await get(`/api/v1/answers/${encodeURIComponent(code)}`, { auth: false })));
    } catch (err) {
      showProblem(form, err.problem);
    }
  });
}
