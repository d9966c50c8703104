// Client-side routing: each page address maps to a view module. The server answers every
// one of these addresses with the same shell (gateway/src/portal.rs `PAGES`; keep the two
// lists in step), so deep links and reloads work.

import { applyStatic } from './i18n.js';
import { redrawing } from './dom.js';
import { snapshot, restore } from './carry.js';

const ROUTES = [
  ['/', () => import('./views/home.js')],
  ['/login', () => import('./views/auth.js').then((m) => ({ render: m.renderLogin }))],
  ['/register', () => import('./views/auth.js').then((m) => ({ render: m.renderRegister }))],
  ['/services', () => import('./views/home.js')],
  ['/inquiries', () => import('./views/inquiries.js')],
  ['/inquiries/new', () => import('./views/wizard.js').then((m) => ({ render: m.renderNew }))],
  ['/inquiries/:id', () => import('./views/wizard.js')],
  ['/map', () => import('./views/map.js')],
  ['/verify', () => import('./views/verify.js')],
  ['/verify/:code', () => import('./views/verify.js')],
  ['/clerk', () => import('./views/clerk.js')],
  ['/clerk/fees', () => import('./views/desk-fees.js')],
  ['/clerk/services', () => import('./views/desk-services.js')],
  ['/clerk/reviews', () => import('./views/desk-reviews.js')],
  ['/clerk/disputes', () => import('./views/desk-disputes.js')],
  ['/clerk/people', () => import('./views/desk-people.js')],
  ['/statistics', () => import('./views/statistics.js')],
  ['/me/mobile', () => import('./views/mobile.js')],
  ['/me/password', () => import('./views/password.js')],
];

function match(path) {
  const clean = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const parts = clean.split('/');
  for (const [pattern, load] of ROUTES) {
    const want = pattern.split('/');
    if (want.length !== parts.length) continue;
    const params = {};
    const ok = want.every((seg, i) => {
      if (seg.startsWith(':')) {
        if (!parts[i]) return false;
        params[seg.slice(1)] = decodeURIComponent(parts[i]);
        return true;
      }
      return seg === parts[i];
    });
    if (ok) return { load, params };
  }
  return null;
}

let cleanup = null;
/** Counts renders, so that one overtaken by a newer render leaves `<main>` to it. */
let generation = 0;
/** What a person had typed when a language switch began redrawing, until it is put back. */
let carried = null;

/**
 * Draws the view for the current address into `<main>`, marked busy until the view is
 * drawn (see `redrawing`). With `keep`, the page is the same one drawn again (a language
 * switch), and what the person typed is carried into the new drawing: the snapshot is taken
 * just before `<main>` is emptied, after the view's module has loaded, so typing that lands
 * while it loads is kept too.
 */
export function render({ keep = false } = {}) {
  const mine = ++generation;
  return redrawing(async () => {
    const main = document.getElementById('main');
    const url = new URL(window.location.href);
    const found = match(url.pathname);
    const module = found ? await found.load() : await import('./views/notfound.js');
    if (mine !== generation) return;
    if (typeof cleanup === 'function') cleanup();
    cleanup = null;
    // A language switch overtaken by another one keeps the first snapshot: `<main>` then
    // holds a drawing that has not been given the typed values yet.
    carried = keep ? (carried ?? snapshot(main)) : null;
    main.replaceChildren();
    const done = await module.render(main, found ? found.params : {}, url.searchParams);
    if (mine !== generation) {
      if (typeof done === 'function') done();
      return;
    }
    cleanup = done;
    restore(main, carried);
    carried = null;
    document.querySelectorAll('.site-nav a').forEach((a) => {
      const here = a.getAttribute('href') === url.pathname || (a.getAttribute('href') !== '/' && url.pathname.startsWith(a.getAttribute('href')));
      if (here) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    applyStatic(main);
  });
}

/** Goes to `path` without reloading the page. */
export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render().then(() => {
    window.scrollTo(0, 0);
    document.getElementById('main')?.focus({ preventScroll: true });
  });
}

/** Starts routing: same-origin links to pages no longer reload, back/forward work. */
export function start() {
  document.addEventListener('click', (event) => {
    const a = event.target.closest('a');
    if (!a || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    // `data-reload`: a page the server serves itself (the offline verification page).
    if (a.target || a.hasAttribute('download') || a.hasAttribute('data-reload')) return;
    const url = new URL(a.href, window.location.href);
    if (url.origin !== window.location.origin || !match(url.pathname)) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
  window.addEventListener('popstate', () => render());
  return render();
}
