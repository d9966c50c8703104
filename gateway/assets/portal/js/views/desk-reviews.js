// The clerks' review queue (`/clerk/reviews`): the inquiries waiting for a municipal clerk —
// an applicant whose name or ownership type differs from the parcel's record, or a
// representative's power of attorney — the longest waiting first (`GET /api/v1/desk/reviews`).
// One review opens with what the applicant gave beside what the records say and the attached
// documents to download (staff downloads are audited), and the clerk approves or refuses with
// a reason the applicant reads (`POST /api/v1/inquiries/{id}/review/decision`). The inquiry
// service decides who may (clerks and admins): anyone else sees its refusal.

import { t, digits, dateTime, inquiryNumber } from '../i18n.js';
import { h, field, showProblem, busy, clearErrors, problemNotice } from '../dom.js';
import { get, post, requestId } from '../api.js';
import * as session from '../session.js';
import { navigate } from '../router.js';
import { span } from './statistics.js';
import { downloadDocument } from './clerk.js';
import { kindLabel } from '../kinds.js';

const ownership = (type) => (type && type !== 'unspecified' ? t(`own_${type}`) : '—');

/** The side-by-side comparison: what the applicant gave, what the records say. */
function comparison(item) {
  const rec = item.recorded;
  const rep = (item.inquiry.applicant && item.inquiry.applicant.representation) || null;
  const rows = [
    ['full_name', item.given_full_name, rec ? rec.owner_full_name : null, item.kind === 'applicant_name_mismatch'],
    ['national_code', digits(item.given_national_code || ''), null, false],
    ['ownership_type', ownership(item.given_ownership_type), rec ? ownership(rec.ownership_type) : null, item.kind === 'ownership_type_mismatch'],
  ];
  if (rec) rows.push(['review_deed_number', '', digits(rec.deed_number || '—'), false], ['review_share', '', digits(String(rec.share_dang)), false]);
  if (rep) rows.push(['representative_name', rep.representative_full_name, null, false]);
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-review-compare': true },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ''), h('th', { scope: 'col' }, t('review_given')), h('th', { scope: 'col' }, t('review_recorded')))),
    h('tbody', {}, rows.map(([key, given, recorded, differs]) => h('tr', { class: differs ? 'differs' : null, dataset: { row: key } },
      h('th', { scope: 'row' }, t(key)),
      h('td', { dataset: { given: key } }, given || '—'),
      h('td', { dataset: { recorded: key } }, recorded == null ? '—' : recorded || '—'))))));
}

function documentsList(item) {
  const docs = item.documents || [];
  if (!docs.length) return h('p', { class: 'muted' }, '—');
  return h('ul', { class: 'list', 'data-review-documents': true }, docs.map((d) => {
    const button = h('button', { class: 'button secondary', type: 'button', dataset: { document: d.document_id } }, t('download'));
    button.addEventListener('click', () => busy(button, () => downloadDocument(d).catch(() => {})));
    return h('li', {}, h('span', {}, kindLabel(d.kind), ' ', h('span', { class: 'muted small' }, d.original_filename)), button);
  }));
}

/** One review opened: the comparison, the documents, and the clerk's decision. */
function reviewCard(item, done) {
  const inquiry = item.inquiry;
  const decide = async (approve, reasonFa, reasonEn) => {
    const decided = await post(`/api/v1/inquiries/${encodeURIComponent(inquiry.inquiry_id)}/review/decision`, {
      expected_version: inquiry.version, client_request_id: requestId(), approve, reason_fa: reasonFa, reason_en: reasonEn,
    });
    await done(decided);
  };
  const approve = h('button', { class: 'button', type: 'button', 'data-approve': true }, t('review_approve'));
  approve.addEventListener('click', () => busy(approve, () => decide(true, '', '').catch((err) => {
    if (err && err.problem) approve.after(problemNotice(err.problem));
    else throw err;
  })));
  const submit = h('button', { class: 'button secondary', type: 'submit', 'data-refuse': true }, t('review_refuse'));
  const refuse = h('form', { novalidate: true, 'data-refuse-form': true },
    field('reason_fa', t('review_reason_fa'), { hint: t('review_reason_hint') }),
    field('reason_en', t('review_reason_en'), {}),
    h('div', { class: 'actions' }, submit));
  refuse.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(refuse);
    busy(submit, async () => {
      try {
        await decide(false, refuse.elements.reason_fa.value.trim(), refuse.elements.reason_en.value.trim());
      } catch (err) {
        if (err && err.problem) showProblem(refuse, err.problem);
        else throw err;
      }
    });
  });
  return h('div', { class: 'card', dataset: { review: inquiry.inquiry_id, kind: item.kind } },
    h('h2', {}, h('span', { class: 'ltr' }, inquiryNumber(inquiry.inquiry_number)), ' — ', t(`review_kind_${item.kind}`)),
    h('dl', { class: 'facts' },
      h('dt', {}, t('renovation_code')), h('dd', { class: 'ltr' }, digits((inquiry.property && inquiry.property.renovation_code) || '—')),
      h('dt', {}, t('review_entered')), h('dd', {}, dateTime(item.entered_at)),
      h('dt', {}, t('review_waiting')), h('dd', {}, span(item.waiting_seconds))),
    comparison(item),
    h('h3', {}, t('documents')), documentsList(item),
    h('h3', {}, t('review_decision')),
    h('div', { class: 'actions' }, approve),
    refuse);
}

/** The queue, the longest waiting first; `open(item)` shows one. */
function queueTable(items, open) {
  if (!items.length) return h('p', { class: 'muted', 'data-review-empty': true }, t('review_none'));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-review-queue': true },
    h('thead', {}, h('tr', {}, ['inquiry_number', 'review_kind', 'full_name', 'review_waiting', ''].map((k) => h('th', { scope: 'col' }, k ? t(k) : '')))),
    h('tbody', {}, items.map((item) => {
      const button = h('button', { class: 'button secondary', type: 'button' }, t('open'));
      button.addEventListener('click', () => open(item));
      return h('tr', { dataset: { inquiry: item.inquiry.inquiry_id, kind: item.kind } },
        h('td', { class: 'ltr' }, inquiryNumber(item.inquiry.inquiry_number)),
        h('td', {}, t(`review_kind_${item.kind}`)),
        h('td', {}, item.given_full_name || '—'),
        h('td', {}, span(item.waiting_seconds)),
        h('td', {}, button));
    }))));
}

/** Draws the review queue (after a login). */
export async function render(main) {
  if (!session.current()) {
    navigate('/login?next=/clerk/reviews', { replace: true });
    return;
  }
  const notice = h('div', { 'aria-live': 'polite' });
  const queue = h('div', {}, h('p', { class: 'muted' }, t('loading')));
  const shown = h('div', { 'aria-live': 'polite' });
  const load = async () => {
    try {
      const items = ((await get('/api/v1/desk/reviews')) || {}).reviews || [];
      queue.replaceChildren(queueTable(items, (item) => {
        notice.replaceChildren();
        shown.replaceChildren(reviewCard(item, async (decided) => {
          shown.replaceChildren();
          notice.replaceChildren(h('p', { class: 'notice notice-ok', 'data-decided': decided.state },
            t(decided.state === 'rejected' ? 'review_refused_done' : 'review_approved_done', { number: inquiryNumber(decided.inquiry_number) })));
          await load();
        }));
        shown.scrollIntoView({ block: 'start' });
      }));
    } catch (err) {
      queue.replaceChildren(problemNotice(err.problem));
    }
  };
  main.append(h('h1', {}, t('review_title')),
    h('p', {}, h('a', { href: '/clerk', 'data-link': true }, t('clerk_title'))),
    h('p', { class: 'muted' }, t('review_intro')),
    notice, queue, shown);
  await load();
}
