// The staff desk's e-service editor (`/clerk/services`): every request type, inactive ones
// included (`GET /api/v1/request-types?include_inactive=true`), a form that creates one or
// publishes a new version of it (`PUT /api/v1/request-types/{code}`, admins), and the
// wizard a citizen will see (`GET /api/v1/request-types/{code}/preview`). The inquiry
// service decides who may and checks everything — a fee item no tariff of this year
// prices, an unknown document kind — and its refusals appear next to the field they name
// (the inputs are named by the service's field paths, such as `request_type.fee_items`).
// Document kinds are data of the documents service (`GET /api/v1/document-kinds`): the
// editor offers the active ones by their names, and keeps any a type already requires.

import { lang, digits, latinDigits, rial, dateTime, localized } from '../i18n.js';
import { h, field, showProblem, busy, clearErrors, problemNotice } from '../dom.js';
import { get, put, requestId } from '../api.js';
import * as session from '../session.js';
import { navigate } from '../router.js';

const WORDS = {
  fa: {
    title: 'خدمات الکترونیکی',
    back: 'بازگشت به میز کارمند',
    intro: 'هر خدمت الکترونیکی یک «نوع درخواست» است: داده، نه برنامه. هر انتشار نسخه‌ای تازه است؛ درخواست‌هایی که پیش‌تر آغاز شده‌اند با نسخهٔ خود به پایان می‌رسند.',
    list: 'فهرست خدمات', none: 'خدمتی نیست.', code: 'کد', name: 'نام', version: 'نسخه', status: 'وضعیت',
    active: 'فعال', inactive: 'غیرفعال', changed: 'آخرین انتشار',
    edit: 'نسخهٔ تازه', preview: 'پیش‌نمایش', create: 'خدمت تازه',
    form_new: 'خدمت الکترونیکی تازه', form_edit: 'نسخهٔ تازهٔ «{name}» (جای نسخهٔ {v})',
    code_hint: 'حروف کوچک لاتین، رقم و خط تیره؛ مانند renewal-levy-payment. پس از انتشار تغییر نمی‌کند.',
    name_fa: 'نام (فارسی)', name_en: 'نام (انگلیسی)', description_fa: 'توضیح (فارسی)', description_en: 'توضیح (انگلیسی)',
    roles: 'چه کسی می‌تواند ثبت کند', citizen: 'شهروند', authority: 'مرجع استعلام',
    undertakings: 'تعهدات', undertaking: 'تعهد {n}', u_code: 'کد تعهد', u_version: 'نسخهٔ متن',
    u_title_fa: 'عنوان (فارسی)', u_title_en: 'عنوان (انگلیسی)', u_text_fa: 'متن (فارسی)', u_text_en: 'متن (انگلیسی)',
    u_hint: 'متن تغییرکرده نسخهٔ تازه می‌خواهد؛ تعهد خالی کنار گذاشته می‌شود.',
    documents: 'مدارک لازم', national_id_card: 'کارت ملی', ownership_deed: 'سند مالکیت',
    authority_letter: 'نامهٔ مرجع', power_of_attorney: 'وکالت‌نامه', other: 'سایر مدارک',
    checks: 'بررسی‌ها', letter_required: 'نامهٔ مرجع استعلام لازم است', check_request_number: 'شمارهٔ درخواست با سوابق سنجیده شود',
    check_ownership: 'متقاضی باید مالک باشد', check_debt: 'پاسخ پس از تسویهٔ بدهی ملک',
    fee_items: 'اقلام صورت‌حساب', fee_hint: 'اقلامی که تعرفه مبلغشان را تعیین می‌کند باید در تعرفهٔ امسال باشند.',
    renewal_levy: 'عوارض نوسازی', waste_fee: 'عوارض پسماند', penalty: 'جریمهٔ دیرکرد', adjustment: 'اصلاحیه',
    discount: 'تخفیف', inquiry_fee: 'هزینهٔ استعلام',
    settlement: 'پرداخت‌کنندهٔ هزینهٔ استعلام', on_bill: 'متقاضی، در صورت‌حساب', on_account: 'حساب مرجع استعلام',
    template: 'قالب پاسخ', standard: 'پاسخ استعلام', clearance: 'گواهی مفاصاحساب',
    answer_title_fa: 'عنوان پاسخ (فارسی)', answer_title_en: 'عنوان پاسخ (انگلیسی)', answer_title_hint: 'خالی: عنوان قالب.',
    statements_fa: 'جمله‌های پاسخ (فارسی، هر سطر یک جمله)', statements_en: 'جمله‌های پاسخ (انگلیسی، هم‌ردیف با فارسی)',
    validity: 'مدت اعتبار پاسخ (روز)', repeat_free: 'تکرار در مدت اعتبار پاسخ قبلی رایگان است',
    is_active: 'فعال (شهروندان می‌توانند ثبت کنند)', active_from: 'آغاز پذیرش (میلادی)', active_until: 'پایان پذیرش (میلادی)',
    window_hint: 'خالی یعنی بی‌مرز.',
    reason: 'دلیل انتشار', publish: 'انتشار', published: 'نسخهٔ {v} از «{code}» منتشر شد.',
    wizard: 'آنچه شهروند می‌بیند: {name}', steps: 'مراحل', to_attach: 'مدارک', applies: 'بررسی‌ها', fees: 'هزینه‌ها',
    fees_year: 'به تعرفهٔ سال {y}', not_priced: 'در تعرفهٔ امسال نیست', per_million: '{n} در میلیون ارزش معاملاتی',
    per_m2: '{a} برای هر متر مربع', answer: 'پاسخ', closed_now: 'این خدمت اکنون درخواست تازه نمی‌پذیرد.',
    by_account: 'به حساب مرجع استعلام',
  },
  en: {
    title: 'E-services',
    back: 'Back to the clerk desk',
    intro: 'Each e-service is a request type: data, not code. Every publication is a new version; inquiries already started finish under their own.',
    list: 'E-services', none: 'No e-service.', code: 'Code', name: 'Name', version: 'Version', status: 'Status',
    active: 'active', inactive: 'inactive', changed: 'Last published',
    edit: 'New version', preview: 'Preview', create: 'New e-service',
    form_new: 'A new e-service', form_edit: 'A new version of {name} (replacing version {v})',
    code_hint: 'Lower-case letters, digits and dashes, e.g. renewal-levy-payment. It never changes once published.',
    name_fa: 'Name (Persian)', name_en: 'Name (English)', description_fa: 'Description (Persian)', description_en: 'Description (English)',
    roles: 'Who may file it', citizen: 'Citizens', authority: 'Inquiring authorities',
    undertakings: 'Undertakings', undertaking: 'Undertaking {n}', u_code: 'Code', u_version: 'Text version',
    u_title_fa: 'Title (Persian)', u_title_en: 'Title (English)', u_text_fa: 'Text (Persian)', u_text_en: 'Text (English)',
    u_hint: 'A changed text needs a new version; an empty undertaking is left out.',
    documents: 'Documents to attach', national_id_card: 'National ID card', ownership_deed: 'Ownership deed',
    authority_letter: 'Authority letter', power_of_attorney: 'Power of attorney', other: 'Other document',
    checks: 'Checks', letter_required: 'The authority\'s letter is required', check_request_number: 'Check the request number against the records',
    check_ownership: 'The applicant must be an owner', check_debt: 'Answer only once the parcel\'s debt is paid',
    fee_items: 'Bill items', fee_hint: 'Items a tariff prices must be in this year\'s tariff.',
    renewal_levy: 'Renewal levy', waste_fee: 'Waste fee', penalty: 'Late penalty', adjustment: 'Adjustment',
    discount: 'Discount', inquiry_fee: 'Inquiry fee',
    settlement: 'Who pays the inquiry fee', on_bill: 'The applicant, on the bill', on_account: 'The authority\'s account',
    template: 'Answer layout', standard: 'Inquiry answer', clearance: 'Clearance certificate',
    answer_title_fa: 'Answer title (Persian)', answer_title_en: 'Answer title (English)', answer_title_hint: 'Empty: the layout\'s title.',
    statements_fa: 'Answer statements (Persian, one per line)', statements_en: 'Answer statements (English, line by line with the Persian)',
    validity: 'Answer valid for (days)', repeat_free: 'A repeat within an earlier answer\'s validity is free',
    is_active: 'Active (citizens may file it)', active_from: 'Open from (Gregorian)', active_until: 'Open until (Gregorian)',
    window_hint: 'Empty for no limit.',
    reason: 'Reason for publishing', publish: 'Publish', published: 'Version {v} of {code} published.',
    wizard: 'What a citizen sees: {name}', steps: 'Steps', to_attach: 'Documents', applies: 'Checks', fees: 'Fees',
    fees_year: 'by the tariff of {y}', not_priced: 'not in this year\'s tariff', per_million: '{n} per million of the assessed value',
    per_m2: '{a} per m²', answer: 'The answer', closed_now: 'This e-service takes no new requests now.',
    by_account: 'charged to the authority\'s account',
  },
};

/** This page's text for `key` in the page's language, `{name}` filled from `params`. */
function w(key, params = {}) {
  const table = WORDS[lang()] || WORDS.fa;
  const template = table[key] ?? WORDS.fa[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name) => digits(String(params[name] ?? '')));
}

const ROLES = ['citizen', 'authority'];
/** The document kinds as the documents service lists them (inactive ones included). */
let KINDS = [];
const FEE_ITEMS = ['inquiry_fee', 'renewal_levy', 'waste_fee', 'penalty', 'adjustment', 'discount'];
const FLAGS = ['letter_required', 'check_request_number', 'check_ownership', 'check_debt'];

const val = (form, name) => String(form.elements[name]?.value ?? '').trim();
const checked = (form, name) => Boolean(form.elements[name]?.checked);
const area = (name, value) => h('textarea', { name, rows: 3 }, value || '');

/** A group of checkboxes named `name`, one per value, inside a field the errors find. */
function checks(name, label, values, chosen, hint) {
  const boxes = values.map((v) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name, value: v, checked: chosen.includes(v) }), ' ', w(v)));
  return field(name, label, { input: h('div', { class: 'checks' }, ...boxes), hint });
}

/** The required-documents checkboxes: the active kinds, and any `chosen` one, by name. */
function kindChecks(name, label, chosen) {
  const offered = KINDS.filter((k) => k.active || chosen.includes(k.code));
  const unknown = chosen.filter((c) => !KINDS.some((k) => k.code === c));
  const boxes = [
    ...offered.map((k) => [k.code, localized(k.name)]),
    ...unknown.map((c) => [c, c]),
  ].map(([code, shown]) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name, value: code, checked: chosen.includes(code) }), ' ', shown));
  return field(name, label, { input: h('div', { class: 'checks', 'data-kinds': true }, ...boxes) });
}

function select(name, values, chosen) {
  return h('select', { name }, values.map((v) => h('option', { value: v, selected: v === chosen }, w(v))));
}

function undertakingBox(index, u) {
  const p = `request_type.undertakings[${index}]`;
  return h('fieldset', { class: 'card', 'data-undertaking': index },
    h('legend', {}, w('undertaking', { n: String(index + 1) })),
    field(`${p}.code`, w('u_code'), { value: u.code || '' }),
    field(`${p}.version`, w('u_version'), { digits: true, inputmode: 'numeric', value: String(u.version || 1) }),
    field(`${p}.title.fa`, w('u_title_fa'), { value: localizedOf(u.title, 'fa') }),
    field(`${p}.title.en`, w('u_title_en'), { value: localizedOf(u.title, 'en') }),
    field(`${p}.text.fa`, w('u_text_fa'), { input: area(`${p}.text.fa`, localizedOf(u.text, 'fa')) }),
    field(`${p}.text.en`, w('u_text_en'), { input: area(`${p}.text.en`, localizedOf(u.text, 'en')) }));
}

function localizedOf(text, which) {
  return (text && text[which]) || '';
}

const day = (instant) => (instant ? String(instant).slice(0, 10) : '');
const instantOf = (value) => (value ? `${latinDigits(value)}T00:00:00Z` : null);

/** The body of `PUT /api/v1/request-types/{code}`, from the form. */
function draftOf(form, count) {
  const lines = (name) => val(form, name).split('\n').map((s) => s.trim());
  const fa = lines('request_type.answer_statements.fa');
  const en = lines('request_type.answer_statements.en');
  const undertakings = [];
  for (let i = 0; i < count; i += 1) {
    const p = `request_type.undertakings[${i}]`;
    if (!val(form, `${p}.code`) && !val(form, `${p}.text.fa`)) continue;
    undertakings.push({
      code: val(form, `${p}.code`),
      version: Number(latinDigits(val(form, `${p}.version`))) || 1,
      title: { fa: val(form, `${p}.title.fa`), en: val(form, `${p}.title.en`) },
      text: { fa: val(form, `${p}.text.fa`), en: val(form, `${p}.text.en`) },
    });
  }
  const all = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
  return {
    name: { fa: val(form, 'request_type.name.fa'), en: val(form, 'request_type.name.en') },
    description: { fa: val(form, 'request_type.description.fa'), en: val(form, 'request_type.description.en') },
    allowed_roles: all('request_type.allowed_roles'),
    undertakings,
    required_documents: all('request_type.required_documents'),
    ...Object.fromEntries(FLAGS.map((f) => [f, checked(form, `request_type.${f}`)])),
    fee_items: all('request_type.fee_items'),
    inquiry_fee_settlement: val(form, 'request_type.inquiry_fee_settlement'),
    answer_template: val(form, 'request_type.answer_template'),
    answer_title: { fa: val(form, 'request_type.answer_title.fa'), en: val(form, 'request_type.answer_title.en') },
    answer_statements: fa.map((s, i) => ({ fa: s, en: en[i] || '' })).filter((s) => s.fa || s.en),
    answer_validity_days: Number(latinDigits(val(form, 'request_type.answer_validity_days'))) || 0,
    repeat_free_within_validity: checked(form, 'request_type.repeat_free_within_validity'),
    active: checked(form, 'request_type.active'),
    active_from: instantOf(val(form, 'request_type.active_from')),
    active_until: instantOf(val(form, 'request_type.active_until')),
  };
}

/** The form for a new version of `base` (a new e-service when null); `notice` says what
 * the last publication did. */
function editor(base, onPublished, notice = null) {
  const t = base || {};
  const shown = h('div', { 'aria-live': 'polite' }, notice);
  const count = (t.undertakings || []).length + 1;
  const publish = h('button', { class: 'button', type: 'button' }, w('publish'));
  const flag = (name, on, label = name) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: `request_type.${name}`, checked: Boolean(on) }), ' ', w(label));
  const form = h('form', { novalidate: true, 'data-editor': t.code || 'new' },
    t.code ? null : field('request_type.code', w('code'), { required: true, hint: w('code_hint'), dir: 'ltr' }),
    field('request_type.name.fa', w('name_fa'), { required: true, value: localizedOf(t.name, 'fa') }),
    field('request_type.name.en', w('name_en'), { value: localizedOf(t.name, 'en') }),
    field('request_type.description.fa', w('description_fa'), { input: area('request_type.description.fa', localizedOf(t.description, 'fa')) }),
    field('request_type.description.en', w('description_en'), { input: area('request_type.description.en', localizedOf(t.description, 'en')) }),
    checks('request_type.allowed_roles', w('roles'), ROLES, t.allowed_roles || ['citizen']),
    h('fieldset', { class: 'card' }, h('legend', {}, w('undertakings')), h('p', { class: 'muted small' }, w('u_hint')),
      field('request_type.undertakings', '', { input: h('div', {}, ...[...(t.undertakings || []), {}].map((u, i) => undertakingBox(i, u))) })),
    kindChecks('request_type.required_documents', w('documents'), t.required_documents || []),
    h('fieldset', { class: 'card' }, h('legend', {}, w('checks')), ...FLAGS.map((f) => flag(f, t[f]))),
    checks('request_type.fee_items', w('fee_items'), FEE_ITEMS, t.fee_items || [], w('fee_hint')),
    field('request_type.inquiry_fee_settlement', w('settlement'), { input: select('request_type.inquiry_fee_settlement', ['on_bill', 'on_account'], t.inquiry_fee_settlement || 'on_bill') }),
    field('request_type.answer_template', w('template'), { input: select('request_type.answer_template', ['standard', 'clearance'], t.answer_template || 'standard') }),
    field('request_type.answer_title.fa', w('answer_title_fa'), { value: localizedOf(t.answer_title, 'fa'), hint: w('answer_title_hint') }),
    field('request_type.answer_title.en', w('answer_title_en'), { value: localizedOf(t.answer_title, 'en') }),
    field('request_type.answer_statements', w('statements_fa'), { input: area('request_type.answer_statements.fa', (t.answer_statements || []).map((s) => s.fa).join('\n')) }),
    field('request_type.answer_statements.en', w('statements_en'), { input: area('request_type.answer_statements.en', (t.answer_statements || []).map((s) => s.en).join('\n')) }),
    field('request_type.answer_validity_days', w('validity'), { digits: true, inputmode: 'numeric', required: true, value: String(t.answer_validity_days || 30) }),
    flag('repeat_free_within_validity', t.repeat_free_within_validity, 'repeat_free'),
    flag('active', t.code ? t.active : true, 'is_active'),
    field('request_type.active_from', w('active_from'), { type: 'date', value: day(t.active_from), hint: w('window_hint') }),
    field('request_type.active_until', w('active_until'), { type: 'date', value: day(t.active_until) }),
    field('reason', w('reason'), { required: true }),
    h('div', { class: 'actions' }, publish));
  form.addEventListener('submit', (event) => event.preventDefault());
  publish.addEventListener('click', (event) => {
    event.preventDefault();
    clearErrors(form);
    busy(publish, async () => {
      const code = t.code || latinDigits(val(form, 'request_type.code'));
      try {
        const stored = await put(`/api/v1/request-types/${encodeURIComponent(code)}`, {
          request_type: draftOf(form, count), expected_version: t.version || 0,
          reason: val(form, 'reason'), client_request_id: requestId(),
        });
        await onPublished(stored, h('p', { class: 'notice notice-ok', 'data-published': stored.code }, w('published', { v: String(stored.version), code: stored.code })));
      } catch (err) {
        if (err && err.problem) showProblem(form, err.problem);
        else throw err;
      }
    });
  });
  const heading = t.code ? w('form_edit', { name: localized(t.name), v: String(t.version) }) : w('form_new');
  return h('section', { 'data-draft': true }, h('h2', {}, heading), h('div', { class: 'card' }, form), shown);
}

function feeFigure(line) {
  if (!line.priced) return w('not_priced');
  if (line.basis === 'assessed_value') return w('per_million', { n: String(line.rate_ppm) });
  if (line.basis === 'land_area' || line.basis === 'built_area') return w('per_m2', { a: rial(line.amount_rials) });
  return rial(line.amount_rials);
}

function wizard(p) {
  const list = (items) => h('ul', { class: 'list' }, items);
  return h('section', { class: 'card', 'data-preview': p.request_type.code },
    h('h2', {}, w('wizard', { name: localized(p.request_type.name) })),
    p.open_now ? null : h('p', { class: 'notice' }, w('closed_now')),
    h('h3', {}, w('steps')),
    h('ol', { class: 'list' }, p.steps.map((s) => h('li', { 'data-step': s.step }, h('strong', {}, localized(s.title)), ' — ', localized(s.detail)))),
    (p.request_type.undertakings || []).length ? h('div', {}, h('h3', {}, w('undertakings')),
      list(p.request_type.undertakings.map((u) => h('li', {}, h('strong', {}, localized(u.title)), h('p', {}, localized(u.text)))))) : null,
    p.documents.length ? h('div', {}, h('h3', {}, w('to_attach')), list(p.documents.map((d) => h('li', {}, localized(d.name))))) : null,
    p.checks.length ? h('div', {}, h('h3', {}, w('applies')), list(p.checks.map((c) => h('li', {}, localized(c))))) : null,
    p.fee_lines.length ? h('div', {}, h('h3', {}, w('fees'), ' ', h('small', { class: 'muted' }, w('fees_year', { y: String(p.jalali_year) }))),
      list(p.fee_lines.map((l) => h('li', { 'data-fee': l.kind, 'data-priced': String(l.priced) },
        `${localized(l.name)}: ${feeFigure(l)}${l.settlement === 'on_account' ? ` (${w('by_account')})` : ''}`)))) : null,
    h('h3', {}, w('answer')),
    h('p', { 'data-answer-title': true }, h('strong', {}, localized(p.answer_title))),
    list(p.answer_statements.map((s) => h('li', { 'data-statement': true }, localized(s)))));
}

function listTable(types, onEdit, onPreview) {
  if (!types.length) return h('p', { class: 'muted' }, w('none'));
  const head = ['code', 'name', 'version', 'status', 'changed', '', ''].map((k) => h('th', { scope: 'col' }, k ? w(k) : ''));
  const rows = types.map((t) => {
    const edit = h('button', { class: 'button secondary', type: 'button' }, w('edit'));
    edit.addEventListener('click', () => onEdit(t));
    const preview = h('button', { class: 'button secondary', type: 'button' }, w('preview'));
    preview.addEventListener('click', () => onPreview(t.code));
    return h('tr', { 'data-type': t.code },
      h('td', { class: 'ltr' }, t.code), h('td', {}, localized(t.name)), h('td', {}, digits(String(t.version))),
      h('td', {}, t.active ? w('active') : w('inactive')), h('td', {}, t.changed ? dateTime(t.changed.at) : '—'),
      h('td', {}, edit), h('td', {}, preview));
  });
  return h('div', { class: 'table-scroll' }, h('table', {}, h('thead', {}, h('tr', {}, ...head)), h('tbody', {}, ...rows)));
}

/** Draws the page (after a login). */
export async function render(main) {
  if (!session.current()) {
    navigate('/login?next=/clerk/services', { replace: true });
    return;
  }
  const list = h('div', { 'aria-live': 'polite' });
  const editBox = h('div', {});
  const previewBox = h('div', { 'aria-live': 'polite' });
  const showPreview = async (code) => {
    try {
      previewBox.replaceChildren(wizard(await get(`/api/v1/request-types/${encodeURIComponent(code)}/preview`)));
      previewBox.scrollIntoView({ block: 'start' });
    } catch (err) {
      previewBox.replaceChildren(problemNotice(err.problem));
    }
  };
  const draw = async () => {
    try {
      const r = await get('/api/v1/request-types?include_inactive=true');
      list.replaceChildren(listTable(r.request_types || [], open, showPreview));
    } catch (err) {
      list.replaceChildren(problemNotice(err.problem));
    }
  };
  // After a publication the form holds the version just published, so the next one
  // replaces it (and names it as the expected version).
  const open = (t, notice = null) => {
    editBox.replaceChildren(editor(t, async (stored, done) => {
      open(stored, done);
      await draw();
      await showPreview(stored.code);
    }, notice));
    if (!notice) editBox.querySelector('input')?.focus();
  };
  try {
    KINDS = (await get('/api/v1/document-kinds?include_inactive=true')).kinds || [];
  } catch (err) {
    KINDS = [];
  }
  const create = h('button', { class: 'button', type: 'button', 'data-create': true }, w('create'));
  create.addEventListener('click', () => open(null));
  await draw();
  main.append(
    h('h1', {}, w('title')),
    h('p', {}, h('a', { href: '/clerk', 'data-link': true }, w('back'))),
    h('p', { class: 'muted' }, w('intro')),
    h('section', {}, h('h2', {}, w('list')), list, h('div', { class: 'actions' }, create)),
    editBox,
    previewBox,
  );
}
