// The property map: parcels from `GET /api/v1/collections/parcels/items` drawn with Leaflet,
// labelled with the city's street names and block numbers; a search box, "my location" and
// (logged in) "your properties" fly to a parcel; tapping one shows its renovation code and
// address, tapping a street says to tap inside the parcel.

import { t, digits } from '../i18n.js';
import { h, problemNotice } from '../dom.js';
import { parcelMap, mapSettings } from '../leaflet.js';
import { parcelFinder, ownParcels } from '../finder.js';

/** Draws the map page; returns the cleanup that removes the map. */
export async function render(main) {
  const status = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const picked = h('div', { 'aria-live': 'polite' });
  const container = h('div', { class: 'map', dir: 'ltr', id: 'parcel-map' });
  let handle = null;
  const own = await ownParcels();
  main.append(
    h('h1', {}, t('map_title')),
    h('p', {}, t('map_intro')),
    parcelFinder(() => handle, own),
    mapSettings().tileUrl ? null : h('p', { class: 'notice small' }, t('map_no_tiles')),
    container, status, picked);
  handle = await parcelMap(container, {
    own: new Set(own.map((p) => p.renovation_code)),
    onStatus: ({ count, tooFar, failed, problem }) => {
      // What the last load of parcels came to, for a script (or a test) to wait on.
      status.dataset.mapStatus = failed ? 'failed' : tooFar ? 'too-far' : 'loaded';
      if (failed) status.replaceChildren(problem ? problemNotice(problem) : t('map_unavailable'));
      else status.textContent = tooFar ? t('map_zoom_in') : t('map_parcels', { count });
    },
    onMiss: () => {
      picked.replaceChildren(h('p', { class: 'notice', 'data-missed': true }, t('map_tap_inside')));
    },
    onParcel: (feature) => {
      const p = feature.properties || {};
      const code = p.renovation_code || feature.id || '';
      picked.replaceChildren(h('div', { class: 'card', 'data-picked': code },
        h('dl', { class: 'facts' },
          h('dt', {}, t('renovation_code')), h('dd', { class: 'ltr' }, digits(code)),
          h('dt', {}, t('address')), h('dd', {}, digits(p.address || ''))),
        h('div', { class: 'actions' }, h('a', { class: 'button', href: '/inquiries/new', 'data-link': true }, t('new_inquiry')))));
    },
  });
  return handle.destroy;
}
