// What a person sees once the inquiry is submitted, said in plain words: the bill waiting for
// payment (which parcel, how much in rials and tomans, until when), the answer issued (what
// it means and what to do with it), or why it stopped (refused, cancelled, expired) and
// what to do next. Below each, the inquiry's timeline: every step and when it happened, in
// Jalali dates in Persian, and the date the law says the municipality must answer by. "Print" prints this page on the print stylesheet (portal.css
// `@media print`), which leaves out everything but the answer.

import { t, digits, localized, num, tomans, lang, date, dateTime, issuedText, validText } from '../i18n.js';
import { h, busy, problemNotice } from '../dom.js';
import { get, post, requestId } from '../api.js';
import * as session from '../session.js';
import { disputeForm, disputesList } from './objection.js';

const base = (inquiry) => `/api/v1/inquiries/${encodeURIComponent(inquiry.inquiry_id)}`;
const code = (text) => h('bdi', { dir: 'ltr', class: 'ltr' }, digits(text || ''));

/** The bill's lines; amounts in the column headed "(rials)", so no cell repeats the unit. */
function billTable(bill) {
  return h('table', { class: 'bill' },
    h('thead', {}, h('tr', {}, h('th', {}, t('bill_item')), h('th', {}, t('bill_year')), h('th', { class: 'amount' }, t('bill_amount')))),
    h('tbody', {}, (bill.lines || []).map((line) => h('tr', {},
      h('td', {}, localized(line.description)),
      h('td', {}, line.jalali_year ? digits(String(line.jalali_year)) : ''),
      h('td', { class: 'amount' }, num(line.total_rials || 0))))),
    h('tfoot', {}, h('tr', {}, h('td', { colspan: 2 }, t('bill_total')), h('td', { class: 'amount' }, num(bill.total_rials || 0)))));
}

/** Step 8: the bill, said in words, and "pay" (to the payment provider's page). */
export async function paymentStep(inquiry) {
  const box = h('div', {}, h('h2', {}, t('outcome_waiting_title')));
  if (inquiry.state === 'assessed') {
    box.replaceChildren(h('h2', {}, t('outcome_assessed_title')), h('p', { class: 'muted' }, t('loading')));
    return box;
  }
  try {
    const bill = await get(`${base(inquiry)}/bill`);
    const renovation = bill.renovation_code || (inquiry.property || {}).renovation_code || '';
    box.append(h('p', { 'data-outcome': 'awaiting_payment' }, t('bill_waiting_text')));
    box.append(h('p', { 'data-bill-parcel': renovation }, t('bill_for_parcel'), ' ', code(renovation),
      (inquiry.property && inquiry.property.address) ? ` — ${digits(inquiry.property.address)}` : ''));
    if (bill.total_rials) {
      // What has nothing to show (no due date, no objection yet) is left out, not drawn.
      box.append(...[
        h('p', { class: 'bill-total' },
          h('strong', { 'data-bill-rials': bill.total_rials }, t('bill_total_rials', { amount: num(bill.total_rials) })), ' ',
          h('span', { 'data-bill-tomans': true }, t('bill_total_tomans', { amount: tomans(bill.total_rials) }))),
        bill.valid_until ? h('p', { 'data-bill-due': true }, t('bill_due', { date: date(bill.valid_until) })) : null,
        billTable(bill),
        disputesList(bill),
        disputeForm(inquiry, bill, async () => {}),
      ].filter(Boolean));
    } else {
      box.append(h('p', {}, t('no_debt')));
    }
    const pay = h('button', { class: 'button', type: 'submit' }, t('pay'));
    const form = h('form', { novalidate: true, 'data-pay': true }, h('p', { class: 'muted small' }, t('pay_sandbox_note')), h('div', { class: 'actions' }, pay));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      busy(pay, async () => {
        try {
          const payment = await post(`${base(inquiry)}/payments`, {
            expected_version: inquiry.version, client_request_id: requestId(), return_url: `/inquiries/${encodeURIComponent(inquiry.inquiry_id)}`,
          });
          window.location.assign(payment.redirect_url);
        } catch (err) {
          form.prepend(problemNotice(err.problem));
        }
      });
    });
    box.append(form);
  } catch (err) {
    box.append(problemNotice(err.problem));
  }
  return box;
}

/** Fetches an answer rendering with the access token and offers it as a download. */
async function download(inquiry, ext) {
  const response = await fetch(`${base(inquiry)}/answer.${ext}?lang=${lang()}`, {
    headers: { authorization: `Bearer ${session.accessToken()}` },
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const url = URL.createObjectURL(await response.blob());
  const a = h('a', { href: url, download: `estelam-${inquiry.inquiry_number}.${ext}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The issued answer: what it means, its facts, print and download. */
async function issued(inquiry) {
  const box = h('div', { 'data-outcome': 'issued' });
  try {
    const answer = await get(`${base(inquiry)}/answer`);
    const facts = answer.facts || {};
    const cleared = Boolean(facts.tracking_code) || (facts.amount_paid_rials || 0) > 0;
    const print = h('button', { class: 'button', type: 'button', 'data-print': true }, t('print'));
    const pdf = h('button', { class: 'button secondary', type: 'button', 'data-download': 'pdf' }, t('answer_download_pdf'));
    const html = h('button', { class: 'button link', type: 'button', 'data-download': 'html' }, t('answer_save_html'));
    print.addEventListener('click', () => window.print());
    pdf.addEventListener('click', () => busy(pdf, () => download(inquiry, 'pdf').catch(() => {})));
    html.addEventListener('click', () => busy(html, () => download(inquiry, 'html').catch(() => {})));
    box.append(
      h('h2', {}, t('outcome_issued_title')),
      h('p', { class: 'notice notice-ok', 'data-plain': true }, t(cleared ? 'outcome_issued_cleared' : 'outcome_issued_no_debt')),
      h('p', {}, t('outcome_issued_what')),
      validText(facts) ? h('p', {}, t('outcome_issued_valid', { date: validText(facts) })) : null,
      h('dl', { class: 'facts' },
        h('dt', {}, t('renovation_code')), h('dd', {}, code(facts.renovation_code)),
        h('dt', {}, t('verification_code')), h('dd', { class: 'ltr' }, h('a', { href: `/verify/${answer.verification_code}`, 'data-link': true }, digits(answer.verification_code))),
        h('dt', {}, t('tracking_code')), h('dd', { class: 'ltr' }, digits(facts.tracking_code || '—')),
        h('dt', {}, t('issued_at')), h('dd', {}, issuedText(facts)),
        h('dt', {}, t('valid_until')), h('dd', {}, validText(facts))),
      h('div', { class: 'actions no-print' }, print, pdf, html));
    // Objections recorded on the answer, and how a clerk has decided them since.
    if ((facts.disputes || []).length) {
      const bill = await get(`${base(inquiry)}/bill`).catch(() => null);
      if (bill) box.append(disputesList(bill));
    }
  } catch (err) {
    box.append(problemNotice(err.problem));
  }
  return box;
}

/** Step 9: the outcome, whatever it is. */
export async function outcomeStep(inquiry) {
  if (inquiry.state === 'issued') return issued(inquiry);
  const reason = localized(inquiry.state_reason);
  const again = h('a', { class: 'button', href: '/inquiries/new', 'data-link': true }, t('new_inquiry'));
  switch (inquiry.state) {
    case 'rejected':
      return h('div', { 'data-outcome': 'rejected' },
        h('h2', {}, t('outcome_rejected_title')),
        reason ? h('p', { class: 'notice notice-error' }, reason) : null,
        h('p', {}, t('outcome_rejected_what')),
        h('div', { class: 'actions' }, again));
    case 'cancelled':
    case 'expired':
      return h('div', { 'data-outcome': inquiry.state },
        h('h2', {}, t(`outcome_${inquiry.state}_title`)),
        reason ? h('p', {}, reason) : null,
        h('p', {}, t('outcome_ended_what')),
        h('div', { class: 'actions' }, again));
    default:
      return h('div', {}, h('h2', {}, t(`state_${inquiry.state}`)));
  }
}

/** The inquiry's history: each state it reached, when (Jalali in Persian) and why. */
export function timeline(inquiry) {
  const items = [h('li', {}, h('span', { class: 'what' }, t('timeline_created')), ' ', h('time', { datetime: inquiry.created_at || '' }, dateTime(inquiry.created_at)))];
  for (const change of inquiry.history || []) {
    const at = change.changed && change.changed.at;
    items.push(h('li', { dataset: { state: change.to_state } },
      h('span', { class: 'what' }, t(`state_${change.to_state}`)), ' ',
      h('time', { datetime: at || '' }, dateTime(at)),
      change.reason && (change.reason.fa || change.reason.en) ? h('span', { class: 'muted small why' }, localized(change.reason)) : null));
  }
  return h('section', { class: 'card timeline-card', 'aria-labelledby': 'timeline-title' },
    h('h2', { id: 'timeline-title' }, t('timeline_title')),
    h('ol', { class: 'timeline' }, items),
    deadline(inquiry));
}

/** The statutory deadline, once submitted: the date the municipality must answer by, and
 *  whether it did (or still can) in time. */
function deadline(inquiry) {
  if (!inquiry.answer_due_at) return null;
  const standing = inquiry.deadline_standing && inquiry.deadline_standing !== 'unspecified' ? inquiry.deadline_standing : '';
  return h('p', { class: 'muted small', 'data-answer-due': inquiry.answer_due_at, dataset: { standing } },
    t('clock_due_by', { date: dateTime(inquiry.answer_due_at) }), standing ? ` — ${t(`clock_${standing}`)}` : '');
}
