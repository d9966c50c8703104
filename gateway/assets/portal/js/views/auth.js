// Step 2 of the nine: log in (national code or membership code) or register; after
// registration the membership code is shown, large and grouped for reading, with a copy
// button, and logging in from there — on the membership-code tab, the code filled in — goes
// on to confirm the mobile number with the code sent to it (views/mobile.js). Where the
// person was going (`?next=`, e.g. a request type chosen on the home page) is carried through
// registration, login and the mobile step.

import { t, latinDigits, digits } from '../i18n.js';
import { h, field, showProblem, busy, values, checkRequired } from '../dom.js';
import { post } from '../api.js';
import * as session from '../session.js';
import { navigate } from '../router.js';

/** Where to go after logging in: `?next=` if it is a page of ours, else my inquiries. */
function nextPath(query) {
  const next = query && query.get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/inquiries';
}

/** Where a just-registered person's membership code waits for the login form (this tab only). */
const REGISTERED_KEY = 'estelam.registered';

function registeredCode() {
  try {
    return sessionStorage.getItem(REGISTERED_KEY) || '';
  } catch {
    return '';
  }
}

/** `?next=…` for a link that should come back to the same place, or nothing. */
function carryNext(query) {
  const next = query && query.get('next');
  return next ? `?next=${encodeURIComponent(nextPath(query))}` : '';
}

/** A membership code in groups of three (the last group takes the rest), for reading aloud. */
export function grouped(code) {
  const groups = [];
  let rest = String(code);
  while (rest.length > 4) {
    groups.push(rest.slice(0, 3));
    rest = rest.slice(3);
  }
  groups.push(rest);
  return groups.join(' ');
}

/** Draws the login form. */
export function renderLogin(main, _params, query) {
  const justRegistered = registeredCode();
  let by = justRegistered ? 'membership_code' : 'national_code';
  const identifier = h('div');
  const drawIdentifier = () => {
    identifier.replaceChildren(by === 'national_code'
      ? field('national_code', t('national_code'), { digits: true, inputmode: 'numeric', required: true, autocomplete: 'username', hint: t('national_code_hint') })
      : field('membership_code', t('membership_code'), { digits: true, inputmode: 'numeric', required: true, autocomplete: 'username', value: justRegistered || undefined }));
  };
  const tab = (key, label) => {
    const b = h('button', { type: 'button', role: 'tab', 'aria-selected': String(by === key) }, label);
    b.addEventListener('click', () => {
      by = key;
      tabs.querySelectorAll('button').forEach((x) => x.setAttribute('aria-selected', String(x === b)));
      drawIdentifier();
    });
    return b;
  };
  const tabs = h('div', { class: 'tabs', role: 'tablist' }, tab('national_code', t('login_with_national')), tab('membership_code', t('login_with_membership')));
  drawIdentifier();
  const submit = h('button', { class: 'button', type: 'submit' }, t('login'));
  const form = h('form', { novalidate: true },
    tabs, identifier,
    field('password', t('password'), { type: 'password', required: true, autocomplete: 'current-password' }),
    h('div', { class: 'actions' }, submit,
      h('span', { class: 'muted' }, t('no_account'), ' ', h('a', { href: `/register${carryNext(query)}`, 'data-link': true }, t('register')))));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!checkRequired(form)) return;
    busy(submit, async () => {
      try {
        const body = await post('/api/v1/auth/login', values(form, latinDigits), { auth: false });
        session.set({ tokens: body.tokens, account: body.account });
        try {
          sessionStorage.removeItem(REGISTERED_KEY);
        } catch {
          // Nothing kept.
        }
        // A password set for the account (one-time) must be changed before anything else.
        if (body.account && body.account.password_change_required) {
          navigate(`/me/password?next=${encodeURIComponent(nextPath(query))}`);
        } else {
          navigate(nextPath(query));
        }
      } catch (err) {
        showProblem(form, err.problem);
      }
    });
  });
  main.append(h('div', { class: 'card narrow' }, h('h1', {}, t('login_title')), form));
}

/** The card that shows a new membership code, large and grouped, to write down or copy. */
function registered(card, membershipCode, query) {
  const copy = h('button', { class: 'button secondary', type: 'button', 'data-copy': true }, t('membership_copy'));
  const status = h('span', { class: 'small muted', role: 'status' });
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(membershipCode);
      status.textContent = t('membership_copied');
    } catch {
      // No clipboard (an old browser, or permission refused): select the code instead, so
      // the person can copy it themselves.
      const range = document.createRange();
      range.selectNodeContents(card.querySelector('[data-membership-code]'));
      window.getSelection()?.removeAllRanges();
      window.getSelection()?.addRange(range);
    }
  });
  // After logging in, the next step asks for the code sent to the mobile (views/mobile.js),
  // and then goes where the person was going.
  const after = `/me/mobile${carryNext(query)}`;
  card.replaceChildren(
    h('h1', {}, t('registered_title')),
    h('p', {}, t('registered_text')),
    h('div', { class: 'field' },
      h('span', { class: 'label', id: 'membership-code-label' }, t('membership_code')),
      h('div', { class: 'code-row' },
        h('output', { class: 'code-box', dir: 'ltr', 'aria-labelledby': 'membership-code-label', 'data-membership-code': membershipCode }, digits(grouped(membershipCode))),
        copy),
      status),
    h('div', { class: 'actions' }, h('a', { class: 'button', href: `/login?next=${encodeURIComponent(after)}`, 'data-link': true }, t('continue_to_login'))));
}

/**
 * Draws the registration form, then the new membership code. The code is also kept in this
 * history entry's state, so drawing the page again (a language switch, back and forward)
 * shows it again instead of an empty form.
 */
export function renderRegister(main, _params, query) {
  const shown = window.history.state && window.history.state.membershipCode;
  if (shown) {
    const card = h('div', { class: 'card narrow' });
    registered(card, shown, query);
    main.append(card);
    return;
  }
  const submit = h('button', { class: 'button', type: 'submit' }, t('register'));
  const form = h('form', { novalidate: true },
    field('national_code', t('national_code'), { digits: true, inputmode: 'numeric', required: true, hint: t('national_code_hint') }),
    h('div', { class: 'grid two' },
      field('first_name', t('first_name'), { required: true, autocomplete: 'given-name' }),
      field('last_name', t('last_name'), { required: true, autocomplete: 'family-name' })),
    field('mobile', t('mobile'), { type: 'tel', digits: true, inputmode: 'tel', required: true, autocomplete: 'tel', hint: t('mobile_hint') }),
    field('password', t('password'), { type: 'password', required: true, autocomplete: 'new-password', minlength: 8, hint: t('password_hint') }),
    h('div', { class: 'actions' }, submit,
      h('span', { class: 'muted' }, t('have_account'), ' ', h('a', { href: `/login${carryNext(query)}`, 'data-link': true }, t('login')))));
  const card = h('div', { class: 'card narrow' }, h('h1', {}, t('register_title')), form);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!checkRequired(form)) return;
    busy(submit, async () => {
      try {
        const body = await post('/api/v1/auth/register', values(form, latinDigits), { auth: false });
        window.history.replaceState({ membershipCode: body.membership_code }, '');
        try {
          sessionStorage.setItem(REGISTERED_KEY, body.membership_code);
        } catch {
          // The login form then opens empty.
        }
        registered(card, body.membership_code, query);
      } catch (err) {
        showProblem(form, err.problem);
      }
    });
  });
  main.append(card);
}
