// "My inquiries": each with its number, status and date (`GET /api/v1/inquiries`).

import { t, date, inquiryNumber } from '../i18n.js';
import { h, problemNotice } from '../dom.js';
import { get } from '../api.js';
import * as session from '../session.js';
import { navigate } from '../router.js';

const FINAL_OK = new Set(['issued']);
const FINAL_BAD = new Set(['rejected', 'cancelled', 'expired']);

/** A status badge for an inquiry state. */
export function stateBadge(state) {
  const cls = FINAL_OK.has(state) ? 'badge final' : FINAL_BAD.has(state) ? 'badge bad' : 'badge';
  return h('span', { class: cls }, t(`state_${state}`));
}

/** Draws the list (or sends a visitor to log in first). */
export async function render(main) {
  if (!session.current()) {
    navigate('/login?next=/inquiries', { replace: true });
    return;
  }
  const box = h('div', { class: 'card' }, h('p', { class: 'muted' }, t('loading')));
  const account = session.current().account || {};
  if (account.mobile_verified === false) {
    main.append(h('p', { class: 'notice', 'data-mobile-unverified': true }, t('mobile_unverified_notice'), ' ',
      h('a', { href: '/me/mobile?next=%2Finquiries', 'data-link': true }, t('mobile_verify_now'))));
  }
  main.append(
    h('div', { class: 'actions' }, h('h1', {}, t('my_inquiries_title')),
      h('a', { class: 'button', href: '/inquiries/new', 'data-link': true }, t('new_inquiry'))),
    box);
  try {
    const body = await get('/api/v1/inquiries');
    const list = (body && body.inquiries) || [];
    if (!list.length) {
      box.replaceChildren(h('p', {}, t('my_inquiries_none')));
      return;
    }
    box.replaceChildren(h('ul', { class: 'list' }, list.map((q) => h('li', {},
      h('span', {}, h('strong', { class: 'ltr' }, inquiryNumber(q.inquiry_number)), ' ', stateBadge(q.state), h('br'),
        h('span', { class: 'muted small' }, `${t('created_at')}: ${date(q.created_at)}`)),
      h('a', { class: 'button secondary', href: `/inquiries/${encodeURIComponent(q.inquiry_id)}`, 'data-link': true }, t('open'))))));
  } catch (err) {
    box.replaceChildren(problemNotice(err.problem));
  }
}
