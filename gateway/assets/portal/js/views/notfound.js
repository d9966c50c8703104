// Any address the portal does not know.

import { t } from '../i18n.js';
import { h } from '../dom.js';

/** Draws "page not found" in the current language. */
export function render(main) {
  main.append(h('div', { class: 'card narrow' },
    h('h1', {}, t('not_found_title')),
    h('p', {}, t('not_found_text')),
    h('a', { class: 'button', href: '/', 'data-link': true }, t('back_home'))));
}
