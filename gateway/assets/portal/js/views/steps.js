// The forms of the data-entry steps 3–6. Each calls one documented route, sending the
// inquiry's `expected_version` and a fresh `client_request_id`, and hands the updated
// inquiry to `next(inquiry)`, which moves the wizard on to its new page. A form shown again
// (Back, or "change" on the check-your-answers page) is filled in with what was recorded;
// sent unchanged, it only moves on: redoing a step clears the steps after it. Problems
// appear next to the fields they name and in a summary at the top.

import { t, digits, latinDigits, localized, lang } from '../i18n.js';
import { h, field, showProblem, busy, values, checkRequired } from '../dom.js';
import { post, put, get, upload, requestId } from '../api.js';
import { jalaliPicker } from '../jalali.js';
import { parcelMap } from '../leaflet.js';
import { parcelFinder, ownParcels } from '../finder.js';
import * as session from '../session.js';
import { documentKinds } from '../kinds.js';

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

/** The undertaking ids ticked in the form's values. */
const accepted = (v) => Object.keys(v).filter((k) => k.startsWith('accept:') && v[k]).map((k) => k.slice(7));

/** The same strings, in any order. */
const sameSet = (a, b) => a.length === b.length && a.every((x) => b.includes(x));

function undertakingBoxes(type, ticked = []) {
  return (type.undertakings || []).map((u) => h('div', { class: 'field', dataset: { field: 'undertaking_version_ids' } },
    h('span', { class: 'label' }, localized(u.title)),
    h('p', { class: 'small' }, localized(u.text)),
    h('label', { class: 'check' },
      h('input', {
        type: 'checkbox', id: `accept-${u.undertaking_version_id}`, name: `accept:${u.undertaking_version_id}`,
        required: true, checked: ticked.includes(u.undertaking_version_id),
      }),
      h('span', {}, t('accept_undertaking'))),
    h('span', { class: 'field-error', hidden: true })));
}

/**
 * Step 3 for a new inquiry: request type, its undertakings; creates the inquiry. No type is
 * chosen for the person unless the address names one (`?type=`, from "start" on a type).
 */
export function chooseType(types, preselected, next) {
  const active = types.filter((x) => x.active !== false);
  const select = h('select', { name: 'request_type_code', required: true },
    h('option', { value: '' }, t('choose_type_placeholder')),
    active.map((x) => h('option', { value: x.code, selected: x.code === preselected }, localized(x.name))));
  const boxes = h('div');
  const drawBoxes = () => boxes.replaceChildren(...undertakingBoxes(active.find((x) => x.code === select.value) || {}));
  select.addEventListener('change', drawBoxes);
  drawBoxes();
  return h('div', {},
    h('h2', {}, t('choose_type')),
    stepForm([field('request_type_code', t('choose_type'), { input: select }), h('h3', {}, t('undertakings')), boxes], t('next'), async (v) => {
      const created = await post('/api/v1/inquiries', { request_type_code: v.request_type_code, client_request_id: requestId() });
      const inquiry = await put(`${base(created)}/undertakings`, {
        expected_version: created.version, client_request_id: requestId(), undertaking_version_ids: accepted(v),
      });
      next(inquiry, active.find((x) => x.code === v.request_type_code) || {});
    }));
}

function undertakingsStep(inquiry, type, next) {
  const before = (inquiry.undertakings && inquiry.undertakings.undertaking_version_ids) || [];
  return h('div', {}, h('h2', {}, t('undertakings')),
    stepForm(undertakingBoxes(type, before), t('next'), async (v) => {
      const ids = accepted(v);
      if (inquiry.state !== 'draft' && sameSet(ids, before)) return next(inquiry);
      return next(await put(`${base(inquiry)}/undertakings`, { expected_version: inquiry.version, client_request_id: requestId(), undertaking_version_ids: ids }));
    }));
}

/** Lots are 10–18 m wide: close enough to tap one with a finger. */
const PICK_ZOOM = 18;

function propertyStep(inquiry, next) {
  const before = inquiry.property || {};
  let by = 'code';
  let picked = null;
  const where = h('div');
  const pickedText = h('p', { class: 'muted', 'aria-live': 'polite' }, t('pick_on_map'));
  let map = null;
  const drawWhere = async () => {
    if (map) { map.destroy(); map = null; }
    if (by === 'code') {
      where.replaceChildren(field('renovation_code', t('renovation_code'), {
        digits: true, required: true, hint: t('renovation_code_hint'), value: before.renovation_code,
      }));
      return;
    }
    const container = h('div', { class: 'map map-small', dir: 'ltr' });
    const own = await ownParcels();
    const finder = parcelFinder(() => map, own);
    where.replaceChildren(finder, h('div', { class: 'field', dataset: { field: 'picked_point' } }, container, pickedText, h('span', { class: 'field-error', hidden: true })));
    map = await parcelMap(container, {
      zoom: PICK_ZOOM,
      own: new Set(own.map((p) => p.renovation_code)),
      onMiss: () => {
        picked = null;
        pickedText.replaceChildren(h('span', { 'data-missed': true }, t('map_tap_inside')));
      },
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
    stepForm([tabs, where, field('request_number', t('request_number'), {
      digits: true, inputmode: 'numeric', required: true, hint: t('request_number_hint'), value: before.request_number,
    })], t('next'), async (v) => {
      const unchanged = by === 'code' && before.renovation_code && v.renovation_code === before.renovation_code
        && v.request_number === before.request_number;
      if (unchanged) {
        if (map) map.destroy();
        return next(inquiry);
      }
      const body = { expected_version: inquiry.version, client_request_id: requestId(), request_number: v.request_number };
      if (by === 'code') body.renovation_code = v.renovation_code;
      else body.picked_point = picked;
      const updated = await put(`${base(inquiry)}/property`, body);
      if (map) map.destroy();
      return next(updated);
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
  const before = inquiry.letter || {};
  const authority = await authoritySelect();
  if (before.authority_organization_id) authority.value = before.authority_organization_id;
  return h('div', {}, h('h2', {}, t('letter')),
    stepForm([
      field('letter_number', t('letter_number'), { required: true, value: before.letter_number }),
      field('letter_date_jalali', t('letter_date'), { input: jalaliPicker('letter_date_jalali') }),
      field('authority_organization_id', t('authority'), { input: authority, hint: t('authority_hint') }),
    ], t('next'), async (v) => {
      const unchanged = before.letter_number && v.letter_number === before.letter_number
        && v.letter_date_jalali === before.letter_date_jalali && v.authority_organization_id === before.authority_organization_id;
      if (unchanged) return next(inquiry);
      return next(await put(`${base(inquiry)}/letter`, {
        expected_version: inquiry.version, client_request_id: requestId(),
        letter_number: v.letter_number, letter_date_jalali: v.letter_date_jalali, authority_organization_id: v.authority_organization_id,
      }));
    }));
}

/**
 * The documents uploaded for an inquiry, by kind: `{document_id, name}`. Kept outside the
 * form, in this tab's session storage, so that drawing the step again (a language switch,
 * Back, a reload) keeps the uploads; a file input cannot be refilled by a script. Documents
 * already attached to the inquiry count as uploaded too.
 */
const UPLOADS_KEY = 'estelam.uploads.';

function uploadsOf(inquiry) {
  let kept = {};
  try {
    kept = JSON.parse(sessionStorage.getItem(UPLOADS_KEY + inquiry.inquiry_id) || '{}') || {};
  } catch {
    kept = {};
  }
  for (const doc of (inquiry.documents && inquiry.documents.documents) || []) {
    kept[doc.kind] ??= { document_id: doc.document_id, name: doc.original_filename };
  }
  // Writes go through to storage as the form changes the record.
  return new Proxy(kept, {
    set(target, key, value) {
      target[key] = value;
      saveUploads(inquiry, target);
      return true;
    },
    deleteProperty(target, key) {
      delete target[key];
      saveUploads(inquiry, target);
      return true;
    },
  });
}

function saveUploads(inquiry, record) {
  try {
    sessionStorage.setItem(UPLOADS_KEY + inquiry.inquiry_id, JSON.stringify(record));
  } catch {
    // Storage refused (private mode): the uploads last for this page only.
  }
}

// Document kinds are data of the documents service: a required document is labelled with
// its kind's name and offers the media types the kind accepts (`GET /api/v1/document-kinds`,
// asked once per page).
function kindInfo(kind) {
  return documentKinds().then((kinds) => kinds.find((k) => k.code === kind));
}

function uploadRow(kind, uploaded) {
  const input = h('input', { type: 'file', name: `file:${kind}`, accept: 'application/pdf,image/jpeg,image/png,image/webp' });
  const bar = h('progress', { max: 1, value: 0, hidden: true });
  const status = h('span', { class: 'small muted', 'aria-live': 'polite' });
  const wrapper = h('div', { class: 'field', dataset: { field: kind } },
    h('label', { for: `upload-${kind}` }, t(`doc_${kind}`) === `doc_${kind}` ? kind : t(`doc_${kind}`)),
    h('div', { class: 'upload-row' }, input, bar, status),
    h('span', { class: 'hint' }, t('upload_hint')),
    h('span', { class: 'field-error', hidden: true }));
  input.id = `upload-${kind}`;
  kindInfo(kind).then((info) => {
    if (!info) return;
    wrapper.querySelector('label').textContent = localized(info.name);
    input.accept = (info.accepted_content_types || []).join(',');
  });
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
      const ids = kinds.map((k) => uploaded[k].document_id);
      const before = ((inquiry.documents && inquiry.documents.documents) || []).map((d) => d.document_id);
      if (inquiry.documents && sameSet(ids, before)) return next(inquiry);
      return next(await put(`${base(inquiry)}/documents`, {
        expected_version: inquiry.version, client_request_id: requestId(), document_ids: ids,
      }));
    }));
}

const OWNERSHIP = ['full', 'shared', 'endowment', 'state', 'leasehold'];

function applicantStep(inquiry, next) {
  const account = (session.current() || {}).account || {};
  const ownName = [account.first_name, account.last_name].filter(Boolean).join(' ');
  const locked = !inquiry.filed_by_organization_id && Boolean(account.national_code);
  const before = (inquiry.applicant && !inquiry.applicant.representation) ? inquiry.applicant : null;
  const select = h('select', { name: 'ownership_type', required: true },
    OWNERSHIP.map((o) => h('option', { value: o, selected: before ? before.ownership_type === o : false }, t(`own_${o}`))));
  const nameField = field('full_name', t('full_name'), { required: true, value: before ? before.full_name : ownName });
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
      const unchanged = before && !v.as_representative && v.full_name === before.full_name
        && v.national_code === before.national_code && v.ownership_type === before.ownership_type;
      if (unchanged) return next(inquiry);
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
      return next(await put(`${base(inquiry)}/applicant`, body));
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

/** Step 6's name or ownership type differs from the record: a municipal clerk reviews it. */
function reviewWaiting(inquiry) {
  const applicant = inquiry.applicant || {};
  return h('div', {}, h('h2', {}, t('applicant')),
    h('p', { class: 'notice', 'data-waiting': 'review' }, t('review_waiting_applicant')),
    h('dl', { class: 'facts' },
      h('dt', {}, t('full_name')), h('dd', {}, applicant.full_name || '—'),
      h('dt', {}, t('ownership_type')), h('dd', {}, applicant.ownership_type ? t(`own_${applicant.ownership_type}`) : '—')));
}

/** The form of wizard page `page` (see wizard.js) for `inquiry` of request type `type`. */
export async function forPage(page, inquiry, type, next) {
  switch (page) {
    case 'undertakings': return undertakingsStep(inquiry, type, next);
    case 'property': return propertyStep(inquiry, next);
    case 'letter': return letterStep(inquiry, next);
    case 'documents': return documentsStep(inquiry, type, next);
    default:
      if (inquiry.state === 'awaiting_representation_approval') return representationWaiting(inquiry);
      if (inquiry.state === 'awaiting_review') return reviewWaiting(inquiry);
      return applicantStep(inquiry, next);
  }
}
