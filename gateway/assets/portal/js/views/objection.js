// Objecting to levies (اعتراض به عوارض), where the applicant sees their bill: choose the
// lines, say why, and send (`POST /api/v1/inquiries/{id}/bill/disputes`). The bill is then
// paid as usual: the disputed part is held as a deposit (note to article 74 of the
// Municipalities Law), whose receipt counts as clearance, and the answer is issued with the
// objection recorded on it. Once a clerk decides, the bill's objections say how.

import { digits, lang, localized, num } from '../i18n.js';
import { h, busy, field, showProblem, clearErrors } from '../dom.js';
import { post } from '../api.js';

const WORDS = {
  fa: {
    title: 'اعتراض به اقلام صورت‌حساب',
    intro: 'اگر با مبلغ اقلامی از صورت‌حساب موافق نیستید، آن‌ها را برگزینید و دلیل را بنویسید. سپس صورت‌حساب را مانند همیشه بپردازید: مبلغ اقلام مورد اعتراض به‌عنوان سپرده (تبصرهٔ مادهٔ ۷۴ قانون شهرداری‌ها) نگه داشته می‌شود، رسید آن به‌منزلهٔ مفاصاحساب است و پاسخ استعلام صادر می‌شود. اگر اعتراض پذیرفته شود، سپرده بازگردانده می‌شود.',
    reason: 'دلیل اعتراض',
    reason_hint: 'کارشناس شهرداری آن را می‌خواند؛ بنویسید چه چیزی نادرست است.',
    send: 'ثبت اعتراض به اقلام برگزیده',
    choose: 'دست‌کم یک قلم را برگزینید.',
    filed: 'اعتراض ثبت شد. اکنون صورت‌حساب را بپردازید؛ {amount} ریال از آن سپرده می‌شود.',
    list: 'اعتراض‌های شما',
    awaiting_deposit: 'در انتظار پرداخت سپرده',
    deposited: 'سپرده پرداخت شد (رسید {receipt})؛ در دست رسیدگی',
    upheld: 'اعتراض پذیرفته شد؛ اقلام بخشوده و سپرده بازگردانده می‌شود',
    dismissed: 'اعتراض رد شد؛ اقلام از سپرده تسویه شد',
    because: 'دلیل رأی',
  },
  en: {
    title: 'Object to items of the bill',
    intro: 'If you disagree with items of the bill, choose them and say why. Then pay the bill as usual: the amount of the items under objection is held as a deposit (note to article 74 of the Municipalities Law), whose receipt counts as clearance, and the answer is issued. If the objection is upheld, the deposit is refunded.',
    reason: 'Why you object',
    reason_hint: 'A municipal clerk reads it: say what is wrong.',
    send: 'Object to the chosen items',
    choose: 'Choose at least one item.',
    filed: 'Objection recorded. Now pay the bill; {amount} rials of it are held as the deposit.',
    list: 'Your objections',
    awaiting_deposit: 'Waiting for the deposit',
    deposited: 'Deposit paid (receipt {receipt}); being decided',
    upheld: 'Upheld: the items are written off and the deposit refunded',
    dismissed: 'Dismissed: the deposit paid the items',
    because: 'Reason for the decision',
  },
};

function w(key, params = {}) {
  const table = WORDS[lang()] || WORDS.fa;
  const template = table[key] ?? WORDS.fa[key] ?? key;
  return template.replace(/\{(\w+)\}/g, (_, name) => digits(String(params[name] ?? '')));
}

const itemLabel = (line) => `${localized(line.description)}${line.jalali_year ? ` ${digits(String(line.jalali_year))}` : ''}`;

/** The bill's objections and how each stands; nothing when there are none. */
export function disputesList(bill) {
  const disputes = (bill && bill.disputes) || [];
  if (!disputes.length) return null;
  return h('div', { 'data-disputes': true }, h('h3', {}, w('list')),
    h('ul', { class: 'list' }, disputes.map((d) => h('li', { dataset: { dispute: d.dispute_id, status: d.status } },
      h('span', {}, (d.items || []).map((i) => itemLabel(i.line || {})).join('، '), ` — ${num(d.disputed_rials)} `),
      h('strong', {}, w(d.status, { receipt: d.deposit_receipt_code })),
      d.decision_reason ? h('span', { class: 'muted small' }, ` (${w('because')}: ${d.decision_reason})`) : null))));
}

/** The form to object to lines of an open bill; `filed()` runs after it is recorded. */
export function disputeForm(inquiry, bill, filed) {
  const taken = new Set((bill.disputes || []).flatMap((d) => (d.items || []).map((i) => i.line_index)));
  const lines = (bill.lines || []).map((line, index) => ({ line, index }))
    .filter(({ line, index }) => line.total_rials > 0 && line.kind !== 'discount' && !taken.has(index));
  if (!lines.length || bill.status !== 'open') return null;
  const boxes = lines.map(({ line, index }) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', name: 'line', value: String(index) }), ' ', itemLabel(line), ` — ${num(line.total_rials)}`));
  const send = h('button', { class: 'button secondary', type: 'submit', 'data-dispute-send': true }, w('send'));
  const form = h('form', { novalidate: true, 'data-dispute-form': true },
    h('fieldset', {}, h('legend', {}, w('title')), h('p', { class: 'muted small' }, w('intro')), ...boxes),
    field('reason', w('reason'), { hint: w('reason_hint'), maxlength: 500 }),
    h('div', { class: 'actions' }, send));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const chosen = [...form.querySelectorAll('input[name="line"]:checked')].map((i) => Number(i.value));
    if (!chosen.length) {
      showProblem(form, { detail: w('choose'), errors: [] });
      return;
    }
    busy(send, async () => {
      try {
        const dispute = await post(`/api/v1/inquiries/${encodeURIComponent(inquiry.inquiry_id)}/bill/disputes`, {
          line_indexes: chosen, reason: form.elements.reason.value.trim(),
        });
        form.replaceWith(h('p', { class: 'notice notice-ok', 'data-dispute-filed': dispute.dispute_id }, w('filed', { amount: num(dispute.disputed_rials) })));
        await filed(dispute);
      } catch (err) {
        if (err && err.problem) showProblem(form, err.problem);
        else throw err;
      }
    });
  });
  // Folded away until asked for: most people pay the bill as it is, and the pay button
  // should not sit below a form they do not need.
  return h('details', { 'data-dispute-details': true }, h('summary', {}, w('title')), form);
}
