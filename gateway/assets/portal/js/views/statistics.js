// The public page of answer times (`/statistics`, no login): per Jalali month of one year,
// how many inquiries the municipality answered, the median and 95th-percentile time from
// submission to the answer, and the share answered within the ten days the law gives it
// (`GET /api/v1/statistics/answer-times`). Numbers in Persian digits in Persian.

import { t, digits, num, lang } from '../i18n.js';
import { h, busy, problemNotice } from '../dom.js';
import { get } from '../api.js';

const MONTHS_FA = ['فروردین', 'اردیبهشت', 'خرداد', 'تیر', 'مرداد', 'شهریور', 'مهر', 'آبان', 'آذر', 'دی', 'بهمن', 'اسفند'];
const MONTHS_EN = ['Farvardin', 'Ordibehesht', 'Khordad', 'Tir', 'Mordad', 'Shahrivar', 'Mehr', 'Aban', 'Azar', 'Dey', 'Bahman', 'Esfand'];

/** A time to answer in words a person reads at a glance: hours under two days, else days. */
export function span(seconds) {
  const hours = seconds / 3600;
  if (hours < 1) return t('stats_minutes', { n: num(Math.max(1, Math.round(seconds / 60))) });
  if (hours < 48) return t('stats_hours', { n: num(Math.round(hours * 10) / 10) });
  return t('stats_days', { n: num(Math.round((hours / 24) * 10) / 10) });
}

function percent(share) {
  return new Intl.NumberFormat(lang() === 'fa' ? 'fa-IR' : 'en-US', { style: 'percent', maximumFractionDigits: 1 }).format(share);
}

function table(figures) {
  const months = lang() === 'fa' ? MONTHS_FA : MONTHS_EN;
  return h('div', { class: 'table-wrap' }, h('table', { class: 'table', 'data-answer-times': true },
    h('caption', {}, t('stats_caption', { year: digits(String(figures.jalali_year)), days: figures.legal_limit_days })),
    h('thead', {}, h('tr', {}, ['stats_month', 'stats_answered', 'stats_median', 'stats_p95', 'stats_within']
      .map((k) => h('th', { scope: 'col' }, t(k))))),
    h('tbody', {}, figures.months.map((m) => h('tr', { dataset: { month: `${m.jalali_year}/${m.jalali_month}` } },
      h('th', { scope: 'row' }, `${months[m.jalali_month - 1] || m.jalali_month} ${digits(String(m.jalali_year))}`),
      h('td', { 'data-answered': m.answered }, num(m.answered)),
      h('td', { 'data-median': m.median_seconds }, span(m.median_seconds)),
      h('td', { 'data-p95': m.p95_seconds }, span(m.p95_seconds)),
      h('td', { 'data-within': m.answered_within_limit }, `${percent(m.share_within_limit)} (${num(m.answered_within_limit)})`))))));
}

/** Draws the page. */
export async function render(main) {
  const shown = h('div', { 'aria-live': 'polite' });
  const draw = async (year) => {
    try {
      const figures = await get(`/api/v1/statistics/answer-times${year ? `?jalali_year=${encodeURIComponent(year)}` : ''}`, { auth: false });
      shown.replaceChildren(figures.months.length ? table(figures)
        : h('p', { class: 'muted' }, t('stats_none', { year: digits(String(figures.jalali_year)) })));
      return figures;
    } catch (err) {
      shown.replaceChildren(problemNotice(err.problem));
      return null;
    }
  };
  const figures = await draw('');
  const input = h('input', { id: 'stats-year', name: 'jalali_year', class: 'digits', dir: 'ltr', inputmode: 'numeric',
    value: figures ? digits(String(figures.jalali_year)) : '' });
  const show = h('button', { class: 'button secondary', type: 'submit' }, t('stats_show'));
  const form = h('form', { novalidate: true, class: 'inline-form' },
    h('label', { for: 'stats-year' }, t('stats_year')), input, show);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    busy(show, () => draw(input.value.trim()));
  });
  main.append(h('h1', {}, t('stats_title')),
    h('p', {}, t('stats_intro')),
    h('p', { class: 'muted small' }, t('stats_method')),
    form, shown);
}
