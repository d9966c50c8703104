// The clerk desk: find a parcel (`GET /api/v1/parcels/{code}`) and issue it a request number
// (`POST …/request-numbers`); open an inquiry (`GET /api/v1/inquiries/{id}`, the list of
// `GET /api/v1/inquiries` for staff), download its documents (`GET /api/v1/documents/{id}`)
// and revoke its answer (`POST …/answer/revoke`); approve or refuse a representative's power
// of attorney (`POST …/representation/decision`) for the inquiries waiting for it
// (`GET /api/v1/inquiries?state=awaiting_representation_approval`). The services decide who
// may: a citizen who opens this page sees their refusals. Below them, the audit trail
// (`views/desk-audit.js`); above the waiting representations, what is near or past its
// statutory deadline (`views/desk-clock.js`). The review queue of mismatches and
// representations has its own page, `/clerk/reviews` (`views/desk-reviews.js`).

import { t, lang, digits, latinDigits, date, inquiryNumber } from '../i18n.js';
import { h, field, showProblem, busy, clearErrors, problemNotice } from '../dom.js';
import { get, post, requestId } from '../api.js';
import * as session from '../session.js';
import { navigate } from '../router.js';
import { stateBadge } from './inquiries.js';
import { auditSection } from './desk-audit.js';
import { deadlinesSection } from './desk-clock.js';
import { kindLabel } from '../kinds.js';

/** A form with one submit button whose handler gets the form's trimmed values. */
function deskForm(children, label, work) {
  const submit = h('button', { class: 'button', type: 'submit' }, label);
  const form = h('form', { novalidate: true }, ...children, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    busy(submit, async () => {
      try {
        await work(form);
      } catch (err) {
        if (err && err.problem) showProblem(form, err.problem);
        else throw err;
      }
    });
  });
  return form;
}

function ownersList(owners) {
  return h('ul', { class: 'list owners' }, (owners || []).map((o) => h('li', {},
    h('span', {}, o.full_name, ' ', h('span', { class: 'ltr muted' }, digits(o.national_code))),
    h('span', { class: 'muted' }, t('share_dang', { n: digits(`${o.share_numerator}/${o.share_denominator}`) })))));
}

function parcelCard(parcel) {
  const issued = h('div', { 'aria-live': 'polite' });
  const issue = deskForm([field('note', t('request_number_note'), {})], t('issue_request_number'), async (form) => {
    const number = await post(`/api/v1/parcels/${encodeURIComponent(parcel.renovation_code)}/request-numbers`, {
      client_request_id: requestId(), note: form.elements.note.value.trim(),
    });
    issued.replaceChildren(h('p', { class: 'notice notice-ok' }, t('request_number_issued'), ' ',
      h('output', { class: 'code-box', 'data-request-number': number.number }, digits(number.number)), ' ',
      t('valid_until'), ': ', date(number.expires_at)));
  });
  return h('div', { class: 'card' },
    h('dl', { class: 'facts' },
      h('dt', {}, t('renovation_code')), h('dd', { class: 'ltr' }, digits(parcel.renovation_code || '')),
      h('dt', {}, t('address')), h('dd', {}, digits(parcel.address || '')),
      h('dt', {}, t('ownership_type')), h('dd', {}, parcel.ownership_type ? t(`own_${parcel.ownership_type}`) : '—')),
    h('h3', {}, t('owners')), ownersList(parcel.owners),
    h('h3', {}, t('issue_request_number')), issue, issued);
}

function findParcel() {
  const found = h('div', { 'aria-live': 'polite' });
  const form = deskForm([field('renovation_code', t('renovation_code'), { digits: true, required: true, hint: t('renovation_code_hint') })], t('find_parcel'), async (f) => {
    const code = latinDigits(f.elements.renovation_code.value.trim());
    found.replaceChildren(parcelCard(await get(`/api/v1/parcels/${encodeURIComponent(code)}`)));
  });
  return h('section', {}, h('h2', {}, t('find_parcel')), h('div', { class: 'card narrow' }, form), found);
}

/** Fetches a document with the access token and offers it as a download. */
export async function downloadDocument(doc) {
  const response = await fetch(`/api/v1/documents/${encodeURIComponent(doc.document_id)}`, {
    headers: { authorization: `Bearer ${session.accessToken()}` },
  });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  const url = URL.createObjectURL(await response.blob());
  const a = h('a', { href: url, download: doc.original_filename || doc.document_id });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function inquiryCard(inquiry, redraw) {
  const docs = (inquiry.documents && inquiry.documents.documents) || [];
  const card = h('div', { class: 'card', 'data-inquiry': inquiry.inquiry_id },
    h('h3', {}, h('span', { class: 'ltr' }, inquiryNumber(inquiry.inquiry_number)), ' ', stateBadge(inquiry.state)),
    h('dl', { class: 'facts' },
      h('dt', {}, t('renovation_code')), h('dd', { class: 'ltr' }, digits((inquiry.property && inquiry.property.renovation_code) || '—')),
      h('dt', {}, t('full_name')), h('dd', {}, (inquiry.applicant && inquiry.applicant.full_name) || '—'),
      h('dt', {}, t('created_at')), h('dd', {}, date(inquiry.created_at)),
      h('dt', {}, t('verification_code')), h('dd', { class: 'ltr' }, inquiry.verification_code
        ? h('a', { href: `/verify/${inquiry.verification_code}`, 'data-link': true }, digits(inquiry.verification_code)) : '—')),
    h('h4', {}, t('documents')),
    docs.length ? h('ul', { class: 'list' }, docs.map((d) => {
      const button = h('button', { class: 'button secondary', type: 'button' }, t('download'));
      button.addEventListener('click', () => busy(button, () => downloadDocument(d).catch(() => {})));
      return h('li', {}, h('span', {}, kindLabel(d.kind), ' ', h('span', { class: 'muted small' }, d.original_filename)), button);
    })) : h('p', { class: 'muted' }, '—'));
  if (inquiry.state === 'awaiting_representation_approval') card.append(representationDesk(inquiry, redraw));
  if (inquiry.state === 'awaiting_review') card.append(h('p', {}, h('a', { href: '/clerk/reviews', 'data-link': true }, t('review_link'))));
  if (inquiry.state === 'issued' && inquiry.verification_code) {
    card.append(h('h4', {}, t('revoke_answer')), deskForm([field('reason', t('revoke_reason'), { required: true })], t('revoke_answer'), async (form) => {
      await post(`/api/v1/inquiries/${encodeURIComponent(inquiry.inquiry_id)}/answer/revoke`, {
        expected_version: inquiry.version, client_request_id: requestId(), reason: form.elements.reason.value.trim(),
      });
      redraw(await get(`/api/v1/inquiries/${encodeURIComponent(inquiry.inquiry_id)}`));
    }));
  }
  return card;
}

/** A representative's power of attorney, with the clerk's approve / refuse. */
function representationDesk(inquiry, redraw) {
  const rep = (inquiry.applicant && inquiry.applicant.representation) || {};
  const decide = async (approve, reason) => {
    await post(`/api/v1/inquiries/${encodeURIComponent(inquiry.inquiry_id)}/representation/decision`, {
      expected_version: inquiry.version, client_request_id: requestId(), approve, reason,
    });
    redraw(await get(`/api/v1/inquiries/${encodeURIComponent(inquiry.inquiry_id)}`));
  };
  const poa = h('button', { class: 'button secondary', type: 'button' }, t('download'));
  poa.addEventListener('click', () => busy(poa, () => downloadDocument({ document_id: rep.power_of_attorney_document_id, original_filename: '' }).catch(() => {})));
  const approve = h('button', { class: 'button', type: 'button', 'data-approve': true }, t('representation_approve'));
  approve.addEventListener('click', () => busy(approve, () => decide(true, '').catch((err) => {
    if (err && err.problem) approve.after(problemNotice(err.problem));
  })));
  return h('div', { 'data-representation': inquiry.inquiry_id },
    h('h4', {}, t('representation')),
    h('dl', { class: 'facts' },
      h('dt', {}, t('representative_name')), h('dd', {}, rep.representative_full_name || '—'),
      h('dt', {}, t('national_code')), h('dd', { class: 'ltr' }, digits(rep.representative_national_code || '')),
      h('dt', {}, t('doc_power_of_attorney')), h('dd', {}, poa)),
    h('div', { class: 'actions' }, approve),
    deskForm([field('reason', t('representation_refuse_reason'), { required: true })], t('representation_refuse'), async (form) => {
      await decide(false, form.elements.reason.value.trim());
    }));
}

/** The inquiries a representative filed, waiting for a clerk. */
async function waitingRepresentations(open) {
  const box = h('div', {}, h('p', { class: 'muted' }, t('loading')));
  try {
    const list = ((await get('/api/v1/inquiries?state=awaiting_representation_approval')) || {}).inquiries || [];
    box.replaceChildren(list.length ? h('ul', { class: 'list' }, list.map((q) => {
      const button = h('button', { class: 'button secondary', type: 'button' }, t('open'));
      button.addEventListener('click', () => open(q.inquiry_id));
      return h('li', {}, h('span', {}, h('strong', { class: 'ltr' }, digits(q.inquiry_number || '')), ' ',
        (q.applicant && q.applicant.full_name) || ''), button);
    })) : h('p', { class: 'muted' }, t('representations_none')));
  } catch (err) {
    box.replaceChildren(problemNotice(err.problem));
  }
  return h('div', {}, h('h3', {}, t('representations_waiting')), box);
}

async function recentInquiries(open) {
  const box = h('div', {}, h('p', { class: 'muted' }, t('loading')));
  try {
    const list = ((await get('/api/v1/inquiries')) || {}).inquiries || [];
    box.replaceChildren(list.length ? h('ul', { class: 'list' }, list.map((q) => {
      const button = h('button', { class: 'button secondary', type: 'button' }, t('open'));
      button.addEventListener('click', () => open(q.inquiry_id));
      return h('li', {}, h('span', {}, h('strong', { class: 'ltr' }, inquiryNumber(q.inquiry_number)), ' ', stateBadge(q.state)), button);
    })) : h('p', {}, t('my_inquiries_none')));
  } catch (err) {
    box.replaceChildren(problemNotice(err.problem));
  }
  return box;
}

async function inquiries() {
  const shown = h('div', { 'aria-live': 'polite' });
  const open = async (id) => {
    const draw = (inquiry) => shown.replaceChildren(inquiryCard(inquiry, draw));
    try {
      draw(await get(`/api/v1/inquiries/${encodeURIComponent(id)}`));
    } catch (err) {
      shown.replaceChildren(problemNotice(err.problem));
    }
  };
  const form = deskForm([field('inquiry_id', t('inquiry_id'), { required: true })], t('open'), async (f) => {
    await open(f.elements.inquiry_id.value.trim());
  });
  return h('section', {}, h('h2', {}, t('clerk_inquiries')), h('div', { class: 'card narrow' }, form), shown,
    await deadlinesSection(open), await waitingRepresentations(open), await recentInquiries(open));
}

/** Draws the clerk desk (after a login). */
export async function render(main) {
  if (!session.current()) {
    navigate('/login?next=/clerk', { replace: true });
    return;
  }
  main.append(h('h1', {}, t('clerk_title')),
    h('p', {}, h('a', { href: '/clerk/fees', 'data-link': true }, lang() === 'fa' ? 'تعرفه‌ها و اصلاحیه‌های عوارض' : 'Tariffs and levy adjustments')),
    h('p', {}, h('a', { href: '/clerk/services', 'data-link': true }, lang() === 'fa' ? 'خدمات الکترونیکی (انواع درخواست)' : 'E-services (request types)')),
    h('p', {}, h('a', { href: '/clerk/reviews', 'data-link': true, 'data-review-link': true }, t('review_link'))),
    h('p', {}, h('a', { href: '/clerk/disputes', 'data-link': true, 'data-dispute-link': true }, t('dispute_link'))),
    (session.current().account?.roles || []).includes('admin') ? h('p', {}, h('a', { href: '/clerk/people', 'data-link': true }, t('people_link'))) : null,
    findParcel(), await inquiries(), auditSection());
}
