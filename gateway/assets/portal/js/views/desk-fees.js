// The staff desk's fees page (`/clerk/fees`): tariff versions by Jalali year, land use and
// zone (`GET /api/v1/tariffs`), a new version drafted from one of them with a bill preview
// for a chosen parcel (`POST /api/v1/tariffs/preview`) and published
// (`POST /api/v1/tariffs`, admins); levy adjustments with a reason
// (`POST /api/v1/parcels/{code}/adjustments`, clerks) and the adjustments above the limit
// waiting for a second staff member (`GET /api/v1/adjustments?status=pending`,
// `POST /api/v1/adjustments/{id}/decision`). The fees service decides who may and checks
// every figure; its refusals appear next to the field they name (the inputs are named by
// the service's field paths, such as `tariff.items[0].rate_ppm`).
//
// The page's words are here, in Persian and English, so that the shared string table stays
// one readable size.

import { lang, digits, latinDigits, rial, date, dateTime } from '../i18n.js';
import { h, field, showProblem, busy, clearErrors, problemNotice } from '../dom.js';
import { get, post, requestId } from '../api.js';
import * as session from '../session.js';
import { navigate } from '../router.js';

const WORDS = {
  fa: {
    title: 'تعرفه‌ها و اصلاحیه‌های عوارض',
    back: 'بازگشت به میز کارمند',
    tariffs: 'نسخه‌های تعرفه',
    year: 'سال (شمسی)',
    land_use: 'کاربری',
    zone: 'منطقه',
    zone_hint: 'بخش نخست کد نوسازی؛ ۰ برای همهٔ مناطق.',
    history: 'نسخه‌های جایگزین‌شده هم نشان داده شوند',
    show: 'نمایش',
    none: 'چیزی یافت نشد.',
    version: 'نسخه',
    effective: 'اجرا از',
    items: 'اقلام',
    reason: 'دلیل',
    changed: 'ثبت',
    draft_from: 'پیش‌نویس نسخهٔ تازه از این',
    draft: 'پیش‌نویس نسخهٔ تازه',
    draft_hint: 'نسخه‌های منتشرشده تغییر نمی‌کنند؛ هر تغییر نسخه‌ای تازه است که از تاریخ اجرایش به کار می‌رود.',
    effective_hint: 'مانند ۱۴۰۵/۰۳/۰۱؛ امروز یا پس از آن.',
    renewal_levy: 'عوارض نوسازی',
    waste_fee: 'عوارض پسماند',
    basis: 'مبنا',
    assessed_value: 'ارزش معاملاتی (در میلیون)',
    land_area: 'هر متر مربع زمین',
    built_area: 'هر متر مربع بنا',
    fixed: 'مبلغ ثابت',
    rate_ppm: 'نرخ (در میلیون)',
    rate_hint: 'پنج در هزار یعنی ۵۰۰۰.',
    amount_rials: 'مبلغ (ریال)',
    include: 'این قلم در تعرفه باشد',
    carried: 'اقلام دیگر نسخهٔ پایه (هزینهٔ استعلام و تخفیف‌ها) بی‌تغییر می‌مانند: {n}',
    penalty_rate: 'جریمهٔ دیرکرد ماهانه (در میلیون)',
    penalty_cap: 'سقف جریمه (در میلیون)',
    grace: 'مهلت پیش از جریمه (ماه)',
    tariff_reason: 'دلیل (مثلاً شمارهٔ مصوبهٔ شورا)',
    preview_parcel: 'کد نوسازی ملک برای پیش‌نمایش',
    preview: 'پیش‌نمایش صورت‌حساب',
    publish: 'انتشار نسخهٔ تازه',
    published: 'نسخهٔ {v} منتشر شد.',
    line: 'ردیف',
    now: 'اکنون',
    with_draft: 'با پیش‌نویس',
    total: 'جمع',
    as_of: 'به تاریخ {d}',
    adjust: 'اصلاحیهٔ عوارض',
    adjust_hint: 'اصلاحیهٔ بزرگ‌تر از سقف تعیین‌شده فقط پیشنهاد می‌شود و تا تأیید کارمندی دیگر اثری ندارد.',
    renovation_code: 'کد نوسازی',
    kind: 'نوع',
    correction: 'اصلاحیه',
    discount: 'تخفیف',
    write_off: 'بخشودگی',
    amount_hint: 'مثبت بدهکار می‌کند؛ منفی بستانکار (تخفیف و بخشودگی منفی‌اند).',
    adjust_year: 'سال مربوط (۰ اگر هیچ)',
    adjust_reason: 'دلیل اصلاحیه',
    record: 'ثبت',
    applied: 'ثبت شد. مانده بدهی ملک: {b}',
    proposed: 'مبلغ از سقف بیشتر است؛ پیشنهاد ثبت شد و منتظر تأیید کارمندی دیگر است.',
    waiting: 'اصلاحیه‌های منتظر تأیید دوم',
    waiting_none: 'اصلاحیه‌ای منتظر تأیید نیست.',
    proposed_by: 'پیشنهاد: {who}، {when}',
    approve: 'تأیید',
    refuse: 'رد',
    refuse_reason: 'دلیل رد',
    approved_note: 'تأیید و در دفتر ملک ثبت شد.',
    all: 'همه',
    residential: 'مسکونی', commercial: 'تجاری', office: 'اداری', industrial: 'صنعتی',
    agricultural: 'کشاورزی', public: 'عمومی', mixed: 'مختلط',
    inquiry_fee: 'هزینهٔ استعلام', penalty: 'جریمه', adjustment: 'اصلاحیه',
  },
  en: {
    title: 'Tariffs and levy adjustments',
    back: 'Back to the clerk desk',
    tariffs: 'Tariff versions',
    year: 'Year (Jalali)',
    land_use: 'Land use',
    zone: 'Zone',
    zone_hint: 'The first part of the renovation code; 0 for all zones.',
    history: 'Also show versions that were replaced',
    show: 'Show',
    none: 'Nothing found.',
    version: 'Version',
    effective: 'Effective from',
    items: 'Items',
    reason: 'Reason',
    changed: 'Recorded',
    draft_from: 'Draft a new version from this',
    draft: 'Draft a new version',
    draft_hint: 'Published versions never change; every change is a new version that applies from its effective date.',
    effective_hint: 'Such as 1405/03/01; today or later.',
    renewal_levy: 'Renewal levy',
    waste_fee: 'Waste fee',
    basis: 'Basis',
    assessed_value: 'Assessed value (per million)',
    land_area: 'Per m² of land',
    built_area: 'Per m² built',
    fixed: 'Fixed amount',
    rate_ppm: 'Rate (parts per million)',
    rate_hint: 'Five per thousand is 5000.',
    amount_rials: 'Amount (rials)',
    include: 'Include this item',
    carried: 'The base version\'s other items (inquiry fees, discounts) are kept as they are: {n}',
    penalty_rate: 'Monthly late penalty (per million)',
    penalty_cap: 'Penalty cap (per million)',
    grace: 'Months before penalties start',
    tariff_reason: 'Reason (e.g. the council resolution number)',
    preview_parcel: 'Renovation code of the parcel to preview',
    preview: 'Preview the bill',
    publish: 'Publish the new version',
    published: 'Version {v} published.',
    line: 'Line',
    now: 'Now',
    with_draft: 'With the draft',
    total: 'Total',
    as_of: 'as of {d}',
    adjust: 'Levy adjustment',
    adjust_hint: 'An adjustment above the configured limit is only proposed and has no effect until another staff member approves it.',
    renovation_code: 'Renovation code',
    kind: 'Kind',
    correction: 'Correction',
    discount: 'Discount',
    write_off: 'Write-off',
    amount_hint: 'Positive charges; negative credits (discounts and write-offs are negative).',
    adjust_year: 'Year it concerns (0 if none)',
    adjust_reason: 'Reason for the adjustment',
    record: 'Record',
    applied: 'Recorded. The parcel now owes: {b}',
    proposed: 'The amount is above the limit: proposed, waiting for another staff member to approve it.',
    waiting: 'Adjustments waiting for a second approver',
    waiting_none: 'No adjustment is waiting.',
    proposed_by: 'Proposed by {who}, {when}',
    approve: 'Approve',
    refuse: 'Refuse',
    refuse_reason: 'Reason for refusing',
    approved_note: 'Approved and written to the parcel\'s ledger.',
    all: 'All',
    residential: 'Residential', commercial: 'Commercial', office: 'Office', industrial: 'Industrial',
    agricultural: 'Agricultural', public: 'Public', mixed: 'Mixed',
    inquiry_fee: 'Inquiry fee', penalty: 'Penalty', adjustment: 'Adjustment',
  },
};

/** This page's text for `key` in the page's language, `{name}` filled from `params`. */
function w(key, params = {}) {
  const table = WORDS[lang()] || WORDS.fa;
  const template = table[key] ?? WORDS.fa[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name) => digits(String(params[name] ?? '')));
}

const LAND_USES = ['all', 'residential', 'commercial', 'office', 'industrial', 'agricultural', 'public', 'mixed'];
const BASES = ['assessed_value', 'land_area', 'built_area', 'fixed'];

function select(name, options, chosen) {
  return h('select', { name }, options.map((o) => h('option', { value: o, selected: o === chosen }, w(o))));
}

function int(form, name) {
  const raw = latinDigits(String(form.elements[name]?.value ?? '').trim());
  return raw === '' ? 0 : Number(raw);
}

function text(form, name) {
  return String(form.elements[name]?.value ?? '').trim();
}

/** A form whose submit runs `work`; the service's refusals land next to their fields. */
function deskForm(children, buttons, onSubmit) {
  const form = h('form', { novalidate: true }, ...children, h('div', { class: 'actions' }, ...buttons));
  form.addEventListener('submit', (event) => event.preventDefault());
  for (const [button, work] of onSubmit) {
    button.addEventListener('click', (event) => {
      event.preventDefault();
      clearErrors(form);
      busy(button, async () => {
        try {
          await work(form);
        } catch (err) {
          if (err && err.problem) showProblem(form, err.problem);
          else throw err;
        }
      });
    });
  }
  return form;
}

// ---- tariffs ----

function itemSummary(item) {
  const figure = item.basis === 'assessed_value' ? `${digits(String(item.rate_ppm))} ppm` : rial(item.amount_rials);
  return `${w(item.kind)}: ${figure}`;
}

function tariffTable(tariffs, onDraft) {
  if (!tariffs.length) return h('p', { class: 'muted' }, w('none'));
  const head = ['year', 'land_use', 'zone', 'version', 'effective', 'items', 'reason', 'changed', 'draft']
    .map((k) => h('th', { scope: 'col' }, k === 'draft' ? '' : w(k)));
  const rows = tariffs.map((t) => {
    const button = h('button', { class: 'button secondary', type: 'button' }, w('draft_from'));
    button.addEventListener('click', () => onDraft(t));
    return h('tr', { 'data-tariff': t.tariff_id },
      h('td', {}, digits(String(t.jalali_year))), h('td', {}, w(t.land_use)), h('td', {}, digits(String(t.zone))),
      h('td', {}, digits(String(t.version))), h('td', { class: 'ltr' }, digits(t.effective_from_jalali)),
      h('td', {}, h('ul', { class: 'list' }, (t.items || []).map((i) => h('li', {}, itemSummary(i))))),
      h('td', {}, t.reason), h('td', {}, t.changed ? dateTime(t.changed.at) : '—'), h('td', {}, button));
  });
  return h('div', { class: 'table-scroll' }, h('table', {}, h('thead', {}, h('tr', {}, ...head)), h('tbody', {}, ...rows)));
}

function itemRows(index, kind, base) {
  const item = (base.items || []).find((i) => i.kind === kind);
  const prefix = `tariff.items[${index}]`;
  const include = h('input', { type: 'checkbox', name: `${prefix}.include`, checked: Boolean(item) || !base.items });
  return h('fieldset', { class: 'card', 'data-item': kind },
    h('legend', {}, w(kind)),
    h('label', {}, include, ' ', w('include')),
    field(`${prefix}.basis`, w('basis'), { input: select(`${prefix}.basis`, BASES, (item && item.basis) || 'assessed_value') }),
    field(`${prefix}.rate_ppm`, w('rate_ppm'), { digits: true, inputmode: 'numeric', value: String((item && item.rate_ppm) || 0), hint: w('rate_hint') }),
    field(`${prefix}.amount_rials`, w('amount_rials'), { digits: true, inputmode: 'numeric', value: String((item && item.amount_rials) || 0) }));
}

/** The draft in the API's shape, from the form and the base version's carried items. */
function draftOf(form, base) {
  const items = [];
  ['renewal_levy', 'waste_fee'].forEach((kind, index) => {
    const prefix = `tariff.items[${index}]`;
    if (!form.elements[`${prefix}.include`].checked) return;
    const old = (base.items || []).find((i) => i.kind === kind);
    items.push({
      kind,
      description: (old && old.description) || { fa: WORDS.fa[kind], en: WORDS.en[kind] },
      basis: text(form, `${prefix}.basis`),
      rate_ppm: int(form, `${prefix}.rate_ppm`),
      amount_rials: int(form, `${prefix}.amount_rials`),
    });
  });
  items.push(...(base.items || []).filter((i) => i.kind === 'inquiry_fee'));
  return {
    jalali_year: int(form, 'tariff.jalali_year'),
    effective_from_jalali: latinDigits(text(form, 'tariff.effective_from_jalali')),
    land_use: text(form, 'tariff.land_use'),
    zone: int(form, 'tariff.zone'),
    items,
    penalty: {
      monthly_rate_ppm: int(form, 'tariff.penalty.monthly_rate_ppm'),
      cap_ppm: int(form, 'tariff.penalty.cap_ppm'),
      grace_months: int(form, 'tariff.penalty.grace_months'),
    },
    discounts: base.discounts || [],
    reason: text(form, 'tariff.reason'),
  };
}

function previewTable(preview) {
  const key = (l) => `${l.kind}:${l.jalali_year}`;
  const now = new Map((preview.current.lines || []).map((l) => [key(l), l]));
  const drafted = new Map((preview.bill.lines || []).map((l) => [key(l), l]));
  const keys = [...new Set([...now.keys(), ...drafted.keys()])];
  const cell = (l) => h('td', { class: 'ltr' }, l ? rial(l.total_rials) : '—');
  const rows = keys.map((k) => {
    const line = drafted.get(k) || now.get(k);
    const changed = (now.get(k) || {}).total_rials !== (drafted.get(k) || {}).total_rials;
    return h('tr', { class: changed ? 'changed' : null },
      h('th', { scope: 'row' }, `${(line.description && (lang() === 'fa' ? line.description.fa : line.description.en)) || w(line.kind)}${line.jalali_year ? ` ${digits(String(line.jalali_year))}` : ''}`),
      cell(now.get(k)), cell(drafted.get(k)));
  });
  return h('div', { class: 'card', 'data-preview': true },
    h('p', { class: 'muted' }, w('as_of', { d: preview.bill.as_of_jalali })),
    h('div', { class: 'table-scroll' }, h('table', {},
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, w('line')), h('th', { scope: 'col' }, w('now')), h('th', { scope: 'col' }, w('with_draft')))),
      h('tbody', {}, ...rows),
      h('tfoot', {}, h('tr', {}, h('th', { scope: 'row' }, w('total')),
        h('td', { class: 'ltr', 'data-total-now': preview.current.total_rials }, rial(preview.current.total_rials)),
        h('td', { class: 'ltr', 'data-total-draft': preview.bill.total_rials }, rial(preview.bill.total_rials)))))));
}

function draftForm(base, onPublished) {
  const shown = h('div', { 'aria-live': 'polite' });
  const penalty = base.penalty || {};
  const previewButton = h('button', { class: 'button secondary', type: 'button' }, w('preview'));
  const publishButton = h('button', { class: 'button', type: 'button' }, w('publish'));
  const form = deskForm([
    h('p', { class: 'muted' }, w('draft_hint')),
    field('tariff.jalali_year', w('year'), { digits: true, inputmode: 'numeric', required: true, value: base.jalali_year ? String(base.jalali_year) : '' }),
    field('tariff.effective_from_jalali', w('effective'), { digits: true, required: true, hint: w('effective_hint') }),
    field('tariff.land_use', w('land_use'), { input: select('tariff.land_use', LAND_USES, base.land_use || 'all') }),
    field('tariff.zone', w('zone'), { digits: true, inputmode: 'numeric', value: String(base.zone || 0), hint: w('zone_hint') }),
    itemRows(0, 'renewal_levy', base),
    itemRows(1, 'waste_fee', base),
    h('p', { class: 'muted small' }, w('carried', { n: String(((base.items || []).filter((i) => i.kind === 'inquiry_fee').length) + (base.discounts || []).length) })),
    field('tariff.penalty.monthly_rate_ppm', w('penalty_rate'), { digits: true, inputmode: 'numeric', value: String(penalty.monthly_rate_ppm || 0) }),
    field('tariff.penalty.cap_ppm', w('penalty_cap'), { digits: true, inputmode: 'numeric', value: String(penalty.cap_ppm || 0) }),
    field('tariff.penalty.grace_months', w('grace'), { digits: true, inputmode: 'numeric', value: String(penalty.grace_months || 0) }),
    field('tariff.reason', w('tariff_reason'), { required: true }),
    field('renovation_code', w('preview_parcel'), { digits: true }),
  ], [previewButton, publishButton], [
    [previewButton, async (f) => {
      const preview = await post('/api/v1/tariffs/preview', {
        tariff: draftOf(f, base), renovation_code: latinDigits(text(f, 'renovation_code')),
      });
      shown.replaceChildren(previewTable(preview));
    }],
    [publishButton, async (f) => {
      const draft = draftOf(f, base);
      const sameScope = base.tariff_id && base.jalali_year === draft.jalali_year
        && base.land_use === (draft.land_use || 'all') && base.zone === draft.zone;
      let expected = sameScope ? base.version : 0;
      if (!sameScope) {
        const q = new URLSearchParams({ jalali_year: String(draft.jalali_year), land_use: draft.land_use || 'all', zone: String(draft.zone) });
        const listed = ((await get(`/api/v1/tariffs?${q}`)) || {}).tariffs || [];
        expected = Math.max(0, ...listed.filter((t) => t.land_use === (draft.land_use || 'all') && t.zone === draft.zone).map((t) => t.version));
      }
      const stored = await post('/api/v1/tariffs', { tariff: draft, expected_version: expected, client_request_id: requestId() });
      shown.replaceChildren(h('p', { class: 'notice notice-ok' }, w('published', { v: String(stored.version) })));
      onPublished();
    }],
  ]);
  return h('section', { 'data-draft': true }, h('h3', {}, w('draft')), h('div', { class: 'card' }, form), shown);
}

function tariffsSection() {
  const list = h('div', { 'aria-live': 'polite' });
  const draftBox = h('div', {});
  const draw = async (form) => {
    const q = new URLSearchParams();
    if (int(form, 'jalali_year')) q.set('jalali_year', String(int(form, 'jalali_year')));
    q.set('land_use', text(form, 'land_use') || 'all');
    if (int(form, 'zone')) q.set('zone', String(int(form, 'zone')));
    if (form.elements.include_history.checked) q.set('include_history', 'true');
    const r = await get(`/api/v1/tariffs?${q}`);
    list.replaceChildren(tariffTable(r.tariffs || [], (t) => {
      draftBox.replaceChildren(draftForm(t, () => draw(form)));
      draftBox.querySelector('input')?.focus();
    }));
  };
  const showButton = h('button', { class: 'button', type: 'button' }, w('show'));
  const newButton = h('button', { class: 'button secondary', type: 'button' }, w('draft'));
  newButton.addEventListener('click', () => draftBox.replaceChildren(draftForm({}, () => {})));
  const filter = deskForm([
    field('jalali_year', w('year'), { digits: true, inputmode: 'numeric' }),
    field('land_use', w('land_use'), { input: select('land_use', LAND_USES, 'all') }),
    field('zone', w('zone'), { digits: true, inputmode: 'numeric', hint: w('zone_hint') }),
    h('label', {}, h('input', { type: 'checkbox', name: 'include_history' }), ' ', w('history')),
  ], [showButton, newButton], [[showButton, draw]]);
  return h('section', {}, h('h2', {}, w('tariffs')), h('div', { class: 'card narrow' }, filter), list, draftBox);
}

// ---- adjustments ----

function adjustSection(onProposed) {
  const shown = h('div', { 'aria-live': 'polite' });
  const record = h('button', { class: 'button', type: 'button' }, w('record'));
  const form = deskForm([
    h('p', { class: 'muted' }, w('adjust_hint')),
    field('renovation_code', w('renovation_code'), { digits: true, required: true }),
    field('kind', w('kind'), { input: select('kind', ['correction', 'discount', 'write_off'], 'correction') }),
    field('amount_rials', w('amount_rials'), { digits: true, required: true, hint: w('amount_hint') }),
    field('jalali_year', w('adjust_year'), { digits: true, inputmode: 'numeric', value: '0' }),
    field('reason', w('adjust_reason'), { required: true }),
  ], [record], [[record, async (f) => {
    const code = latinDigits(text(f, 'renovation_code'));
    const outcome = await post(`/api/v1/parcels/${encodeURIComponent(code)}/adjustments`, {
      kind: text(f, 'kind'), amount_rials: int(f, 'amount_rials'), jalali_year: int(f, 'jalali_year'),
      reason: text(f, 'reason'), client_request_id: requestId(),
    });
    shown.replaceChildren(outcome.proposal
      ? h('p', { class: 'notice', 'data-proposed': outcome.proposal.proposal_id }, w('proposed'))
      : h('p', { class: 'notice notice-ok' }, w('applied', { b: rial(outcome.balance_rials) })));
    if (outcome.proposal) onProposed();
  }]]);
  return h('section', {}, h('h2', {}, w('adjust')), h('div', { class: 'card narrow' }, form), shown);
}

function proposalCard(p, redraw) {
  const approve = h('button', { class: 'button', type: 'button' }, w('approve'));
  const outcome = h('div', { 'aria-live': 'polite' });
  approve.addEventListener('click', () => busy(approve, async () => {
    outcome.replaceChildren();
    try {
      await post(`/api/v1/adjustments/${encodeURIComponent(p.proposal_id)}/decision`, { approve: true });
      outcome.replaceChildren(h('p', { class: 'notice notice-ok' }, w('approved_note')));
      redraw();
    } catch (err) {
      if (err && err.problem) outcome.replaceChildren(problemNotice(err.problem));
      else throw err;
    }
  }));
  const refuse = h('button', { class: 'button secondary', type: 'button' }, w('refuse'));
  const refuseForm = deskForm([field('reason', w('refuse_reason'), { required: true })], [refuse], [[refuse, async (f) => {
    await post(`/api/v1/adjustments/${encodeURIComponent(p.proposal_id)}/decision`, { approve: false, reason: text(f, 'reason') });
    redraw();
  }]]);
  return h('li', { class: 'card', 'data-proposal': p.proposal_id },
    h('dl', { class: 'facts' },
      h('dt', {}, w('renovation_code')), h('dd', { class: 'ltr' }, digits(p.renovation_code)),
      h('dt', {}, w('kind')), h('dd', {}, w(p.kind)),
      h('dt', {}, w('amount_rials')), h('dd', { class: 'ltr' }, rial(p.amount_rials)),
      h('dt', {}, w('reason')), h('dd', {}, p.reason)),
    h('p', { class: 'muted small' }, w('proposed_by', { who: (p.proposed && p.proposed.actor_account_id) || '', when: p.proposed ? date(p.proposed.at) : '' })),
    h('div', { class: 'actions' }, approve), outcome, refuseForm);
}

function waitingSection() {
  const box = h('div', { 'aria-live': 'polite' });
  const draw = async () => {
    try {
      const r = await get('/api/v1/adjustments?status=pending');
      const list = r.proposals || [];
      box.replaceChildren(list.length
        ? h('ul', { class: 'list' }, list.map((p) => proposalCard(p, draw)))
        : h('p', { class: 'muted' }, w('waiting_none')));
    } catch (err) {
      box.replaceChildren(problemNotice(err.problem));
    }
  };
  draw();
  return { section: h('section', {}, h('h2', {}, w('waiting')), box), redraw: draw };
}

/** Draws the page (after a login). */
export async function render(main) {
  if (!session.current()) {
    navigate('/login?next=/clerk/fees', { replace: true });
    return;
  }
  const waiting = waitingSection();
  main.append(
    h('h1', {}, w('title')),
    h('p', {}, h('a', { href: '/clerk', 'data-link': true }, w('back'))),
    tariffsSection(),
    adjustSection(waiting.redraw),
    waiting.section,
  );
}
