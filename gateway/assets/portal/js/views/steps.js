// The forms of steps 3–9. Each calls one documented route, sending the inquiry's
// `expected_version` and a fresh `client_request_id`, and hands the updated inquiry to
// `next(inquiry)`, which redraws the wizard at its new step. Problems appear next to the
// fields they name.

import { t, digits, latinDigits, localized, rial, lang, issuedText, validText } from '../i18n.js';
import { h, field, showProblem, busy, values, checkRequired, problemNotice } from '../dom.js';
import { post, put, get, upload, requestId } from '../api.js';
import { jalaliPicker } from '../jalali.js';
import { parcelMap } from '../leaflet.js';
import * as session from '../session.js';

const base = (inquiry) => `/api/v1/inquiries/${encodeURIComponent(inquiry.inquiry_id)}`;

/** A form whose submit runs `work(values)`; problems are shown on the form. */
function stepForm(children, label, work) {
  const submit = h('button', { class: 'button', type: 'submit' }, label);
  const form = h('form', { novalidate: true }, ...children, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!checkRequired(form)) return;
    busy(submit, async () => {
      try {
        await work(values(form, latinDigits), form);
      } catch (err) {
        if (err && err.problem) showProblem(form, err.problem);
        else throw err;
      }
    });
  });
  return form;
}

function undertakingBoxes(type) {
  return (type.undertakings || []).map((u) => h('div', { class: 'field', dataset: { field: 'undertaking_version_ids' } },
    h('span', { class: 'label' }, localized(u.title)),
    h('p', { class: 'small' }, localized(u.text)),
    h('label', { class: 'check' },
      h('input', { type: 'checkbox', name: `accept:${u.undertaking_version_id}`, required: true }),
      h('span', {}, t('accept_undertaking'))),
    h('span', { class: 'field-error', hidden: true })));
}

/** Step 3 for a new inquiry: request type, its undertakings; creates the inquiry. */
export function chooseType(types, preselected, next) {
  const active = types.filter((x) => x.active !== false);
  const select = h('select', { name: 'request_type_code', required: true },
    active.map((x) => h('option', { value: x.code, selected: x.code === preselected }, localized(x.name))));
  const boxes = h('div');
  const drawBoxes = () => boxes.replaceChildren(...undertakingBoxes(active.find((x) => x.code === select.value) || {}));
  select.addEventListener('change', drawBoxes);
  drawBoxes();
  return h('div', {},
    h('h2', {}, t('choose_type')),
    stepForm([field('request_type_code', t('choose_type'), { input: select }), h('h3', {}, t('undertakings')), boxes], t('next'), async (v) => {
      const ids = Object.keys(v).filter((k) => k.startsWith('accept:') && v[k]).map((k) => k.slice(7));
      const created = await post('/api/v1/inquiries', { request_type_code: v.request_type_code, client_request_id: requestId() });
      const inquiry = await put(`${base(created)}/undertakings`, {
        expected_version: created.version, client_request_id: requestId(), undertaking_version_ids: ids,
      });
      next(inquiry);
    }));
}

function undertakingsStep(inquiry, type, next) {
  return h('div', {}, h('h2', {}, t('undertakings')),
    stepForm(undertakingBoxes(type), t('next'), async (v) => {
      const ids = Object.keys(v).filter((k) => k.startsWith('accept:') && v[k]).map((k) => k.slice(7));
      next(await put(`${base(inquiry)}/undertakings`, { expected_version: inquiry.version, client_request_id: requestId(), undertaking_version_ids: ids }));
    }));
}

/** Lots are 10–18 m wide: close enough to tap one with a finger. */
const PICK_ZOOM = 18;

function propertyStep(inquiry, next) {
  let by = 'code';
  let picked = null;
  const where = h('div');
  const pickedText = h('p', { class: 'muted', 'aria-live': 'polite' }, t('pick_on_map'));
  let map = null;
  const drawWhere = async () => {
    if (map) { map.destroy(); map = null; }
    if (by === 'code') {
      where.replaceChildren(field('renovation_code', t('renovation_code'), { digits: true, required: true, hint: t('renovation_code_hint') }));
      return;
    }
    const container = h('div', { class: 'map map-small', dir: 'ltr' });
    where.replaceChildren(h('div', { class: 'field', dataset: { field: 'picked_point' } }, container, pickedText, h('span', { class: 'field-error', hidden: true })));
    map = await parcelMap(container, {
      zoom: PICK_ZOOM,
      onParcel: (feature, latlng) => {
        picked = { lat: latlng.lat, lon: latlng.lng };
        const code = (feature.properties && feature.properties.renovation_code) || feature.id || '';
        pickedText.replaceChildren(t('picked_parcel', { code: '' }), h('bdi', { dir: 'ltr', class: 'ltr', 'data-picked': code }, digits(code)));
      },
    });
  };
  const tab = (key, label) => {
    const b = h('button', { type: 'button', role: 'tab', 'aria-selected': String(by === key) }, label);
    b.addEventListener('click', () => {
      by = key;
      tabs.querySelectorAll('button').forEach((x) => x.setAttribute('aria-selected', String(x === b)));
      drawWhere();
    });
    return b;
  };
  const tabs = h('div', { class: 'tabs', role: 'tablist' }, tab('code', t('property_by_code')), tab('map', t('property_by_map')));
  drawWhere();
  return h('div', {}, h('h2', {}, t('step4')),
    stepForm([tabs, where, field('request_number', t('request_number'), { digits: true, inputmode: 'numeric', required: true, hint: t('request_number_hint') })], t('next'), async (v) => {
      const body = { expected_version: inquiry.version, client_request_id: requestId(), request_number: v.request_number };
      if (by === 'code') body.renovation_code = v.renovation_code;
      else body.picked_point = picked;
      const updated = await put(`${base(inquiry)}/property`, body);
      if (map) map.destroy();
      next(updated);
    }));
}

/** The inquiring authorities to choose from, as a select (names, not ids). */
async function authoritySelect() {
  const select = h('select', { name: 'authority_organization_id', required: true },
    h('option', { value: '' }, t('authority_choose')));
  const body = await get('/api/v1/organizations');
  for (const o of (body && body.organizations) || []) {
    select.append(h('option', { value: o.organization_id }, localized(o.name)));
  }
  return select;
}

async function letterStep(inquiry, next) {
  const authority = await authoritySelect();
  return h('div', {}, h('h2', {}, t('letter')),
    stepForm([
      field('letter_number', t('letter_number'), { required: true }),
      field('letter_date_jalali', t('letter_date'), { input: jalaliPicker('letter_date_jalali') }),
      field('authority_organization_id', t('authority'), { input: authority, hint: t('authority_hint') }),
    ], t('next'), async (v) => {
      next(await put(`${base(inquiry)}/letter`, {
        expected_version: inquiry.version, client_request_id: requestId(),
        letter_number: v.letter_number, letter_date_jalali: v.letter_date_jalali, authority_organization_id: v.authority_organization_id,
      }));
    }));
}

/**
 * The documents uploaded for an inquiry at a version, by kind: `{document_id, name}`. Kept
 * outside the form so that drawing the step again (a language switch) keeps the uploads; a
 * file input cannot be refilled by a script.
 */
const uploads = new Map();

function uploadsOf(inquiry) {
  const key = `${inquiry.inquiry_id}@${inquiry.version}`;
  if (!uploads.has(key)) uploads.set(key, {});
  return uploads.get(key);
}

function uploadRow(kind, uploaded) {
  const input = h('input', { type: 'file', name: `file:${kind}`, accept: 'application/pdf,image/jpeg,image/png,image/webp' });
  const bar = h('progress', { max: 1, value: 0, hidden: true });
  const status = h('span', { class: 'small muted', 'aria-live': 'polite' });
  const wrapper = h('div', { class: 'field', dataset: { field: kind } },
    h('label', { for: `upload-${kind}` }, t(`doc_${kind}`)),
    h('div', { class: 'upload-row' }, input, bar, status),
    h('span', { class: 'hint' }, t('upload_hint')),
    h('span', { class: 'field-error', hidden: true }));
  input.id = `upload-${kind}`;
  if (uploaded[kind]) {
    wrapper.dataset.uploaded = uploaded[kind].document_id;
    status.textContent = t('uploaded', { name: uploaded[kind].name });
  }
  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    delete uploaded[kind];
    delete wrapper.dataset.uploaded;
    bar.hidden = false;
    wrapper.classList.remove('invalid');
    wrapper.querySelector('.field-error').hidden = true;
    try {
      const doc = await upload(file, kind, (fraction) => {
        bar.value = fraction;
        status.textContent = t('uploading', { percent: `${Math.round(fraction * 100)}%` });
      });
      uploaded[kind] = { document_id: doc.document_id, name: doc.original_filename || file.name };
      wrapper.dataset.uploaded = doc.document_id;
      status.textContent = t('uploaded', { name: uploaded[kind].name });
    } catch (err) {
      bar.hidden = true;
      status.textContent = '';
      wrapper.classList.add('invalid');
      const message = wrapper.querySelector('.field-error');
      message.textContent = lang() === 'fa' ? err.problem.detail_fa : err.problem.detail;
      message.hidden = false;
    }
  });
  return wrapper;
}

function documentsStep(inquiry, type, next) {
  const kinds = (type.required_documents && type.required_documents.length) ? type.required_documents : ['national_id_card', 'ownership_deed'];
  const uploaded = uploadsOf(inquiry);
  return h('div', {}, h('h2', {}, t('documents')),
    stepForm(kinds.map((k) => uploadRow(k, uploaded)), t('next'), async () => {
      const missing = kinds.filter((k) => !uploaded[k]);
      if (missing.length) {
        const text = t('upload_required');
        throw { problem: { errors: missing.map((k) => ({ field: k, detail: text, detail_fa: text })) } };
      }
      next(await put(`${base(inquiry)}/documents`, {
        expected_version: inquiry.version, client_request_id: requestId(), document_ids: Object.values(uploaded).map((u) => u.document_id),
      }));
    }));
}

const OWNERSHIP = ['full', 'shared', 'endowment', 'state', 'leasehold'];

function applicantStep(inquiry, next) {
  const account = (session.current() || {}).account || {};
  const ownName = [account.first_name, account.last_name].filter(Boolean).join(' ');
  const locked = !inquiry.filed_by_organization_id && Boolean(account.national_code);
  const select = h('select', { name: 'ownership_type', required: true }, OWNERSHIP.map((o) => h('option', { value: o }, t(`own_${o}`))));
  const nameField = field('full_name', t('full_name'), { required: true, value: ownName });
  // A citizen files only as themselves: their own inquiry's applicant is the person
  // logged in, so the code comes from the session and cannot be typed over — unless they
  // say they act as the owner's representative (وکیل), with a power of attorney a clerk
  // then checks.
  const codeField = field('national_code', t('national_code'), {
    digits: true, inputmode: 'numeric', required: true, value: account.national_code, readonly: locked,
  });
  const uploaded = uploadsOf(inquiry);
  const repName = field('representative_full_name', t('representative_name'), { value: ownName });
  const repBox = h('div', { hidden: true }, h('p', { class: 'small muted' }, t('representation_hint')),
    repName, uploadRow('power_of_attorney', uploaded));
  const asRep = h('input', { type: 'checkbox', name: 'as_representative' });
  asRep.addEventListener('change', () => {
    const on = asRep.checked;
    repBox.hidden = !on;
    repName.querySelector('input').required = on;
    const name = nameField.querySelector('input');
    const code = codeField.querySelector('input');
    name.value = on ? '' : ownName;
    code.value = on ? '' : (account.national_code || '');
    code.readOnly = !on && locked;
  });
  const repChoice = inquiry.filed_by_organization_id ? null
    : h('div', { class: 'field' }, h('label', { class: 'check' }, asRep, h('span', {}, t('act_as_representative'))));
  return h('div', {}, h('h2', {}, t('applicant')),
    stepForm([
      repChoice, nameField, codeField,
      field('ownership_type', t('ownership_type'), { input: select }),
      repBox,
    ].filter(Boolean), t('next'), async (v) => {
      const body = {
        expected_version: inquiry.version, client_request_id: requestId(),
        full_name: v.full_name, national_code: v.national_code, ownership_type: v.ownership_type,
      };
      if (v.as_representative) {
        body.representation = {
          representative_full_name: v.representative_full_name,
          power_of_attorney_document_id: (uploaded.power_of_attorney || {}).document_id || '',
        };
      }
      next(await put(`${base(inquiry)}/applicant`, body));
    }));
}

/** Step 6 done by a representative: the inquiry waits for a clerk to check the power of attorney. */
function representationWaiting(inquiry) {
  const rep = (inquiry.applicant && inquiry.applicant.representation) || {};
  return h('div', {}, h('h2', {}, t('applicant')),
    h('p', { class: 'notice', 'data-waiting': 'representation' }, t('representation_waiting')),
    h('dl', { class: 'facts' },
      h('dt', {}, t('owner')), h('dd', {}, (inquiry.applicant && inquiry.applicant.full_name) || '—'),
      h('dt', {}, t('representative_name')), h('dd', {}, rep.representative_full_name || '—')));
}

function billTable(bill) {
  return h('table', { class: 'bill' },
    h('thead', {}, h('tr', {}, h('th', {}, t('bill_item')), h('th', {}, t('bill_year')), h('th', { class: 'amount' }, t('bill_amount')))),
    h('tbody', {}, (bill.lines || []).map((line) => h('tr', {},
      h('td', {}, localized(line.description)),
      h('td', {}, line.jalali_year ? digits(String(line.jalali_year)) : ''),
      h('td', { class: 'amount' }, rial(line.total_rials || 0))))),
    h('tfoot', {}, h('tr', {}, h('td', { colspan: 2 }, t('bill_total')), h('td', { class: 'amount' }, rial(bill.total_rials || 0)))));
}

function submitStep(inquiry, next) {
  return h('div', {}, h('h2', {}, t('step7')),
    stepForm([], t('submit_inquiry'), async () => {
      const result = await post(`${base(inquiry)}/submit`, { expected_version: inquiry.version, client_request_id: requestId() });
      next(result.inquiry);
    }));
}

async function paymentStep(inquiry) {
  const box = h('div', {}, h('h2', {}, t('bill')));
  try {
    const bill = await get(`${base(inquiry)}/bill`);
    box.append(bill.total_rials ? billTable(bill) : h('p', {}, t('no_debt')));
    box.append(h('p', { class: 'muted small' }, t('pay_sandbox_note')),
      stepForm([], t('pay'), async () => {
        const payment = await post(`${base(inquiry)}/payments`, {
          expected_version: inquiry.version, client_request_id: requestId(), return_url: `/inquiries/${encodeURIComponent(inquiry.inquiry_id)}`,
        });
        window.location.assign(payment.redirect_url);
      }));
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

async function answerStep(inquiry) {
  const box = h('div', {}, h('h2', {}, t('answer')));
  if (inquiry.state !== 'issued') return box;
  try {
    const answer = await get(`${base(inquiry)}/answer`);
    const facts = answer.facts || {};
    const pdf = h('button', { class: 'button', type: 'button' }, t('answer_download_pdf'));
    const html = h('button', { class: 'button secondary', type: 'button' }, t('answer_open_html'));
    pdf.addEventListener('click', () => busy(pdf, () => download(inquiry, 'pdf').catch(() => {})));
    html.addEventListener('click', () => busy(html, () => download(inquiry, 'html').catch(() => {})));
    box.append(
      h('dl', { class: 'facts' },
        h('dt', {}, t('verification_code')), h('dd', { class: 'ltr' }, h('a', { href: `/verify/${answer.verification_code}`, 'data-link': true }, digits(answer.verification_code))),
        h('dt', {}, t('tracking_code')), h('dd', { class: 'ltr' }, digits(facts.tracking_code || '—')),
        h('dt', {}, t('issued_at')), h('dd', {}, issuedText(facts)),
        h('dt', {}, t('valid_until')), h('dd', {}, validText(facts))),
      h('div', { class: 'actions' }, pdf, html));
  } catch (err) {
    box.append(problemNotice(err.problem));
  }
  return box;
}

/** The form of `step` for `inquiry` of request type `type`. */
export async function forStep(step, inquiry, type, next) {
  switch (step) {
    case 3: return undertakingsStep(inquiry, type, next);
    case 4: return propertyStep(inquiry, next);
    case 5: return inquiry.state === 'property_verified' && type.letter_required !== false
      ? letterStep(inquiry, next)
      : documentsStep(inquiry, type, next);
    case 6: return inquiry.state === 'awaiting_representation_approval'
      ? representationWaiting(inquiry)
      : applicantStep(inquiry, next);
    case 7: return submitStep(inquiry, next);
    case 8: return paymentStep(inquiry);
    default: return answerStep(inquiry);
  }
}
