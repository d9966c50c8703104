// Step 1 of the nine: the municipality's e-services.

import { t, localized, digits } from '../i18n.js';
import { h } from '../dom.js';
import { get } from '../api.js';

function card(href, icon, title, text) {
  return h('a', { class: 'card service-card', href, 'data-link': true },
    h('span', { class: 'icon', 'aria-hidden': 'true' }, icon),
    h('h2', {}, title),
    h('p', {}, text));
}

/** Draws the home page. */
export async function render(main) {
  const types = h('div', { class: 'card' }, h('h2', {}, t('request_types_title')), h('p', { class: 'muted' }, t('loading')));
  main.append(
    h('section', { class: 'hero' }, h('h1', {}, t('home_title')), h('p', {}, t('home_intro'))),
    h('div', { class: 'grid two' },
      card('/inquiries/new', digits('1'), t('svc_inquiry_title'), t('svc_inquiry_text')),
      card('/inquiries', digits('2'), t('svc_my_title'), t('svc_my_text')),
      card('/map', digits('3'), t('svc_map_title'), t('svc_map_text')),
      card('/verify', digits('4'), t('svc_verify_title'), t('svc_verify_text'))),
    types,
  );
  try {
    const body = await get('/api/v1/request-types', { auth: false });
    const list = (body && body.request_types) || [];
    types.replaceChildren(h('h2', {}, t('request_types_title')));
    if (!list.length) types.append(h('p', { class: 'muted' }, t('request_types_none')));
    const ul = h('ul', { class: 'list' });
    for (const type of list.filter((x) => x.active !== false)) {
      ul.append(h('li', {},
        h('span', {}, h('strong', {}, localized(type.name)), h('br'), h('span', { class: 'muted small' }, localized(type.description))),
        h('a', { class: 'button secondary', href: `/inquiries/new?type=${encodeURIComponent(type.code)}`, 'data-link': true }, t('start'))));
    }
    types.append(ul);
  } catch {
    types.replaceChildren(h('h2', {}, t('request_types_title')), h('p', { class: 'muted' }, t('request_types_none')));
  }
}
