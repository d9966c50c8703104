// The staff desk's people page (`/clerk/people`, admins): staff accounts and their roles
// (`GET /api/v1/accounts`, `POST /api/v1/accounts/staff`), an account disabled, enabled or
// given a new one-time password (`POST /api/v1/accounts/{id}/disable|enable|password-reset`),
// and the organisations (`GET|POST /api/v1/desk/organizations`) with their users and API
// clients (`GET /api/v1/accounts?organization_id=…`): an organisation disabled or enabled, a
// user or client added, a client's secret rotated, the client revoked, its keys listed and
// revoked. A generated password or secret is shown once, in a box of its own, and never
// again. Identity decides who may and checks every field; its refusals appear next to the
// field they name.

import { t, lang, digits, latinDigits, dateTime } from '../i18n.js';
import { h, field, showProblem, busy, clearErrors, problemNotice } from '../dom.js';
import { get, post } from '../api.js';
import * as session from '../session.js';
import { navigate } from '../router.js';

const ROLES = ['', 'clerk', 'admin', 'authority', 'citizen', 'service'];
const ORG_TYPES = ['notary_office', 'bank', 'court', 'registry', 'other'];

function text(form, name) {
  return String(form.elements[name]?.value ?? '').trim();
}

/** A form whose button runs `work`; the service's refusals land next to their fields. */
function deskForm(children, label, work, { secondary = false } = {}) {
  const button = h('button', { class: secondary ? 'button secondary' : 'button', type: 'submit' }, label);
  const form = h('form', { novalidate: true }, ...children, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', (event) => {
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
  return form;
}

/** The box that shows a generated password or secret once. */
function shownOnce(kind, value) {
  return h('div', { class: 'notice notice-ok', role: 'status', 'data-shown-once': kind },
    h('p', {}, t(kind === 'secret' ? 'people_secret_once' : 'people_password_once')),
    h('p', {}, h('code', { class: 'ltr', dir: 'ltr', 'data-secret': true }, value)));
}

function roleNames(roles) {
  return (roles || []).map((r) => t(`people_role_${r}`)).join('، ');
}

/** An action that needs a reason: a small form with the reason and one button. */
function reasonAction(label, work) {
  return deskForm([field('reason', t('people_reason'), { required: true })], label, work, { secondary: true });
}

// ---- accounts ----

function accountRow(a, redraw, out) {
  const disabled = a.status === 'disabled';
  const toggle = reasonAction(t(disabled ? 'people_enable' : 'people_disable'), async (f) => {
    await post(`/api/v1/accounts/${encodeURIComponent(a.account_id)}/${disabled ? 'enable' : 'disable'}`, { reason: text(f, 'reason') });
    redraw();
  });
  const person = !a.client_id && !(a.roles || []).includes('citizen') && !(a.roles || []).includes('service');
  const reset = person ? reasonAction(t('people_reset'), async (f) => {
    const r = await post(`/api/v1/accounts/${encodeURIComponent(a.account_id)}/password-reset`, { reason: text(f, 'reason') });
    out.replaceChildren(h('p', {}, t('people_reset_done', { name: r.account.display_name })), shownOnce('password', r.temporary_password));
  }) : null;
  return h('tr', { 'data-account': a.account_id, 'data-status': a.status },
    h('td', {}, a.display_name),
    h('td', { class: 'ltr' }, digits(a.national_code || a.client_id || '')),
    h('td', {}, roleNames(a.roles)),
    h('td', {}, t(`people_status_${a.status}`), a.password_change_required ? h('span', { class: 'muted small' }, ` · ${t('people_must_change')}`) : null),
    h('td', {}, toggle, reset));
}

function accountsTable(accounts, redraw, out) {
  if (!accounts.length) return h('p', { class: 'muted' }, t('people_none'));
  const head = ['people_name', 'people_code', 'people_roles', 'people_status', 'people_actions']
    .map((k) => h('th', { scope: 'col' }, t(k)));
  return h('div', { class: 'table-scroll' }, h('table', {},
    h('thead', {}, h('tr', {}, ...head)),
    h('tbody', {}, accounts.map((a) => accountRow(a, redraw, out)))));
}

function accountsSection() {
  const out = h('div', { 'aria-live': 'polite' });
  const list = h('div', { 'aria-live': 'polite' });
  let query = 'role=clerk';
  const draw = async () => {
    try {
      const page = await get(`/api/v1/accounts?${query}`);
      list.replaceChildren(accountsTable(page.accounts || [], draw, out));
    } catch (err) {
      list.replaceChildren(problemNotice(err.problem));
    }
  };
  const roleSelect = h('select', { name: 'role' }, ROLES.map((r) => h('option', { value: r, selected: r === 'clerk' }, r ? t(`people_role_${r}`) : t('people_all'))));
  const statusSelect = h('select', { name: 'status' }, ['', 'active', 'disabled'].map((s) => h('option', { value: s }, s ? t(`people_status_${s}`) : t('people_all'))));
  const filter = deskForm([
    field('role', t('people_roles'), { input: roleSelect }),
    field('status', t('people_status'), { input: statusSelect }),
    field('query', t('people_query'), { hint: t('people_query_hint') }),
  ], t('people_show'), async (f) => {
    const params = new URLSearchParams();
    for (const name of ['role', 'status', 'query']) {
      const v = latinDigits(text(f, name));
      if (v) params.set(name, v);
    }
    query = params.toString();
    await draw();
  }, { secondary: true });

  const roleBoxes = ['clerk', 'admin'].map((r) => h('label', {}, h('input', { type: 'checkbox', name: `role_${r}`, checked: r === 'clerk' }), ' ', t(`people_role_${r}`)));
  const create = deskForm([
    field('national_code', t('people_national_code'), { digits: true, inputmode: 'numeric', required: true }),
    field('first_name', t('people_first_name'), { required: true }),
    field('last_name', t('people_last_name'), { required: true }),
    field('mobile', t('people_mobile'), { digits: true, inputmode: 'tel', required: true }),
    h('div', { class: 'field', dataset: { field: 'roles' } }, h('span', {}, t('people_roles')), ...roleBoxes,
      h('span', { class: 'field-error', role: 'alert', hidden: true })),
  ], t('people_create_staff'), async (f) => {
    const roles = ['clerk', 'admin'].filter((r) => f.elements[`role_${r}`].checked);
    const r = await post('/api/v1/accounts/staff', {
      national_code: latinDigits(text(f, 'national_code')), first_name: text(f, 'first_name'),
      last_name: text(f, 'last_name'), mobile: latinDigits(text(f, 'mobile')), roles,
    });
    f.reset();
    out.replaceChildren(h('p', {}, t('people_created', { name: r.account.display_name })), shownOnce('password', r.temporary_password));
    await draw();
  });
  draw();
  return h('section', { 'data-section': 'accounts' }, h('h2', {}, t('people_accounts')),
    h('div', { class: 'card narrow' }, filter), list,
    h('h3', {}, t('people_new_staff')), h('div', { class: 'card narrow' }, create), out);
}

// ---- organisations ----

function keysList(client) {
  const box = h('div', { 'data-client-keys': client.account_id });
  const draw = async () => {
    try {
      const r = await get(`/api/v1/clients/${encodeURIComponent(client.account_id)}/keys`);
      const keys = r.keys || [];
      box.replaceChildren(keys.length ? h('ul', { class: 'list' }, keys.map((k) => h('li', { 'data-kid': k.kid },
        h('span', { class: 'ltr' }, `${k.kid} (${k.alg})`), ' ',
        k.revoked
          ? h('span', { class: 'muted small' }, t('people_key_revoked', { when: dateTime(k.revoked.at), why: k.revoke_reason }))
          : reasonAction(t('people_revoke_key'), async (f) => {
            await post(`/api/v1/clients/${encodeURIComponent(client.account_id)}/keys/${encodeURIComponent(k.kid)}/revoke`, { reason: text(f, 'reason') });
            await draw();
          }))))
        : h('p', { class: 'muted small' }, t('people_no_keys')));
    } catch (err) {
      box.replaceChildren(problemNotice(err.problem));
    }
  };
  draw();
  return box;
}

function clientCard(c, redraw) {
  const out = h('div', { 'aria-live': 'polite' });
  const rotate = deskForm([
    field('overlap_seconds', t('people_overlap'), { digits: true, inputmode: 'numeric', value: '0', hint: t('people_overlap_hint') }),
  ], t('people_rotate'), async (f) => {
    const r = await post(`/api/v1/clients/${encodeURIComponent(c.account_id)}/rotate`, { overlap_seconds: Number(latinDigits(text(f, 'overlap_seconds')) || 0) });
    out.replaceChildren(shownOnce('secret', r.client_secret));
  }, { secondary: true });
  const revoke = c.status === 'active' ? reasonAction(t('people_revoke_client'), async (f) => {
    await post(`/api/v1/clients/${encodeURIComponent(c.account_id)}/revoke`, { reason: text(f, 'reason') });
    redraw();
  }) : null;
  return h('li', { class: 'card', 'data-client': c.account_id, 'data-status': c.status },
    h('p', {}, h('strong', { class: 'ltr' }, c.client_id), ' · ', t(`people_status_${c.status}`)),
    h('h4', {}, t('people_keys')), keysList(c),
    c.status === 'active' ? rotate : null, revoke, out);
}

function membersOf(org) {
  const box = h('div', { 'aria-live': 'polite', 'data-members': org.organization_id });
  const out = h('div', { 'aria-live': 'polite' });
  const draw = async () => {
    try {
      const page = await get(`/api/v1/accounts?organization_id=${encodeURIComponent(org.organization_id)}`);
      const all = page.accounts || [];
      const people = all.filter((a) => !a.client_id);
      const clients = all.filter((a) => a.client_id);
      box.replaceChildren(
        h('h4', {}, t('people_org_users')), accountsTable(people, draw, out),
        h('h4', {}, t('people_org_clients')),
        clients.length ? h('ul', { class: 'list' }, clients.map((c) => clientCard(c, draw))) : h('p', { class: 'muted' }, t('people_none')));
    } catch (err) {
      box.replaceChildren(problemNotice(err.problem));
    }
  };
  const addUser = deskForm([
    field('national_code', t('people_national_code'), { digits: true, inputmode: 'numeric', required: true }),
    field('first_name', t('people_first_name'), { required: true }),
    field('last_name', t('people_last_name'), { required: true }),
    field('mobile', t('people_mobile'), { digits: true, inputmode: 'tel', required: true }),
  ], t('people_add_user'), async (f) => {
    const r = await post(`/api/v1/organizations/${encodeURIComponent(org.organization_id)}/users`, {
      national_code: latinDigits(text(f, 'national_code')), first_name: text(f, 'first_name'),
      last_name: text(f, 'last_name'), mobile: latinDigits(text(f, 'mobile')),
    });
    f.reset();
    out.replaceChildren(h('p', {}, t('people_created', { name: r.account.display_name })), shownOnce('password', r.temporary_password));
    await draw();
  }, { secondary: true });
  const addClient = deskForm([
    field('name', t('people_client_name'), { required: true, hint: t('people_client_name_hint') }),
  ], t('people_add_client'), async (f) => {
    const r = await post(`/api/v1/organizations/${encodeURIComponent(org.organization_id)}/clients`, { name: text(f, 'name') });
    f.reset();
    out.replaceChildren(h('p', { class: 'ltr' }, r.client_id), shownOnce('secret', r.client_secret));
    await draw();
  }, { secondary: true });
  draw();
  return h('div', {}, box, out, org.active ? h('div', { class: 'card narrow' }, addUser, addClient) : null);
}

function orgCard(org, redraw) {
  const name = lang() === 'fa' ? org.name.fa : (org.name.en || org.name.fa);
  const toggle = reasonAction(t(org.active ? 'people_disable' : 'people_enable'), async (f) => {
    await post(`/api/v1/organizations/${encodeURIComponent(org.organization_id)}/${org.active ? 'disable' : 'enable'}`, { reason: text(f, 'reason') });
    redraw();
  });
  const details = h('details', {}, h('summary', {}, t('people_org_members')));
  details.addEventListener('toggle', () => {
    if (details.open && details.children.length === 1) details.append(membersOf(org));
  }, { once: false });
  return h('li', { class: 'card', 'data-organization': org.organization_id, 'data-active': String(org.active) },
    h('h3', {}, name),
    h('p', { class: 'muted' }, `${t(`people_org_${org.type}`)} · ${digits(org.registry_number)} · ${org.city} · `,
      org.active ? t('people_org_active') : t('people_org_inactive')),
    toggle, details);
}

function organizationsSection() {
  const list = h('div', { 'aria-live': 'polite' });
  const draw = async () => {
    try {
      const page = await get('/api/v1/desk/organizations');
      const orgs = page.organizations || [];
      list.replaceChildren(orgs.length ? h('ul', { class: 'list' }, orgs.map((o) => orgCard(o, draw))) : h('p', { class: 'muted' }, t('people_none')));
    } catch (err) {
      list.replaceChildren(problemNotice(err.problem));
    }
  };
  const typeSelect = h('select', { name: 'type' }, ORG_TYPES.map((k) => h('option', { value: k }, t(`people_org_${k}`))));
  const create = deskForm([
    field('type', t('people_org_type'), { input: typeSelect }),
    field('name.fa', t('people_org_name_fa'), { required: true }),
    field('name.en', t('people_org_name_en')),
    field('registry_number', t('people_org_number'), { digits: true, required: true }),
    field('city', t('people_org_city'), { required: true }),
    field('address', t('people_org_address')),
    field('phone', t('people_org_phone'), { digits: true, inputmode: 'tel' }),
  ], t('people_create_org'), async (f) => {
    await post('/api/v1/desk/organizations', {
      type: text(f, 'type'), name: { fa: text(f, 'name.fa'), en: text(f, 'name.en') },
      registry_number: latinDigits(text(f, 'registry_number')), city: text(f, 'city'),
      address: text(f, 'address'), phone: latinDigits(text(f, 'phone')),
    });
    f.reset();
    await draw();
  });
  draw();
  return h('section', { 'data-section': 'organizations' }, h('h2', {}, t('people_organizations')), list,
    h('h3', {}, t('people_new_org')), h('div', { class: 'card narrow' }, create));
}

/** Draws the page (after a login). */
export async function render(main) {
  if (!session.current()) {
    navigate('/login?next=/clerk/people', { replace: true });
    return;
  }
  main.append(
    h('h1', {}, t('people_title')),
    h('p', {}, h('a', { href: '/clerk', 'data-link': true }, t('people_back'))),
    h('p', { class: 'muted' }, t('people_intro')),
    accountsSection(),
    organizationsSection(),
  );
}
