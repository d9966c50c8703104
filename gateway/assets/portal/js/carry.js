// What a person has typed, carried across a redraw of the page. Switching the language
// draws the current view again from scratch (every label comes from `t()` as the view is
// built), and the new form would otherwise start empty: a person who switched language in
// the middle of a form lost what they had typed.
//
// `snapshot(root)` records, per form, every control whose value differs from its default
// (what the person changed) and which tab of each tab list is selected; `restore(root, kept)`
// puts those into the redrawn forms, firing the events a person's input would, so views
// that react to a choice (a request type's undertakings, a login tab) draw what belongs to
// it. A control the person already changed in the new form keeps the newer value. File
// inputs cannot be refilled by a script; views keep their uploads themselves.

/** The controls of `form` a person can change, in document order. */
function controls(form) {
  return [...form.querySelectorAll('input, select, textarea')].filter(
    (el) => !['hidden', 'file', 'submit', 'button', 'reset', 'image'].includes(el.type),
  );
}

/** A key that finds the same control in the redrawn form: its name, else its position. */
function keyed(form) {
  let unnamed = 0;
  return controls(form).map((el) => [el.name || `#${el.tagName}-${(unnamed += 1)}`, el]);
}

function isCheck(el) {
  return el.type === 'checkbox' || el.type === 'radio';
}

/** The index of the option a select starts with: the one marked `selected`, else the first. */
function defaultIndex(select) {
  const marked = [...select.options].findIndex((o) => o.defaultSelected);
  return marked >= 0 ? marked : 0;
}

/** Whether `el` still holds what the page drew into it. */
function pristine(el) {
  if (isCheck(el)) return el.checked === el.defaultChecked;
  if (el.tagName === 'SELECT') return el.multiple ? false : el.selectedIndex === defaultIndex(el);
  return el.value === el.defaultValue;
}

function read(el) {
  return isCheck(el) ? el.checked : el.value;
}

/** The changed values and selected tabs of every form under `root`. */
export function snapshot(root) {
  return [...root.querySelectorAll('form')].map((form) => ({
    tabs: [...form.querySelectorAll('[role="tablist"]')].map((list) =>
      [...list.querySelectorAll('[role="tab"]')].findIndex((tab) => tab.getAttribute('aria-selected') === 'true')),
    values: keyed(form).filter(([, el]) => !pristine(el)).map(([key, el]) => [key, read(el)]),
  }));
}

function write(el, value) {
  if (isCheck(el)) {
    el.checked = Boolean(value);
  } else if (el.tagName === 'SELECT') {
    if (![...el.options].some((o) => o.value === value)) return;
    el.value = value;
  } else {
    el.value = value;
  }
  el.dispatchEvent(new Event('input', { bubbles: true }));
  el.dispatchEvent(new Event('change', { bubbles: true }));
}

/** Puts `kept` (from `snapshot`) back into the forms under `root`, matched by position. */
export function restore(root, kept) {
  if (!kept) return;
  const forms = [...root.querySelectorAll('form')];
  kept.forEach((was, i) => {
    const form = forms[i];
    if (!form) return;
    [...form.querySelectorAll('[role="tablist"]')].forEach((list, j) => {
      const tabs = [...list.querySelectorAll('[role="tab"]')];
      const want = tabs[was.tabs[j]];
      if (want && want.getAttribute('aria-selected') !== 'true') want.click();
    });
    // Choices first: a select may decide which other controls exist (a request type's
    // undertakings); then the rest, looked up afresh.
    for (const pass of [(el) => el.tagName === 'SELECT', (el) => el.tagName !== 'SELECT']) {
      const now = new Map(keyed(form));
      for (const [key, value] of was.values) {
        const el = now.get(key);
        if (el && pass(el) && pristine(el) && read(el) !== value) write(el, value);
      }
    }
  });
}
