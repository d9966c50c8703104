// The nine-step property inquiry as a guided form. The frame — progress indicator, which
// step is shown, back and cancel, loading and errors — is here; each data-entry step's form
// is in steps.js, the check-your-answers page in review.js, the bill and the outcome pages in
// outcome.js. Every step calls the documented HTTP routes (`PUT /api/v1/inquiries/{id}/…`).
//
// The step shown is part of the address, `/inquiries/{id}?step=property`, and every move
// forward is a new history entry: the browser's Back goes one step back (to that step's form,
// filled in with what was recorded), a reload stays where it was, and a link can name a step
// ("change" on the check-your-answers page). An earlier step may be shown only while the
// inquiry can still be edited; any other request shows where the inquiry really stands.

import { t, digits, localized, inquiryNumber } from '../i18n.js';
import { h, problemNotice, redrawing } from '../dom.js';
import { get, post, requestId } from '../api.js';
import * as session from '../session.js';
import { navigate } from '../router.js';
import * as steps from './steps.js';
import { reviewStep } from './review.js';
import { paymentStep, outcomeStep, timeline } from './outcome.js';

/** How often, and how long, an inquiry awaiting payment is looked at again. */
const WATCH_EVERY_MS = 1500;
const WATCH_FOR_MS = 10 * 60 * 1000;

/** The nine steps, in order (names in i18n as step1…step9). */
export const STEP_COUNT = 9;

/** The data-entry pages before Submit, in order, with the step (of nine) each belongs to. */
const ENTRY = [
  ['undertakings', 3], ['property', 4], ['letter', 5], ['documents', 5], ['applicant', 6], ['check', 7],
];
const NUMBER = Object.fromEntries([...ENTRY, ['bill', 8], ['outcome', 9]]);

/** The states in which the inquiry waits for a municipal clerk and nothing can be changed. */
const WAITING_FOR_CLERK = new Set(['awaiting_representation_approval', 'awaiting_review']);

/** The pages a request type walks through (the letter only where the type asks for one). */
function entryPages(type) {
  return ENTRY.map(([key]) => key).filter((key) => key !== 'letter' || type.letter_required !== false);
}

/** The page at which an inquiry in `state` continues. */
export function pageOf(state, type = {}) {
  switch (state) {
    case 'draft': return 'undertakings';
    case 'undertakings_accepted': return 'property';
    case 'property_verified': return type.letter_required !== false ? 'letter' : 'documents';
    case 'letter_recorded': return 'documents';
    case 'documents_attached':
    case 'awaiting_review':
    case 'awaiting_representation_approval': return 'applicant';
    case 'applicant_verified': return 'check';
    case 'assessed':
    case 'awaiting_payment': return 'bill';
    default: return 'outcome';
  }
}

/** The step (3–9) at which an inquiry in `state` continues. */
export function stepOf(state) {
  return NUMBER[pageOf(state)];
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

/** Sends a visitor to log in, coming back to this very address (with its `?type=`). */
function requireLogin() {
  if (session.current()) return true;
  const here = window.location.pathname + window.location.search;
  navigate(`/login?next=${encodeURIComponent(here)}`, { replace: true });
  return false;
}

/** The address of `page` of an inquiry. */
export function pageUrl(inquiry, page) {
  return `/inquiries/${encodeURIComponent(inquiry.inquiry_id)}?step=${page}`;
}

/** `/inquiries/new`: step 3 before the inquiry exists (choose a type, accept undertakings). */
export async function renderNew(main, _params, query) {
  if (!requireLogin()) return;
  const body = h('div', { class: 'card' }, h('p', { class: 'muted' }, t('loading')));
  main.append(h('h1', {}, t('wizard_title')), progress(3), body);
  try {
    const types = await loadRequestTypes();
    body.replaceChildren(steps.chooseType(types, query.get('type'), (inquiry, type) => {
      // This page made the draft: it becomes the draft's first page, so that Back from the
      // next step shows this inquiry's undertakings, not a blank form that would start a
      // second draft.
      history.replaceState(null, '', pageUrl(inquiry, 'undertakings'));
      navigate(pageUrl(inquiry, pageOf(inquiry.state, type)));
    }));
  } catch (err) {
    body.replaceChildren(problemNotice(err.problem));
  }
}

/** "Back": the previous page of the wizard, or the list before the first one. */
function backLink(inquiry, type, page) {
  const pages = entryPages(type);
  const at = pages.indexOf(page);
  const href = at > 0 ? pageUrl(inquiry, pages[at - 1]) : '/inquiries';
  return h('a', { class: 'back-link', href, 'data-link': true, 'data-back': true }, at > 0 ? t('back') : t('back_to_list'));
}

/** "Cancel this request", asking once more before it does. */
function cancelBox(inquiry) {
  const ask = h('button', { class: 'button link', type: 'button', 'data-cancel': true }, t('cancel_draft'));
  const box = h('div', { class: 'cancel-box' }, ask);
  ask.addEventListener('click', () => {
    const yes = h('button', { class: 'button danger', type: 'button', 'data-cancel-yes': true }, t('cancel_draft_yes'));
    const no = h('button', { class: 'button secondary', type: 'button' }, t('cancel_draft_no'));
    const status = h('div');
    no.addEventListener('click', () => box.replaceChildren(ask));
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      try {
        await post(`/api/v1/inquiries/${encodeURIComponent(inquiry.inquiry_id)}/cancel`, {
          expected_version: inquiry.version, client_request_id: requestId(),
        });
        navigate(`/inquiries/${encodeURIComponent(inquiry.inquiry_id)}`, { replace: true });
      } catch (err) {
        yes.disabled = false;
        status.replaceChildren(problemNotice(err.problem));
      }
    });
    box.replaceChildren(h('p', { role: 'alert' }, t('cancel_draft_confirm')), h('div', { class: 'actions' }, yes, no), status);
    yes.focus();
  });
  return box;
}

/** The page to show: the one asked for, if the inquiry may show it now; else where it is. */
function pageToShow(inquiry, type, asked) {
  const here = pageOf(inquiry.state, type);
  const pages = entryPages(type);
  const editable = pages.includes(here) && !WAITING_FOR_CLERK.has(inquiry.state);
  if (editable && pages.includes(asked) && pages.indexOf(asked) <= pages.indexOf(here)) return asked;
  return here;
}

/** `/inquiries/{id}`: the inquiry at the step the address names, or its current one. */
export async function render(main, params, query) {
  if (!requireLogin()) return;
  const frame = h('div');
  main.append(frame);
  const base = `/api/v1/inquiries/${encodeURIComponent(params.id)}`;
  // The step is built whole (its form may wait for a list from the API) and only then
  // replaces the previous one, so the progress indicator never names a step whose form is
  // not there yet; `<main>` is marked busy meanwhile.
  const draw = (inquiry) => redrawing(async () => {
    const type = (await loadRequestTypes().catch(() => [])).find((x) => x.code === inquiry.request_type_code) || {};
    const page = pageToShow(inquiry, type, query.get('step'));
    if (query.get('step') && query.get('step') !== page) {
      history.replaceState(null, '', pageUrl(inquiry, page));
    }
    // Done with a page: the next one is a new history entry, so Back returns here.
    const next = (updated) => navigate(pageUrl(updated, pageOf(updated.state, type)));
    const content = h('div', { class: 'card' });
    if (inquiry.state_reason && (inquiry.state_reason.fa || inquiry.state_reason.en) && page !== 'outcome') {
      content.append(h('p', { class: 'notice' }, localized(inquiry.state_reason)));
    }
    const entry = entryPages(type).includes(page);
    if (entry) content.append(backLink(inquiry, type, page));
    if (page === 'check') content.append(await reviewStep(inquiry, type, next));
    else if (page === 'bill') content.append(await paymentStep(inquiry));
    else if (page === 'outcome') content.append(await outcomeStep(inquiry));
    else content.append(await steps.forPage(page, inquiry, type, next));
    const parts = [
      h('h1', {}, t('wizard_title'), ' ', h('span', { class: 'ltr muted' }, inquiryNumber(inquiry.inquiry_number))),
      progress(NUMBER[page]), content,
    ];
    if (entry && !WAITING_FOR_CLERK.has(inquiry.state)) parts.push(cancelBox(inquiry));
    if (!entry) parts.push(timeline(inquiry));
    frame.replaceChildren(...parts);
    if (inquiry.state === 'awaiting_payment' || inquiry.state === 'assessed') watch(inquiry);
  });
  // A payment clears the debt through the fee service's event, and the answer follows a
  // moment later: while the bill is open, look again now and then, and move on when the
  // inquiry does (also when it was paid in another tab).
  const watch = (seen) => {
    const started = Date.now();
    const again = async () => {
      if (!frame.isConnected || Date.now() - started > WATCH_FOR_MS) return;
      try {
        const now = await get(base);
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
    await draw(await get(base));
  } catch (err) {
    frame.replaceChildren(problemNotice(err.problem));
  }
}
