// The audit trail on the clerk desk (`GET /api/v1/audit`): one service's append-only audit at
// a time — who downloaded whose document, every state change of every inquiry and every check
// of a verification code, request numbers, tariffs and payment callbacks, logins — narrowed
// by who, what, which parcel or inquiry and when, newest first, a page at a time. The
// services decide who may read (clerks and admins; logins, admins).

import { t, digits, latinDigits, dateTime } from '../i18n.js';
import { h, field, showProblem, busy, clearErrors } from '../dom.js';
import { get } from '../api.js';

const SOURCES = ['inquiry', 'documents', 'property', 'fees', 'identity'];

function sourceField() {
  const select = h('select', { name: 'source' }, SOURCES.map((s) => h('option', { value: s }, t(`audit_source_${s}`))));
  return field('source', t('audit_source'), { input: select });
}

/** A Gregorian day typed as `YYYY-MM-DD` becomes the start of that day in UTC. */
function dayStart(value) {
  const v = latinDigits(value.trim());
  if (!v) return '';
  return /^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v;
}

function row(r) {
  return h('tr', { 'data-audit-record': r.record_id },
    h('td', {}, dateTime(r.at)),
    h('td', { class: 'ltr small' }, r.actor_display_name ? `${r.actor_display_name} · ` : '', r.actor_account_id || t('audit_system')),
    h('td', { class: 'ltr' }, r.action),
    h('td', { class: 'ltr' }, digits(r.subject || '')),
    h('td', { class: 'ltr' }, digits(r.renovation_code || '')),
    h('td', { class: 'ltr small' }, r.outcome || ''));
}

/** The audit section of the desk. */
export function auditSection() {
  const results = h('div', { 'aria-live': 'polite' });
  let query = '';
  const table = h('tbody');
  const more = h('button', { class: 'button secondary', type: 'button', hidden: true }, t('audit_more'));
  let next = '';
  const load = async (append) => {
    const page = await get(`/api/v1/audit?${query}${append && next ? `&page_token=${encodeURIComponent(next)}` : ''}`);
    if (!append) table.replaceChildren();
    table.append(...(page.records || []).map(row));
    next = page.next_page_token || '';
    more.hidden = !next;
    if (!table.children.length) results.replaceChildren(h('p', { class: 'muted' }, t('audit_none')));
    else results.replaceChildren(h('div', { class: 'table-wrap' }, h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['audit_at', 'audit_actor_col', 'audit_action', 'audit_subject_col', 'renovation_code', 'audit_outcome']
        .map((k) => h('th', { scope: 'col' }, t(k))))), table)), more);
  };
  more.addEventListener('click', () => busy(more, () => load(true)));
  const submit = h('button', { class: 'button', type: 'submit' }, t('audit_show'));
  const form = h('form', { novalidate: true, 'data-audit-form': true },
    sourceField(),
    field('actor', t('audit_actor'), { hint: t('audit_actor_hint') }),
    field('action', t('audit_action'), { hint: t('audit_action_hint') }),
    field('subject', t('audit_subject'), { digits: true, hint: t('audit_subject_hint') }),
    field('since', t('audit_since'), { digits: true, hint: t('audit_day_hint') }),
    field('until', t('audit_until'), { digits: true, hint: t('audit_day_hint') }),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const e = form.elements;
    const params = new URLSearchParams({ source: e.source.value });
    for (const name of ['actor', 'action', 'subject']) {
      const v = latinDigits(e[name].value.trim());
      if (v) params.set(name, v);
    }
    for (const name of ['since', 'until']) {
      const v = dayStart(e[name].value);
      if (v) params.set(name, v);
    }
    query = params.toString();
    busy(submit, async () => {
      try {
        await load(false);
      } catch (err) {
        if (err && err.problem) showProblem(form, err.problem);
        else throw err;
      }
    });
  });
  return h('section', { 'data-desk-audit': true }, h('h2', {}, t('audit_title')),
    h('p', { class: 'muted' }, t('audit_intro')), h('div', { class: 'card narrow' }, form), results);
}
