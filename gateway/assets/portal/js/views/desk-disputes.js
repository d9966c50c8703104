// Objections to levies at the desk (`/clerk/disputes`): the objections whose deposit is held
// (note to article 74 of the Municipalities Law), oldest first (`GET /api/v1/disputes`), or
// every objection in another state. A clerk opens one — the disputed lines, the applicant's
// reason, the deposit and its receipt — and upholds it (the lines are written off and the
// deposit's refund is recorded) or dismisses it (the deposit pays the lines), with a reason
// the applicant reads (`POST /api/v1/disputes/{id}/decision`). The fees service decides who
// may (clerks and admins) and that an objection is decided once: anyone else sees its refusal.

import { t, digits, dateTime, rial, localized } from '../i18n.js';
import { h, field, showProblem, busy, clearErrors, problemNotice } from '../dom.js';
import { get, post } from '../api.js';
import * as session from '../session.js';
import { navigate } from '../router.js';

const STATES = ['deposited', 'awaiting_deposit', 'upheld', 'dismissed'];

const lineLabel = (item) => {
  const line = item.line || {};
  const year = line.jalali_year ? ` ${digits(String(line.jalali_year))}` : '';
  return `${localized(line.description || {})}${year}`;
};

/** One objection opened: what is disputed and why, and the clerk's decision. */
function disputeCard(d, done) {
  const card = h('div', { class: 'card', dataset: { dispute: d.dispute_id, status: d.status } },
    h('h2', {}, t('dispute_of'), ' ', h('span', { class: 'ltr' }, digits(d.renovation_code))),
    h('dl', { class: 'facts' },
      h('dt', {}, t('dispute_items')), h('dd', { 'data-dispute-items': true }, d.items.map(lineLabel).join('، ')),
      h('dt', {}, t('dispute_amount')), h('dd', {}, rial(d.disputed_rials)),
      h('dt', {}, t('dispute_reason')), h('dd', {}, d.reason),
      h('dt', {}, t('dispute_filed')), h('dd', {}, dateTime(d.filed && d.filed.at)),
      h('dt', {}, t('dispute_receipt')), h('dd', { class: 'ltr' }, d.deposit_receipt_code ? digits(d.deposit_receipt_code) : '—'),
      h('dt', {}, t('dispute_status')), h('dd', {}, t(`dispute_status_${d.status}`))));
  if (d.status !== 'deposited') {
    if (d.decision_reason) card.append(h('p', {}, t('dispute_decision_reason'), ': ', d.decision_reason));
    return card;
  }
  const form = h('form', { novalidate: true, 'data-dispute-decision': true },
    field('reason', t('dispute_decision_reason'), { hint: t('dispute_decision_hint') }),
    h('div', { class: 'actions' },
      h('button', { class: 'button', type: 'submit', value: 'uphold', 'data-uphold': true }, t('dispute_uphold')),
      h('button', { class: 'button secondary', type: 'submit', value: 'dismiss', 'data-dismiss': true }, t('dispute_dismiss'))));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const button = event.submitter || form.querySelector('[data-uphold]');
    busy(button, async () => {
      try {
        const decided = await post(`/api/v1/disputes/${encodeURIComponent(d.dispute_id)}/decision`, {
          decision: button.value, reason: form.elements.reason.value.trim(),
        });
        await done(decided.dispute);
      } catch (err) {
        if (err && err.problem) showProblem(form, err.problem);
        else throw err;
      }
    });
  });
  card.append(h('h3', {}, t('dispute_decision')), h('p', { class: 'muted small' }, t('dispute_refund_note')), form);
  return card;
}

/** A page of objections; `open(d)` shows one. */
function disputesTable(items, open) {
  if (!items.length) return h('p', { class: 'muted', 'data-dispute-empty': true }, t('dispute_none'));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-dispute-queue': true },
    h('thead', {}, h('tr', {}, ['renovation_code', 'dispute_items', 'dispute_amount', 'dispute_filed', ''].map((k) => h('th', { scope: 'col' }, k ? t(k) : '')))),
    h('tbody', {}, items.map((d) => {
      const button = h('button', { class: 'button secondary', type: 'button' }, t('open'));
      button.addEventListener('click', () => open(d));
      return h('tr', { dataset: { dispute: d.dispute_id } },
        h('td', { class: 'ltr' }, digits(d.renovation_code)),
        h('td', {}, d.items.map(lineLabel).join('، ')),
        h('td', {}, rial(d.disputed_rials)),
        h('td', {}, dateTime(d.filed && d.filed.at)),
        h('td', {}, button));
    }))));
}

/** Draws the objections desk (after a login). */
export async function render(main) {
  if (!session.current()) {
    navigate('/login?next=/clerk/disputes', { replace: true });
    return;
  }
  const notice = h('div', { 'aria-live': 'polite' });
  const list = h('div', {}, h('p', { class: 'muted' }, t('loading')));
  const shown = h('div', { 'aria-live': 'polite' });
  const state = h('select', { name: 'status', 'data-dispute-filter': true },
    STATES.map((s) => h('option', { value: s }, t(`dispute_status_${s}`))));
  const load = async () => {
    try {
      const page = (await get(`/api/v1/disputes?status=${encodeURIComponent(state.value)}`)) || {};
      list.replaceChildren(disputesTable(page.disputes || [], (d) => {
        notice.replaceChildren();
        shown.replaceChildren(disputeCard(d, async (decided) => {
          shown.replaceChildren();
          notice.replaceChildren(h('p', { class: 'notice notice-ok', 'data-decided': decided.status },
            t(`dispute_done_${decided.status}`)));
          await load();
        }));
        shown.scrollIntoView({ block: 'start' });
      }));
    } catch (err) {
      list.replaceChildren(problemNotice(err.problem));
    }
  };
  state.addEventListener('change', () => { shown.replaceChildren(); load(); });
  main.append(h('h1', {}, t('dispute_title')),
    h('p', {}, h('a', { href: '/clerk', 'data-link': true }, t('clerk_title'))),
    h('p', { class: 'muted' }, t('dispute_intro')),
    h('label', {}, t('dispute_status'), ' ', state),
    notice, list, shown);
  await load();
}
