// Loads the vendored Leaflet (script and stylesheet) once, on the first page that needs a
// map, and draws parcels from the OGC API – Features route as GeoJSON. A base map is drawn
// only when one is configured (`gateway.tile_url`); otherwise parcels are drawn alone.

import { get } from './api.js';

let loading = null;

function assets() {
  return document.querySelector('meta[name="estelam-assets"]')?.content || '/assets/';
}

/** Leaflet's `L`, loaded on first use. */
export function loadLeaflet() {
  loading ??= new Promise((resolve, reject) => {
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = `${assets()}vendor/leaflet/leaflet.css`;
    document.head.append(css);
    const script = document.createElement('script');
    script.src = `${assets()}vendor/leaflet/leaflet.js`;
    script.addEventListener('load', () => resolve(window.L));
    script.addEventListener('error', reject);
    document.head.append(script);
  });
  return loading;
}

/** The map settings from the shell's meta tags. */
export function mapSettings() {
  const meta = (n) => document.querySelector(`meta[name="${n}"]`)?.content || '';
  const [lat, lon, zoom] = meta('estelam-map-center').split(',').map(Number);
  return {
    center: [Number.isFinite(lat) ? lat : 32.86, Number.isFinite(lon) ? lon : 51.55],
    zoom: Number.isFinite(zoom) ? zoom : 15,
    tileUrl: meta('estelam-tile-url'),
    attribution: meta('estelam-tile-attribution'),
  };
}

/** Below this zoom the parcels are too many and too small to draw. */
const MIN_PARCEL_ZOOM = 14;

/**
 * A map in `container` that keeps the parcels of the visible area drawn. Calls
 * `onParcel(feature, latlng)` when a parcel is tapped and `onStatus({count, tooFar, failed})`
 * after each load. Returns `{map, destroy}`.
 */
export async function parcelMap(container, { onParcel, onStatus, zoom } = {}) {
  const L = await loadLeaflet();
  const settings = mapSettings();
  const map = L.map(container, { zoomControl: true, attributionControl: Boolean(settings.tileUrl) });
  map.setView(settings.center, Math.max(zoom || 0, settings.zoom));
  if (settings.tileUrl) {
    L.tileLayer(settings.tileUrl, { attribution: settings.attribution, maxZoom: 20 }).addTo(map);
  }
  const style = { color: '#0f5e57', weight: 1.5, fillColor: '#3aa597', fillOpacity: 0.25 };
  // Each outline carries its renovation code as a class, so a person's script (or a test)
  // can find a parcel's shape on the page.
  const classOf = (feature) => `parcel parcel-${String((feature.properties && feature.properties.renovation_code) || feature.id || '').replace(/[^0-9A-Za-z-]/g, '-')}`;
  const layer = L.geoJSON(null, {
    style: (feature) => ({ ...style, className: classOf(feature) }),
    onEachFeature: (feature, shape) => {
      shape.on('click', (event) => {
        layer.resetStyle();
        shape.setStyle({ color: '#b36b00', fillColor: '#f2b33d', fillOpacity: 0.5, weight: 2.5 });
        if (onParcel) onParcel(feature, event.latlng);
      });
    },
  }).addTo(map);
  let generation = 0;
  let destroyed = false;
  const load = async () => {
    if (destroyed) return;
    const mine = ++generation;
    if (map.getZoom() < MIN_PARCEL_ZOOM) {
      layer.clearLayers();
      if (onStatus) onStatus({ count: 0, tooFar: true });
      return;
    }
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((x) => x.toFixed(6)).join(',');
    try {
      const collection = await get(`/api/v1/collections/parcels/items?bbox=${bbox}&limit=500`);
      if (destroyed || mine !== generation) return;
      layer.clearLayers();
      layer.addData(collection);
      if (onStatus) onStatus({ count: (collection.features || []).length });
    } catch (err) {
      if (!destroyed && mine === generation && onStatus) onStatus({ failed: true, problem: err.problem });
    }
  };
  let timer = null;
  const onMoveEnd = () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  };
  map.on('moveend', onMoveEnd);
  load();
  // A page that moves on removes the map: the debounced reload and any answer still on its
  // way must then do nothing, since a removed map has no panes to measure or draw into.
  const destroy = () => {
    if (destroyed) return;
    destroyed = true;
    clearTimeout(timer);
    generation += 1;
    map.off('moveend', onMoveEnd);
    map.stop();
    map.remove();
  };
  return { map, destroy };
}
