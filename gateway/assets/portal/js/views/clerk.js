// The clerk desk. Finding a parcel uses the documented `GET /api/v1/parcels/{code}` and
// works as soon as that route lands; the other clerk tasks are NOT WIRED YET (marked below).

import { t, digits, latinDigits } from '../i18n.js';
import { h, field, showProblem, busy, clearErrors } from '../dom.js';
import { get } from '../api.js';

/** Draws the clerk desk. */
export function render(main) {
  const submit = h('button', { class: 'button', type: 'submit' }, t('submit'));
  const form = h('form', { novalidate: true },
    field('renovation_code', t('renovation_code'), { digits: true, required: true, hint: t('renovation_code_hint') }),
    h('div', { class: 'actions' }, submit));
  const found = h('div', { 'aria-live': 'polite' });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    busy(submit, async () => {
      try {
        const code = latinDigits(form.elements.renovation_code.value.trim());
        const parcel = await get(`/api/v1/parcels/${encodeURIComponent(code)}`);
        found.replaceChildren(h('div', { class: 'card' }, h('dl', { class: 'facts' },
          h('dt', {}, t('renovation_code')), h('dd', { class: 'ltr' }, digits(parcel.renovation_code || '')),
          h('dt', {}, t('address')), h('dd', {}, parcel.address || ''))));
      } catch (err) {
        showProblem(form, err.problem);
      }
    });
  });
  main.append(
    h('h1', {}, t('clerk_title')),
    h('div', { class: 'card narrow' }, form), found,
    // NOT WIRED YET: issuing request numbers, viewing an inquiry's documents and revoking an
    // answer need clerk routes that the property and inquiry services bring.
    h('p', { class: 'notice not-wired', 'data-not-wired': 'inquiry' }, t('not_wired', { service: 'inquiry' })));
}
