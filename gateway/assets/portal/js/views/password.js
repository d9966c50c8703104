// Changing the password (`POST /api/v1/me/password`). An account whose password was set for
// it (a one-time password: `password_change_required`) is brought here straight after
// logging in, and every other call is refused with `PASSWORD_CHANGE_REQUIRED` until it is
// done; the answer's tokens start the new session.

import { t } from '../i18n.js';
import { h, field, showProblem, busy, values, checkRequired } from '../dom.js';
import { post } from '../api.js';
import * as session from '../session.js';
import { navigate } from '../router.js';

/** Where to go afterwards: `?next=` if it is a page of ours, else my inquiries. */
function nextPath(query) {
  const next = query && query.get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/inquiries';
}

/** Draws the change-password form (or sends a visitor to log in first). */
export function render(main, _params, query) {
  if (!session.current()) {
    navigate(`/login?next=${encodeURIComponent('/me/password')}`, { replace: true });
    return;
  }
  const account = session.current().account || {};
  const required = account.password_change_required === true;
  const submit = h('button', { class: 'button', type: 'submit' }, t('password_change'));
  const form = h('form', { novalidate: true },
    field('current_password', t('password_current'), { type: 'password', required: true, autocomplete: 'current-password' }),
    field('new_password', t('password_new'), { type: 'password', required: true, autocomplete: 'new-password', minlength: 8, hint: t('password_hint') }),
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!checkRequired(form)) return;
    busy(submit, async () => {
      try {
        const body = await post('/api/v1/me/password', values(form));
        session.set({ tokens: body.tokens, account: { ...account, password_change_required: false } });
        navigate(nextPath(query));
      } catch (err) {
        showProblem(form, err.problem);
      }
    });
  });
  main.append(h('div', { class: 'card narrow' },
    h('h1', {}, t('password_title')),
    required ? h('p', { class: 'notice', role: 'status', 'data-password-change-required': true }, t('password_change_required')) : null,
    form));
}
