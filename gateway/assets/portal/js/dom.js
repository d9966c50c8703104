// Small helpers to build the page with DOM calls only: no innerHTML with data, no inline
// styles or handlers (the Content-Security-Policy forbids them), so text from the API can
// never become markup.

import { t, lang } from './i18n.js';

/** `h('a', {href: '/x', class: 'y'}, 'text', child)`: an element with attributes and children. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces everything inside `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let fieldCounter = 0;

/**
 * A labelled form field whose input is named `name` (the API's field name, so a problem's
 * `errors[].field` finds it). `options.input` may be a ready element (select, picker).
 */
export function field(name, label, options = {}) {
  const id = `f-${name.replace(/[^a-z0-9_-]/gi, '-')}-${++fieldCounter}`;
  const input =
    options.input ||
    h('input', {
      id,
      name,
      type: options.type || 'text',
      autocomplete: options.autocomplete || 'off',
      inputmode: options.inputmode,
      required: options.required,
      class: options.digits ? 'digits' : null,
      dir: options.digits ? 'ltr' : null,
      value: options.value,
      minlength: options.minlength,
      maxlength: options.maxlength,
      readonly: options.readonly,
    });
  if (!input.id) input.id = id;
  const hintId = `${input.id}-hint`;
  const errorId = `${input.id}-error`;
  input.setAttribute('aria-describedby', `${hintId} ${errorId}`);
  return h(
    'div',
    { class: 'field', dataset: { field: name } },
    h('label', { for: input.id }, label),
    input,
    options.hint ? h('span', { class: 'hint', id: hintId }, options.hint) : null,
    h('span', { class: 'field-error', id: errorId, role: 'alert', hidden: true }),
  );
}

/** Clears the errors a previous problem left on `form`. */
export function clearErrors(form) {
  form.querySelectorAll('.field.invalid').forEach((f) => f.classList.remove('invalid'));
  form.querySelectorAll('.field-error').forEach((e) => {
    e.textContent = '';
    e.hidden = true;
  });
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  form.querySelectorAll('.notice-error, .error-summary').forEach((n) => n.remove());
}

/**
 * The GOV.UK error summary: a box at the top of `form` that names every field in error,
 * each a link that moves the focus to that field, so a person on a long form (or using a
 * screen reader) learns at once what to fix and where. Fields stay marked where they are.
 */
function errorSummary(form) {
  const items = [];
  for (const wrapper of form.querySelectorAll('.field.invalid')) {
    const message = wrapper.querySelector('.field-error');
    const input = wrapper.querySelector('input:not([type="hidden"]), select, textarea');
    if (!message || !message.textContent) continue;
    const link = h('a', { href: input && input.id ? `#${input.id}` : '#' }, message.textContent);
    link.addEventListener('click', (event) => {
      // Not a page change: the router must not see it; only the focus moves.
      event.preventDefault();
      input?.focus();
      input?.scrollIntoView({ block: 'center' });
    });
    items.push(h('li', {}, link));
  }
  if (!items.length) return null;
  return h('div', { class: 'error-summary', role: 'alert', tabindex: '-1' },
    h('h2', { class: 'error-summary-title' }, t('error_summary_title')),
    h('ul', {}, items));
}

/** The message of a problem (or a field problem) in the current language. */
export function problemText(problem) {
  if (!problem) return t('error_generic');
  if (lang() === 'fa') return problem.detail_fa || problem.message_fa || problem.title_fa || t('error_generic');
  return problem.detail || problem.message_en || problem.title || t('error_generic');
}

/** A notice box for a problem, with the request id to quote (as sent: Latin, left to right). */
export function problemNotice(problem) {
  const id = problem && problem.instance ? problem.instance.replace('urn:estelam:request:', '') : '';
  return h(
    'div',
    { class: 'notice notice-error', role: 'alert' },
    problemText(problem),
    id ? h('span', { class: 'request-id' }, t('request_id', { id: '' }), h('bdi', { dir: 'ltr', class: 'ltr' }, id)) : null,
  );
}

/**
 * Marks the empty required fields of `form` before anything is sent, so a person on a slow
 * phone connection learns at once; returns true when none is empty.
 */
export function checkRequired(form) {
  clearErrors(form);
  let ok = true;
  for (const input of form.querySelectorAll('[required]')) {
    const empty = input.type === 'checkbox' ? !input.checked : !input.value.trim();
    if (!empty) continue;
    ok = false;
    const wrapper = input.closest('.field');
    if (!wrapper) continue;
    wrapper.classList.add('invalid');
    input.setAttribute('aria-invalid', 'true');
    const message = wrapper.querySelector('.field-error');
    if (message) {
      message.textContent = t(input.type === 'checkbox' ? 'must_accept' : 'required_field');
      message.hidden = false;
    }
  }
  if (!ok) {
    const summary = errorSummary(form);
    if (summary) {
      form.prepend(summary);
      summary.focus();
    } else {
      form.querySelector('[aria-invalid="true"]')?.focus();
    }
  }
  return ok;
}

/**
 * Shows a problem on `form`: each `errors[]` entry next to the field of that name, the rest
 * (or a problem without fields) as a notice at the top.
 */
export function showProblem(form, problem) {
  clearErrors(form);
  let unplaced = false;
  for (const fieldProblem of problem.errors || []) {
    const wrapper = form.querySelector(`.field[data-field="${CSS.escape(fieldProblem.field)}"]`);
    if (!wrapper) {
      unplaced = true;
      continue;
    }
    wrapper.classList.add('invalid');
    const message = wrapper.querySelector('.field-error');
    message.textContent = problemText(fieldProblem);
    message.hidden = false;
    wrapper.querySelector('input, select, textarea')?.setAttribute('aria-invalid', 'true');
  }
  if (unplaced || !(problem.errors || []).length) {
    form.prepend(problemNotice(problem));
  }
  const summary = errorSummary(form);
  if (summary) form.prepend(summary);
  const first = form.querySelector('.error-summary, [aria-invalid="true"], .notice-error');
  first?.scrollIntoView({ block: 'center', behavior: 'smooth' });
  if (first && first.focus) first.focus({ preventScroll: true });
}

/** Runs `work` with `button` disabled and saying so; gives the button back afterwards. */
export async function busy(button, work) {
  const label = button.textContent;
  button.disabled = true;
  button.textContent = t('working');
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

/** The form's values by input name, digits made Latin where the input asks for digits. */
export function values(form, latin) {
  const out = {};
  for (const el of form.querySelectorAll('input[name], select[name], textarea[name]')) {
    if (el.type === 'checkbox') {
      out[el.name] = el.checked;
    } else if (el.type !== 'file') {
      out[el.name] = el.classList.contains('digits') ? latin(el.value.trim()) : el.value.trim();
    }
  }
  return out;
}

/** How many redraws of `<main>` are under way (a view's own redraw may run inside the router's). */
let redraws = 0;

/**
 * Runs `work`, which draws (part of) `<main>`, with `<main>` marked `aria-busy="true"` and
 * without `data-ready` until every redraw under way has finished; then `aria-busy="false"`,
 * `data-ready="<language>"` and a `portal:ready` event on `window`. Assistive technology
 * waits for the new content instead of reading half of it, and a script (or a browser test)
 * knows when what it sees is the finished page: the language switch flips `dir` at once but
 * draws the page again only after the view's module has loaded.
 */
export async function redrawing(work) {
  const main = document.getElementById('main');
  redraws += 1;
  main.setAttribute('aria-busy', 'true');
  main.removeAttribute('data-ready');
  try {
    return await work();
  } finally {
    redraws -= 1;
    if (redraws === 0) {
      main.setAttribute('aria-busy', 'false');
      main.dataset.ready = lang();
      window.dispatchEvent(new CustomEvent('portal:ready', { detail: { lang: lang(), path: window.location.pathname } }));
    }
  }
}
