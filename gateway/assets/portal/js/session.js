// Who is logged in: the tokens from login/refresh and the account, kept for this browser
// tab (sessionStorage), so closing the tab logs out.

const KEY = 'estelam.session';
const listeners = new Set();

function read() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch {
    return null;
  }
}

let state = read();

/** The session `{tokens, account}`, or null. */
export function current() {
  return state;
}

/** The access token, or null. */
export function accessToken() {
  return state && state.tokens ? state.tokens.access_token : null;
}

/** The refresh token, or null. */
export function refreshToken() {
  return state && state.tokens ? state.tokens.refresh_token : null;
}

/** Stores a session (`null` to end it) and tells listeners. */
export function set(next) {
  state = next;
  try {
    if (next) sessionStorage.setItem(KEY, JSON.stringify(next));
    else sessionStorage.removeItem(KEY);
  } catch {
    // Storage refused (private mode): the session lasts for this page only.
  }
  listeners.forEach((fn) => fn(state));
}

/** Replaces the tokens after a refresh, keeping the account. */
export function setTokens(tokens) {
  set({ ...(state || {}), tokens });
}

/** Calls `fn(session)` whenever the session changes. */
export function onChange(fn) {
  listeners.add(fn);
}
