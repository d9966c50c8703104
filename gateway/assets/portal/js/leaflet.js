// Loads the vendored Leaflet (script and stylesheet) once, on the first page that needs a
// map, and draws parcels from the OGC API – Features route as GeoJSON. A base map is drawn
// only when one is configured (`gateway.tile_url`); otherwise the city's own data is the
// map: parcel outlines, and the city's label layer (`/api/v1/collections/labels/items`:
// street lines with their names, block numbers, landmarks) — or, for a city that has no
// label layer, labels made from the parcels' addresses and codes (street names along each
// street, block numbers in each block) — so a person can find their street with no tile
// server. A tap must land inside a parcel: one on a street selects nothing.

import { get } from './api.js';
import { digits, lang } from './i18n.js';

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
/** From this zoom the street names and block numbers are drawn. */
const MIN_LABEL_ZOOM = 16;

/** The street an address names (`… خیابان فردوسی، کوچهٔ ۳، پلاک ۱۲` → `خیابان فردوسی`). */
export function streetOf(address) {
  const m = /(خیابان|بلوار|کوچهٔ?)\s+([^،,]+)/.exec(String(address || ''));
  return m ? `${m[1]} ${m[2].trim()}` : '';
}

/** The block of a renovation code (`zone-district-block-…` → `block`). */
export function blockOf(code) {
  const parts = String(code || '').split(/[-/]/);
  return parts.length >= 3 ? String(Number(parts[2])) : '';
}

/** Whether `[lon, lat]` lies inside a GeoJSON Polygon or MultiPolygon (ray casting). */
export function inside(geometry, lon, lat) {
  const ring = (r) => {
    let hit = false;
    for (let i = 0, j = r.length - 1; i < r.length; j = i, i += 1) {
      const [xi, yi] = r[i];
      const [xj, yj] = r[j];
      if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) hit = !hit;
    }
    return hit;
  };
  const polygon = (rings) => rings.length > 0 && ring(rings[0]) && !rings.slice(1).some(ring);
  if (!geometry) return false;
  if (geometry.type === 'Polygon') return polygon(geometry.coordinates);
  if (geometry.type === 'MultiPolygon') return geometry.coordinates.some(polygon);
  return false;
}

/**
 * Where a label of the city's layer is written: a point at itself, a street at the middle
 * of its line (of its longest part, for a MultiLineString). `[lat, lon]`, or null.
 */
export function labelAnchor(geometry) {
  if (!geometry) return null;
  if (geometry.type === 'Point') return [geometry.coordinates[1], geometry.coordinates[0]];
  const lines = geometry.type === 'LineString' ? [geometry.coordinates]
    : geometry.type === 'MultiLineString' ? geometry.coordinates : [];
  const length = (line) => line.slice(1).reduce((a, p, i) => a + Math.hypot(p[0] - line[i][0], p[1] - line[i][1]), 0);
  const line = lines.reduce((best, l) => (!best || length(l) > length(best) ? l : best), null);
  if (!line || line.length < 2) return null;
  // Walk half the line's length.
  let left = length(line) / 2;
  for (let i = 1; i < line.length; i += 1) {
    const [a, b] = [line[i - 1], line[i]];
    const step = Math.hypot(b[0] - a[0], b[1] - a[1]);
    if (step >= left && step > 0) {
      const t = left / step;
      return [a[1] + (b[1] - a[1]) * t, a[0] + (b[0] - a[0]) * t];
    }
    left -= step;
  }
  return [line[0][1], line[0][0]];
}

/** A text label on the map (a DOM element, no markup from data). */
function label(L, latlng, text, kind) {
  const el = document.createElement('span');
  el.className = `map-label ${kind}`;
  el.textContent = text;
  return L.marker(latlng, {
    icon: L.divIcon({ html: el, className: 'map-label-anchor', iconSize: null }),
    interactive: false,
    keyboard: false,
  });
}

/**
 * A map in `container` that keeps the parcels of the visible area drawn. Calls
 * `onParcel(feature, latlng)` when a parcel is tapped (or chosen with `select`),
 * `onMiss(latlng)` when a tap lands outside every parcel (a street), and
 * `onStatus({count, tooFar, failed})` after each load. `own` is a set of renovation codes
 * drawn as the person's own. Returns `{map, destroy, select(parcel), locate()}`.
 */
export async function parcelMap(container, { onParcel, onStatus, onMiss, zoom, own } = {}) {
  const L = await loadLeaflet();
  const settings = mapSettings();
  const map = L.map(container, { zoomControl: true, attributionControl: Boolean(settings.tileUrl) });
  map.setView(settings.center, Math.max(zoom || 0, settings.zoom));
  if (settings.tileUrl) {
    L.tileLayer(settings.tileUrl, { attribution: settings.attribution, maxZoom: 20 }).addTo(map);
  }
  const style = { color: '#0f5e57', weight: 1.5, fillColor: '#3aa597', fillOpacity: 0.25 };
  const ownStyle = { color: '#6a1b9a', weight: 2.5, fillColor: '#ba68c8', fillOpacity: 0.4 };
  const codeOf = (feature) => String((feature.properties && feature.properties.renovation_code) || feature.id || '');
  const mine = own || new Set();
  // Each outline carries its renovation code as a class, so a person's script (or a test)
  // can find a parcel's shape on the page; the person's own parcels are marked too.
  const classOf = (feature) => `parcel parcel-${codeOf(feature).replace(/[^0-9A-Za-z-]/g, '-')}${mine.has(codeOf(feature)) ? ' own-parcel' : ''}`;
  const styleOf = (feature) => ({ ...(mine.has(codeOf(feature)) ? ownStyle : style), className: classOf(feature) });
  const shapes = new Map();
  let pending = null;
  const choose = (feature, shape, latlng) => {
    layer.resetStyle();
    shape.setStyle({ color: '#b36b00', fillColor: '#f2b33d', fillOpacity: 0.5, weight: 2.5 });
    if (onParcel) onParcel(feature, latlng);
  };
  const layer = L.geoJSON(null, {
    style: styleOf,
    onEachFeature: (feature, shape) => {
      shapes.set(codeOf(feature), { feature, shape });
      shape.on('click', (event) => {
        // Leaflet hands the same click to the map next; this one was a parcel's.
        if (event.originalEvent) event.originalEvent.parcelHit = true;
        if (!inside(feature.geometry, event.latlng.lng, event.latlng.lat)) return;
        choose(feature, shape, event.latlng);
      });
    },
  }).addTo(map);
  map.on('click', (event) => {
    if (event.originalEvent && event.originalEvent.parcelHit) {
      // A click near an edge that is not inside the outline (a touch's slack) is a miss too.
      const found = [...shapes.values()].some(({ feature }) => inside(feature.geometry, event.latlng.lng, event.latlng.lat));
      if (found) return;
    }
    layer.resetStyle();
    if (onMiss) onMiss(event.latlng);
  });
  // The city's street lines, under the parcels and never in the way of a tap.
  const streets = L.layerGroup().addTo(map);
  const labels = L.layerGroup().addTo(map);
  const blockText = (block) => `${lang() === 'fa' ? 'بلوک' : 'Block'} ${digits(block)}`;
  // The city's own label layer: street names at the middle of their lines, block numbers
  // and landmarks at their points.
  const drawCityLabels = (cityLabels) => {
    for (const f of cityLabels) {
      const p = f.properties || {};
      const g = f.geometry;
      if (g && (g.type === 'LineString' || g.type === 'MultiLineString')) {
        const parts = g.type === 'LineString' ? [g.coordinates] : g.coordinates;
        for (const part of parts) {
          streets.addLayer(L.polyline(part.map(([lon, lat]) => [lat, lon]), { color: '#90a4ae', weight: 3, opacity: 0.8, interactive: false, className: 'street-line' }));
        }
      }
      const at = labelAnchor(g);
      if (!at || !p.name) continue;
      const kind = p.kind === 'block' ? 'block-label' : p.kind === 'street' ? 'street-label' : 'place-label';
      labels.addLayer(label(L, at, p.kind === 'block' ? blockText(p.name) : digits(p.name), `${kind} city-label`));
    }
  };
  // Street names and block numbers: from the city's label layer when it has one, else from
  // the parcels in view (each street's name at the middle of its parcels, each block's
  // number at the middle of its parcels).
  const drawLabels = (features, cityLabels) => {
    labels.clearLayers();
    streets.clearLayers();
    if (map.getZoom() < MIN_LABEL_ZOOM) return;
    if (cityLabels && cityLabels.length > 0) {
      drawCityLabels(cityLabels);
      return;
    }
    const groups = { street: new Map(), block: new Map() };
    for (const f of features) {
      const p = f.properties || {};
      const point = labelPoint(f);
      if (!point) continue;
      const street = streetOf(p.address);
      const block = blockOf(p.renovation_code);
      if (street) (groups.street.get(street) || groups.street.set(street, []).get(street)).push(point);
      if (block) (groups.block.get(block) || groups.block.set(block, []).get(block)).push(point);
    }
    const middle = (points) => [
      points.reduce((a, p) => a + p[0], 0) / points.length,
      points.reduce((a, p) => a + p[1], 0) / points.length,
    ];
    for (const [name, points] of groups.street) labels.addLayer(label(L, middle(points), name, 'street-label'));
    for (const [block, points] of groups.block) labels.addLayer(label(L, middle(points), blockText(block), 'block-label'));
  };
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
      // The labels are an extra: a city without them, or a failed load, falls back to the
      // parcels' own addresses.
      const [collection, cityLabels] = await Promise.all([
        get(`/api/v1/collections/parcels/items?bbox=${bbox}&limit=500`),
        map.getZoom() >= MIN_LABEL_ZOOM
          ? get(`/api/v1/collections/labels/items?bbox=${bbox}`).then((c) => c.features || [], () => [])
          : Promise.resolve([]),
      ]);
      if (destroyed || mine !== generation) return;
      layer.clearLayers();
      shapes.clear();
      layer.addData(collection);
      drawLabels(collection.features || [], cityLabels);
      if (pending && shapes.has(pending)) {
        const { feature, shape } = shapes.get(pending);
        pending = null;
        const point = labelPoint(feature);
        choose(feature, shape, point ? L.latLng(point[0], point[1]) : shape.getBounds().getCenter());
      }
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
  /** Flies to a parcel from the API (`renovation_code`, `label_point`) and selects it. */
  const select = (parcel) => {
    const point = parcel.label_point;
    if (!point) return;
    pending = parcel.renovation_code;
    if (shapes.has(pending) && map.getZoom() >= PICK_ZOOM - 1 && map.getBounds().contains([point.lat, point.lon])) {
      const { feature, shape } = shapes.get(pending);
      pending = null;
      choose(feature, shape, L.latLng(point.lat, point.lon));
      return;
    }
    map.flyTo([point.lat, point.lon], Math.max(map.getZoom(), PICK_ZOOM), { duration: 0.6 });
  };
  /** "My location": asks the browser, flies there; resolves to whether it could. */
  const locate = () => new Promise((resolve) => {
    if (!navigator.geolocation) {
      resolve(false);
      return;
    }
    navigator.geolocation.getCurrentPosition((position) => {
      if (destroyed) return;
      const here = [position.coords.latitude, position.coords.longitude];
      L.circleMarker(here, { radius: 7, color: '#1565c0', fillColor: '#42a5f5', fillOpacity: 0.9, interactive: false }).addTo(map);
      map.flyTo(here, Math.max(map.getZoom(), PICK_ZOOM), { duration: 0.6 });
      resolve(true);
    }, () => resolve(false), { enableHighAccuracy: true, timeout: 15_000, maximumAge: 60_000 });
  });
  return { map, destroy, select, locate };
}

/** Lots are 10–18 m wide: close enough to tap one with a finger. */
const PICK_ZOOM = 18;

/** A point inside a feature: its `label_point` property if any, else its outline's middle. */
function labelPoint(feature) {
  const p = feature.properties || {};
  if (p.label_point && Number.isFinite(p.label_point.lat)) return [p.label_point.lat, p.label_point.lon];
  const g = feature.geometry;
  const ring = g && (g.type === 'Polygon' ? g.coordinates[0] : g.type === 'MultiPolygon' ? g.coordinates[0][0] : null);
  if (!ring || !ring.length) return null;
  const n = ring.length - 1 || 1;
  let lat = 0;
  let lon = 0;
  for (let i = 0; i < n; i += 1) {
    lon += ring[i][0];
    lat += ring[i][1];
  }
  return [lat / n, lon / n];
}
