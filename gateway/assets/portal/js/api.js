// The portal's client for the gateway's JSON API. Every failure comes back as an
// `ApiProblem` carrying an RFC 9457 problem (the gateway always answers errors with
// application/problem+json in Persian and English); a network failure is turned into one
// too, so views have a single error path: `showProblem(form, err.problem)`.
//
// JSON conventions of the API (see gateway/README.md): snake_case fields as in the .proto
// messages, enums as lower-case names without their prefix (`awaiting_payment`), money in
// integer rials (`*_rials`), instants as RFC 3339 strings, Jalali dates as `YYYY/MM/DD`.

import * as session from './session.js';
import { t } from './i18n.js';

/** A failed API call: `status` and the problem body. */
export class ApiProblem extends Error {
  constructor(status, problem, retryAfter = null) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    /** Seconds the server asked to wait (`Retry-After` of a 429/503), or null. */
    this.retryAfter = retryAfter;
  }
}

function networkProblem() {
  return new ApiProblem(0, {
    type: 'urn:estelam:problem:network',
    title: 'Network error',
    title_fa: 'خطای ارتباط',
    status: 0,
    detail: t('error_network'),
    detail_fa: t('error_network'),
    code: 'unavailable',
    reason: 'NETWORK',
  });
}

async function problemOf(response) {
  const type = response.headers.get('content-type') || '';
  if (type.includes('json')) {
    try {
      return await response.json();
    } catch {
      // Fall through to a generic problem.
    }
  }
  return {
    type: 'urn:estelam:problem:unknown',
    title: response.statusText,
    title_fa: '',
    status: response.status,
    detail: t('error_generic'),
    detail_fa: t('error_generic'),
    code: 'internal',
    reason: 'UNKNOWN',
  };
}

let refreshing = null;

/** Trades the refresh token for new tokens once, however many calls ask at the same time. */
async function refresh() {
  const token = session.refreshToken();
  if (!token) return false;
  refreshing ??= fetch('/api/v1/auth/refresh', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ refresh_token: token }),
  })
    .then(async (response) => {
      if (!response.ok) {
        session.set(null);
        return false;
      }
      const body = await response.json();
      session.setTokens(body.tokens);
      return true;
    })
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/**
 * Calls the API: `request('POST', '/api/v1/inquiries', {body})`. Returns the parsed JSON
 * (null for 204), or throws `ApiProblem`. An expired access token is refreshed once.
 */
export async function request(method, path, { body, auth = true, retried = false } = {}) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const token = auth ? session.accessToken() : null;
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw networkProblem();
  }
  if (response.status === 401 && token && !retried && (await refresh())) {
    return request(method, path, { body, auth, retried: true });
  }
  if (!response.ok) {
    const wait = Number.parseInt(response.headers.get('retry-after') || '', 10);
    const problem = await problemOf(response);
    // An account that must change its password can do nothing else: take the person there.
    if (problem.reason === 'PASSWORD_CHANGE_REQUIRED' && window.location.pathname !== '/me/password') {
      window.history.pushState(null, '', `/me/password?next=${encodeURIComponent(window.location.pathname)}`);
      window.dispatchEvent(new PopStateEvent('popstate'));
    }
    throw new ApiProblem(response.status, problem, Number.isNaN(wait) ? null : wait);
  }
  if (response.status === 204) return null;
  return response.json();
}

/** `GET path`. */
export const get = (path, options) => request('GET', path, options);
/** `POST path` with a JSON body. */
export const post = (path, body, options) => request('POST', path, { ...options, body });
/** `PUT path` with a JSON body. */
export const put = (path, body, options) => request('PUT', path, { ...options, body });

/**
 * Uploads `file` as `multipart/form-data` (fields `kind`, `file`) to `POST /api/v1/documents`,
 * reporting progress 0..1 to `onProgress` (fetch cannot report upload progress; XHR can).
 */
export function upload(file, kind, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/documents');
    xhr.setRequestHeader('accept', 'application/json');
    const token = session.accessToken();
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiProblem(xhr.status, body || { detail: t('error_generic'), detail_fa: t('error_generic') }));
    });
    xhr.addEventListener('error', () => reject(networkProblem()));
    const form = new FormData();
    form.append('kind', kind);
    form.append('file', file);
    xhr.send(form);
  });
}

/** A fresh idempotency key for a state-changing call (`client_request_id`). */
export function requestId() {
  return crypto.randomUUID();
}
