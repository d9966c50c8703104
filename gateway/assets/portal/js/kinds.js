// A document's kind as a person reads it. The kinds the portal was built with keep the
// portal's own words; a kind an admin added later (document kinds are data of the documents
// service, `GET /api/v1/document-kinds`) is named from that data, so the desk and the
// citizen's pages never show a bare code. The list is asked for once per page load.

import { get } from './api.js';
import { t, localized } from './i18n.js';
import { h } from './dom.js';

let asked = null;

/** The kinds the documents service knows (empty when it cannot be asked). */
export function documentKinds() {
  if (!asked) asked = get('/api/v1/document-kinds').then((r) => r.kinds || []).catch(() => []);
  return asked;
}

/** A kind's name: the portal's words when it has them, otherwise the kind's own name. */
export function kindLabel(code) {
  const own = t(`doc_${code}`);
  if (own !== `doc_${code}`) return own;
  const label = h('span', {}, code);
  documentKinds().then((kinds) => {
    const kind = kinds.find((k) => k.code === code);
    if (kind) label.textContent = localized(kind.name);
  });
  return label;
}
