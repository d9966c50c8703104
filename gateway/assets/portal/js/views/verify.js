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

/**
 * Fills in the trust list's root key fingerprint (the gateway repeats it in a header), which
 * a careful verifier compares with the one the municipality publishes.
 */
async function showRootFingerprint(into) {
  try {
    const response = await fetch('/api/v1/answer-trust-list', { headers: { accept: 'application/jwk-set+jwt' } });
    into.textContent = response.headers.get('x-estelam-root-fingerprint') || '';
  } catch {
    // Not essential to the check on this page; the offline page shows it too.
  }
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
  const root = h('span', { class: 'ltr', 'data-root-fingerprint': '' });
  main.append(h('div', { class: 'card narrow' }, h('h1', {}, t('verify_title')), h('p', {}, t('verify_intro')), form,
    h('p', {}, t('verify_root_fingerprint'), ' ', root),
    h('p', {}, h('a', { href: '/verify/offline', 'data-reload': '', 'data-offline-link': '' }, t('verify_offline_link')))), result);
  showRootFingerprint(root);
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
