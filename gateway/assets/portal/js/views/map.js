// The property map: parcels from `GET /api/v1/collections/parcels/items` drawn with Leaflet;
// tapping one shows its renovation code and address.

import { t, digits } from '../i18n.js';
import { h, problemNotice } from '../dom.js';
import { parcelMap, mapSettings } from '../leaflet.js';

/** Draws the map page; returns the cleanup that removes the map. */
export async function render(main) {
  const status = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const picked = h('div', { 'aria-live': 'polite' });
  const container = h('div', { class: 'map', dir: 'ltr', id: 'parcel-map' });
  main.append(
    h('h1', {}, t('map_title')),
    h('p', {}, t('map_intro')),
    mapSettings().tileUrl ? null : h('p', { class: 'notice small' }, t('map_no_tiles')),
    container, status, picked);
  const { destroy } = await parcelMap(container, {
    onStatus: ({ count, tooFar, failed, problem }) => {
      // What the last load of parcels came to, for a script (or a test) to wait on.
      status.dataset.mapStatus = failed ? 'failed' : tooFar ? 'too-far' : 'loaded';
      if (failed) status.replaceChildren(problem ? problemNotice(problem) : t('map_unavailable'));
      else status.textContent = tooFar ? t('map_zoom_in') : t('map_parcels', { count });
    },
    onParcel: (feature) => {
      const p = feature.properties || {};
      picked.replaceChildren(h('div', { class: 'card' },
        h('dl', { class: 'facts' },
          h('dt', {}, t('renovation_code')), h('dd', { class: 'ltr' }, digits(p.renovation_code || feature.id || '')),
          h('dt', {}, t('address')), h('dd', {}, digits(p.address || ''))),
        h('div', { class: 'actions' }, h('a', { class: 'button', href: '/inquiries/new', 'data-link': true }, t('new_inquiry')))));
    },
  });
  return destroy;
}
