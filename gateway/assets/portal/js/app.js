// The portal's entry point: language, header (municipality name, language switch, login
// state) and the router.

import { t, lang, setLang, initialLang, applyStatic } from './i18n.js';
import * as session from './session.js';
import { h, replace } from './dom.js';
import { start, render, navigate } from './router.js';
import { post } from './api.js';

function meta(name) {
  return document.querySelector(`meta[name="${name}"]`)?.content || '';
}

function drawMunicipality() {
  const name = lang() === 'fa' ? meta('estelam-municipality-fa') : meta('estelam-municipality-en') || meta('estelam-municipality-fa');
  document.querySelectorAll('[data-municipality]').forEach((el) => {
    el.textContent = name;
  });
  document.title = `${name} — ${t('portal_name')}`;
}

function drawSession() {
  const box = document.getElementById('session');
  const s = session.current();
  if (!s) {
    replace(box, h('a', { href: '/login', 'data-link': true }, t('login')));
    return;
  }
  const account = s.account || {};
  const logout = h('button', { type: 'button' }, t('logout'));
  logout.addEventListener('click', async () => {
    const token = session.refreshToken();
    session.set(null);
    if (token) post('/api/v1/auth/logout', { refresh_token: token }, { auth: false }).catch(() => {});
    navigate('/');
  });
  // An unverified mobile: a small link back to the step that asks for the code.
  const unverified = account.mobile_verified === false
    ? h('a', { class: 'mobile-unverified', href: '/me/mobile', 'data-link': true, 'data-mobile-unverified': true, title: t('mobile_unverified_notice') }, t('mobile_unverified'))
    : null;
  replace(box, unverified, h('span', { class: 'who', title: account.display_name || '' }, account.display_name || t('account')), logout);
}

function drawLanguageSwitch() {
  const button = document.getElementById('lang-switch');
  button.textContent = t('lang_switch');
  button.lang = lang() === 'fa' ? 'en' : 'fa';
  button.dir = lang() === 'fa' ? 'ltr' : 'rtl';
}

function drawChrome() {
  applyStatic(document);
  drawMunicipality();
  drawLanguageSwitch();
  drawSession();
}

setLang(initialLang());
drawChrome();
document.getElementById('lang-switch').addEventListener('click', () => {
  setLang(lang() === 'fa' ? 'en' : 'fa');
});
// The header is relabelled in place; the view is drawn again in the new language, keeping
// what the person has typed (router.js), and `<main>` says when it is done (`data-ready`).
window.addEventListener('langchange', () => {
  drawChrome();
  render({ keep: true });
});
session.onChange(drawSession);
start();
