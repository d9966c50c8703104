// The ways to find a parcel besides panning the map, shared by the map page and the
// wizard's property step: a search box (street and plate number, renovation code or
// registry plate; `GET /api/v1/parcels/search`), "my location" (the browser's geolocation,
// only when the person allows it) and, for someone logged in, "your properties" (the
// parcels the property service records in their name; `GET /api/v1/me/parcels`), listed
// first. Each result is a button that flies the map there and selects the parcel.

import { t, digits } from './i18n.js';
import { h, problemNotice, busy } from './dom.js';
import { get } from './api.js';
import * as session from './session.js';

/** The caller's own parcels (none for a visitor). */
export async function ownParcels() {
  if (!session.current()) return [];
  try {
    const body = await get('/api/v1/me/parcels');
    return (body && body.parcels) || [];
  } catch {
    return [];
  }
}

/** A list of parcels, each a button that calls `choose(parcel)`. */
function parcelList(parcels, choose, kind) {
  return h('ul', { class: 'parcel-list', dataset: { list: kind } }, parcels.map((p) => {
    const button = h('button', { type: 'button', class: 'parcel-choice', dataset: { code: p.renovation_code } },
      h('span', { class: 'parcel-address' }, digits(p.address || '')),
      h('bdi', { dir: 'ltr', class: 'ltr small muted' }, digits(p.renovation_code)));
    button.addEventListener('click', () => choose(p));
    return h('li', {}, button);
  }));
}

/**
 * The finder for a map handle `{select, locate}` (from `parcelMap`, which may arrive later:
 * `handle()` is asked each time). `own` is the person's parcels, already fetched.
 */
export function parcelFinder(handle, own) {
  const status = h('div', { class: 'finder-status', role: 'status', 'aria-live': 'polite' });
  const results = h('div', { class: 'finder-results' });
  const choose = (parcel) => {
    const map = handle();
    if (map) map.select(parcel);
  };
  const input = h('input', {
    type: 'search', name: 'q', id: 'parcel-search', autocomplete: 'street-address', enterkeyhint: 'search',
    'aria-describedby': 'parcel-search-hint',
  });
  const go = h('button', { class: 'button secondary', type: 'button', 'data-search': true }, t('map_search_button'));
  // A form of its own would nest inside the wizard's form, which HTML does not allow: the
  // search runs on Enter in the box and on its button instead.
  const search = async () => {
    const q = input.value.trim();
    if (!q) return;
    await busy(go, async () => {
      status.replaceChildren();
      results.replaceChildren();
      try {
        const body = await get(`/api/v1/parcels/search?q=${encodeURIComponent(q)}`);
        const found = (body && body.parcels) || [];
        if (!found.length) {
          status.textContent = t('map_search_none');
          return;
        }
        if (found.length === 1) {
          choose(found[0]);
          return;
        }
        status.textContent = t('map_search_found', { count: found.length });
        results.replaceChildren(parcelList(found, choose, 'search'));
      } catch (err) {
        status.replaceChildren(problemNotice(err.problem));
      }
    });
  };
  go.addEventListener('click', search);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      search();
    }
  });
  const locate = h('button', { class: 'button secondary', type: 'button', 'data-locate': true }, t('map_my_location'));
  locate.hidden = !('geolocation' in navigator);
  locate.addEventListener('click', async () => {
    const map = handle();
    if (!map) return;
    const ok = await busy(locate, () => map.locate());
    if (!ok) status.textContent = t('map_location_refused');
  });
  const parts = [];
  if (session.current()) {
    parts.push(h('section', { class: 'own-parcels', 'aria-labelledby': 'own-parcels-title' },
      h('h3', { id: 'own-parcels-title' }, t('properties_title')),
      own.length ? parcelList(own, choose, 'own') : h('p', { class: 'small muted' }, t('map_your_properties_none'))));
  }
  parts.push(h('div', { class: 'field finder', dataset: { field: 'q' } },
    h('label', { for: 'parcel-search' }, t('map_search_label')),
    h('div', { class: 'finder-row' }, input, go, locate),
    h('span', { class: 'hint', id: 'parcel-search-hint' }, t('map_search_hint'))),
  status, results);
  return h('div', { class: 'parcel-finder' }, parts);
}
