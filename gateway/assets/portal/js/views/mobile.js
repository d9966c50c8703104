// The step after registration: the six-digit code sent by SMS confirms the mobile number
// (`POST /api/v1/me/mobile/verify`). "Send the code again" asks for a new one
// (`POST /api/v1/me/mobile/code`) and waits out the server's resend interval with a visible
// countdown; "later" goes on without it (the header keeps a link back here).

import { t, latinDigits, num } from '../i18n.js';
import { h, field, showProblem, problemNotice, busy, checkRequired, clearErrors } from '../dom.js';
import { get, post } from '../api.js';
import * as session from '../session.js';
import { navigate } from '../router.js';

/** The length of the codes identity sends (services/identity `new_mobile_code`). */
const CODE_LENGTH = 6;

/**
 * When "send the code again" may be pressed (ms since the epoch), kept across redraws of this
 * page (a language switch) so the countdown goes on where it was.
 */
let resendAt = 0;

/** Where to go afterwards: `?next=` if it is a page of ours, else my inquiries. */
function nextPath(query) {
  const next = query && query.get('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/inquiries';
}

/** Seconds from now until `instant` (RFC 3339), never negative, at most ten minutes. */
function secondsUntil(instant) {
  const at = Date.parse(instant || '');
  if (Number.isNaN(at)) return 0;
  return Math.min(600, Math.max(0, Math.ceil((at - Date.now()) / 1000)));
}

function verifiedCard(card, next) {
  card.replaceChildren(
    h('h1', {}, t('mobile_verified_title')),
    h('p', { class: 'notice notice-ok', role: 'status', 'data-mobile-verified': true }, t('mobile_verified_text')),
    h('div', { class: 'actions' }, h('a', { class: 'button', href: next, 'data-link': true }, t('mobile_continue'))));
}

/** Draws the code form (or sends a visitor to log in first). */
export async function render(main, _params, query) {
  const next = nextPath(query);
  if (!session.current()) {
    navigate(`/login?next=${encodeURIComponent(`/me/mobile${window.location.search}`)}`, { replace: true });
    return undefined;
  }
  const card = h('div', { class: 'card narrow' });
  main.append(card);
  let account = session.current().account || {};
  try {
    const me = await get('/api/v1/me');
    if (me && me.account) {
      account = me.account;
      if (session.current()) session.set({ ...session.current(), account });
    }
  } catch (err) {
    card.append(problemNotice(err.problem));
    return undefined;
  }
  if (account.mobile_verified) {
    verifiedCard(card, next);
    return undefined;
  }

  const code = field('code', t('mobile_code'), {
    digits: true, inputmode: 'numeric', required: true, autocomplete: 'one-time-code',
    maxlength: CODE_LENGTH, hint: t('mobile_code_hint', { n: CODE_LENGTH }),
  });
  const verify = h('button', { class: 'button', type: 'submit' }, t('mobile_verify'));
  const resend = h('button', { class: 'button secondary', type: 'button', 'data-resend': true }, t('mobile_resend'));
  const wait = h('span', { class: 'muted small', 'data-resend-wait': true, hidden: true });
  const later = h('a', { href: next, 'data-link': true, 'data-later': true }, t('mobile_later'));
  const form = h('form', { novalidate: true },
    code,
    h('div', { class: 'actions' }, verify, resend, later),
    h('p', {}, wait));
  card.append(
    h('h1', {}, t('mobile_title')),
    h('p', {}, t('mobile_text', { n: CODE_LENGTH, mobile: account.mobile || '' })),
    form);

  let timer = null;
  let sending = false;
  const tick = () => {
    const left = Math.max(0, Math.ceil((resendAt - Date.now()) / 1000));
    if (left > 0) {
      resend.disabled = true;
      resend.textContent = `${t('mobile_resend')} (${num(left)})`;
      wait.hidden = false;
      wait.textContent = t('mobile_resend_wait', { n: left });
    } else {
      if (!sending) resend.disabled = false;
      resend.textContent = t('mobile_resend');
      wait.hidden = true;
      wait.textContent = '';
      clearInterval(timer);
      timer = null;
    }
  };
  const countdown = (seconds) => {
    resendAt = Date.now() + seconds * 1000;
    clearInterval(timer);
    timer = setInterval(tick, 250);
    tick();
  };
  if (resendAt > Date.now()) countdown((resendAt - Date.now()) / 1000);

  resend.addEventListener('click', async () => {
    if (resend.disabled) return;
    clearErrors(form);
    form.querySelectorAll('[data-code-sent]').forEach((n) => n.remove());
    sending = true;
    resend.disabled = true;
    try {
      const sent = await post('/api/v1/me/mobile/code', {});
      form.prepend(h('div', { class: 'notice notice-ok', role: 'status', 'data-code-sent': true }, t('mobile_code_sent')));
      countdown(secondsUntil(sent && sent.resend_after));
    } catch (err) {
      showProblem(form, err.problem);
      if (err.status === 429) countdown(Number(err.retryAfter) > 0 ? Number(err.retryAfter) : 60);
    } finally {
      sending = false;
      tick();
    }
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    form.querySelectorAll('[data-code-sent]').forEach((n) => n.remove());
    if (!checkRequired(form)) return;
    busy(verify, async () => {
      try {
        const input = form.querySelector('input[name="code"]');
        const verified = await post('/api/v1/me/mobile/verify', { code: latinDigits(input.value.trim()) });
        if (session.current()) session.set({ ...session.current(), account: verified });
        clearInterval(timer);
        timer = null;
        resendAt = 0;
        verifiedCard(card, next);
        card.querySelector('a.button')?.focus();
      } catch (err) {
        showProblem(form, err.problem);
      }
    });
  });

  return () => clearInterval(timer);
}
