// The nine-step property inquiry as a guided form. The frame — progress indicator, which
// step an inquiry is at, loading and errors — is here; each step's form is in steps.js and
// calls the documented HTTP routes of issue 8 (`PUT /api/v1/inquiries/{id}/…`).

import { t, digits, localized, inquiryNumber } from '../i18n.js';
import { h, problemNotice, redrawing } from '../dom.js';
import { get } from '../api.js';
import * as session from '../session.js';
import { navigate } from '../router.js';
import * as steps from './steps.js';

/** How often, and how long, an inquiry awaiting payment is looked at again. */
const WATCH_EVERY_MS = 1500;
const WATCH_FOR_MS = 10 * 60 * 1000;

/** The nine steps, in order (names in i18n as step1…step9). */
export const STEP_COUNT = 9;

/** The step (3–9) at which an inquiry in `state` continues. */
export function stepOf(state) {
  switch (state) {
    case 'draft': return 3;
    case 'undertakings_accepted': return 4;
    case 'property_verified':
    case 'letter_recorded': return 5;
    case 'documents_attached':
    case 'awaiting_representation_approval': return 6;
    case 'applicant_verified':
    case 'assessed': return 7;
    case 'awaiting_payment': return 8;
    default: return 9;
  }
}

/** The progress indicator: every step, done ones filled, the current one marked. */
export function progress(current) {
  const list = h('ol', { class: 'steps', 'aria-label': t('wizard_title') });
  for (let n = 1; n <= STEP_COUNT; n += 1) {
    const state = n < current ? 'done' : n === current ? 'current' : 'todo';
    list.append(h('li', { class: state, 'aria-current': n === current ? 'step' : null },
      h('span', { class: 'dot', 'aria-hidden': 'true' }, digits(String(n))),
      h('span', { class: 'name' }, t(`step${n}`))));
  }
  return h('div', {},
    list,
    h('p', { class: 'progress-text' }, t('step_of', { n: current, total: STEP_COUNT, name: t(`step${current}`) })),
    h('progress', { max: STEP_COUNT, value: current, 'aria-hidden': 'true' }));
}

let requestTypes = null;

/** Every active request type (cached for the page's life). */
export async function loadRequestTypes() {
  requestTypes ??= get('/api/v1/request-types').then((b) => (b && b.request_types) || []).catch((err) => {
    requestTypes = null;
    throw err;
  });
  return requestTypes;
}

function requireLogin(path) {
  if (session.current()) return true;
  navigate(`/login?next=${encodeURIComponent(path)}`, { replace: true });
  return false;
}

/** `/inquiries/new`: step 3 before the inquiry exists (choose a type, accept undertakings). */
export async function renderNew(main, _params, query) {
  if (!requireLogin('/inquiries/new')) return;
  const body = h('div', { class: 'card' }, h('p', { class: 'muted' }, t('loading')));
  main.append(h('h1', {}, t('wizard_title')), progress(3), body);
  try {
    const types = await loadRequestTypes();
    body.replaceChildren(steps.chooseType(types, query.get('type'), (inquiry) => navigate(`/inquiries/${inquiry.inquiry_id}`)));
  } catch (err) {
    body.replaceChildren(problemNotice(err.problem));
  }
}

/** `/inquiries/{id}`: the inquiry at its current step. */
export async function render(main, params) {
  if (!requireLogin(`/inquiries/${params.id}`)) return;
  const frame = h('div');
  main.append(frame);
  // The step is built whole (its form may wait for a list from the API) and only then
  // replaces the previous one, so the progress indicator never names a step whose form is
  // not there yet; `<main>` is marked busy meanwhile.
  const draw = (inquiry) => redrawing(async () => {
    const step = stepOf(inquiry.state);
    const content = h('div', { class: 'card' });
    if (inquiry.state_reason && (inquiry.state_reason.fa || inquiry.state_reason.en)) {
      content.append(h('p', { class: 'notice' }, localized(inquiry.state_reason)));
    }
    const type = (await loadRequestTypes().catch(() => [])).find((x) => x.code === inquiry.request_type_code) || {};
    content.append(await steps.forStep(step, inquiry, type, draw));
    frame.replaceChildren(
      h('h1', {}, t('wizard_title'), ' ', h('span', { class: 'ltr muted' }, inquiryNumber(inquiry.inquiry_number))),
      progress(step), content);
    if (inquiry.state === 'awaiting_payment') watch(inquiry);
  });
  // A payment clears the debt through the fee service's event, and the answer follows a
  // moment later: while the bill is open, look again now and then, and move on when the
  // inquiry does (also when it was paid in another tab).
  const watch = (seen) => {
    const started = Date.now();
    const again = async () => {
      if (!frame.isConnected || Date.now() - started > WATCH_FOR_MS) return;
      try {
        const now = await get(`/api/v1/inquiries/${encodeURIComponent(params.id)}`);
        if (!frame.isConnected) return;
        if (now.state !== seen.state || now.version !== seen.version) {
          await draw(now);
          return;
        }
      } catch {
        // A passing network failure: try again on the next round.
      }
      setTimeout(again, WATCH_EVERY_MS);
    };
    setTimeout(again, WATCH_EVERY_MS);
  };
  try {
    await draw(await get(`/api/v1/inquiries/${encodeURIComponent(params.id)}`));
  } catch (err) {
    frame.replaceChildren(problemNotice(err.problem));
  }
}
