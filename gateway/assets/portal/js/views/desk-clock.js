// The statutory clock on the clerk desk (`GET /api/v1/desk/deadlines`): the submitted
// inquiries not yet answered whose ten days are nearly or already over, the earliest deadline
// first, each with how long is left or how long it is late. The inquiry service decides who
// may see it (clerks and admins).

import { t, digits, dateTime, inquiryNumber } from '../i18n.js';
import { h, problemNotice } from '../dom.js';
import { get } from '../api.js';
import { span } from './statistics.js';

/** The deadline section; `open` shows an inquiry on the desk. */
export async function deadlinesSection(open) {
  const box = h('div', {}, h('p', { class: 'muted' }, t('loading')));
  try {
    const list = ((await get('/api/v1/desk/deadlines')) || {}).inquiries || [];
    const now = Date.now();
    box.replaceChildren(list.length ? h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-deadlines': true },
      h('thead', {}, h('tr', {}, ['inquiry_number', 'renovation_code', 'clock_due', 'clock_left', ''].map((k) => h('th', { scope: 'col' }, k ? t(k) : '')))),
      h('tbody', {}, list.map((q) => {
        const due = Date.parse(q.answer_due_at);
        const late = q.deadline_standing === 'overdue';
        const left = Math.abs(due - now) / 1000;
        const button = h('button', { class: 'button secondary', type: 'button' }, t('open'));
        button.addEventListener('click', () => open(q.inquiry_id));
        return h('tr', { class: late ? 'overdue' : 'near', dataset: { inquiry: q.inquiry_id, standing: q.deadline_standing } },
          h('td', { class: 'ltr' }, inquiryNumber(q.inquiry_number)),
          h('td', { class: 'ltr' }, digits((q.property && q.property.renovation_code) || '—')),
          h('td', {}, dateTime(q.answer_due_at)),
          h('td', {}, late ? t('clock_late_by', { span: span(left) }) : t('clock_left_in', { span: span(left) })),
          h('td', {}, button));
      }))))
      : h('p', { class: 'muted' }, t('clock_none')));
  } catch (err) {
    box.replaceChildren(problemNotice(err.problem));
  }
  return h('div', { 'data-desk-deadlines': true }, h('h3', {}, t('clock_title')), h('p', { class: 'muted small' }, t('clock_rule')), box);
}
