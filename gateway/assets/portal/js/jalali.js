// A Jalali (Solar Hijri) date picker: day, month and year selects that write `YYYY/MM/DD`
// with Latin digits into a hidden input, the form the API takes. Today's Jalali date comes
// from Intl's Persian calendar. Esfand 30 is offered every year; the server refuses it in
// a common year and the form shows that next to the field.

import { lang, digits } from './i18n.js';
import { h } from './dom.js';

const MONTHS = {
  fa: ['فروردین', 'اردیبهشت', 'خرداد', 'تیر', 'مرداد', 'شهریور', 'مهر', 'آبان', 'آذر', 'دی', 'بهمن', 'اسفند'],
  en: ['Farvardin', 'Ordibehesht', 'Khordad', 'Tir', 'Mordad', 'Shahrivar', 'Mehr', 'Aban', 'Azar', 'Dey', 'Bahman', 'Esfand'],
};

/** Today in the Jalali calendar, Iran time: `{year, month, day}`. */
export function todayJalali() {
  const parts = new Intl.DateTimeFormat('fa-IR-u-ca-persian-nu-latn', {
    timeZone: 'Asia/Tehran', year: 'numeric', month: 'numeric', day: 'numeric',
  }).formatToParts(new Date());
  const get = (type) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

function daysIn(month) {
  if (month <= 6) return 31;
  return 30;
}

const pad = (n) => String(n).padStart(2, '0');

/** The picker; its hidden input is named `name`. `yearsBack` years before this one are offered. */
export function jalaliPicker(name, { yearsBack = 5 } = {}) {
  const today = todayJalali();
  const hidden = h('input', { type: 'hidden', name });
  const select = (label, options, selected) => {
    const s = h('select', { 'aria-label': label });
    for (const [value, text] of options) s.append(h('option', { value, selected: value === selected }, text));
    return s;
  };
  const years = [];
  for (let y = today.year; y >= today.year - yearsBack; y -= 1) years.push([y, digits(String(y))]);
  const year = select(lang() === 'fa' ? 'سال' : 'Year', years, today.year);
  const month = select(lang() === 'fa' ? 'ماه' : 'Month', MONTHS[lang()].map((m, i) => [i + 1, m]), today.month);
  const day = h('select', { 'aria-label': lang() === 'fa' ? 'روز' : 'Day' });
  const fillDays = () => {
    const keep = Number(day.value) || today.day;
    day.replaceChildren();
    for (let d = 1; d <= daysIn(Number(month.value)); d += 1) {
      day.append(h('option', { value: d, selected: d === Math.min(keep, daysIn(Number(month.value))) }, digits(String(d))));
    }
  };
  const sync = () => {
    hidden.value = `${year.value}/${pad(month.value)}/${pad(day.value)}`;
  };
  fillDays();
  sync();
  month.addEventListener('change', () => { fillDays(); sync(); });
  day.addEventListener('change', sync);
  year.addEventListener('change', sync);
  // The label's `for` points at the first select, so the date is announced as one field.
  return h('div', { class: 'jalali', id: `${name}-picker` }, day, month, year, hidden);
}
