// The Nox HTTP API (API.md), as the dashboard uses it: the session's tokens, requests with
// a transparent refresh, errors as ApiError with the server's own words, uploads with progress.
//
// Tokens live in memory and in sessionStorage (this tab only, gone when it closes), never in
// localStorage or cookies. The access token is refreshed a minute before it expires, so normal
// use never meets a 401; a 401 anyway (clock skew, a restart) refreshes once and retries.

const STORAGE_KEY = 'nox.session';
const REFRESH_MARGIN_MS = 60_000;

/** An error answer of the API, carrying its `code` and human `message`. */
export class ApiError extends Error {
  constructor(status, code, message, details = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let session = loadSession();
let refreshing = null;
let refreshTimer = null;
const endListeners = new Set();

function loadSession() {
  try {
    const value = JSON.parse(sessionStorage.getItem(STORAGE_KEY) || 'null');
    return value && value.access_token && value.refresh_token ? value : null;
  } catch {
    return null;
  }
}

function storeSession(pair) {
  session = {
    access_token: pair.access_token,
    refresh_token: pair.refresh_token,
    expires_at: Date.now() + (Number(pair.expires_in) || 900) * 1000,
  };
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  scheduleRefresh();
}

function clearSession() {
  session = null;
  clearTimeout(refreshTimer);
  sessionStorage.removeItem(STORAGE_KEY);
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  if (!session) return;
  const wait = Math.max(5_000, session.expires_at - Date.now() - REFRESH_MARGIN_MS);
  refreshTimer = setTimeout(() => refresh().catch(() => {}), wait);
}

/** Called with a reason when the session ends without the user signing out (refresh refused). */
export function onSessionEnd(listener) {
  endListeners.add(listener);
}

export function isSignedIn() {
  return session !== null;
}

/** The error of a non-2xx response, in the API's words when it sent its JSON error shape. */
export async function errorOf(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    // not JSON (a proxy page): fall through to a generic sentence
  }
  const err = body && body.error;
  if (err && typeof err.message === 'string') {
    let message = err.message;
    const field = err.details && err.details.field;
    if (field && !message.includes(field)) message += ` (field: ${field})`;
    const retry = response.headers.get('Retry-After');
    if (response.status === 429 && retry) message += ` Try again in ${retry} s.`;
    return new ApiError(response.status, err.code || 'error', message, err.details || null);
  }
  return new ApiError(response.status, `http_${response.status}`,
    `The server answered ${response.status} ${response.statusText || ''}`.trim() + '.');
}

async function readJson(response) {
  if (!response.ok) throw await errorOf(response);
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

async function send(path, init) {
  try {
    return await fetch(path, init);
  } catch (cause) {
    if (cause && cause.name === 'AbortError') throw cause;
    throw new ApiError(0, 'network_error', 'Could not reach the server: check the connection and try again.');
  }
}

export async function login(username, password) {
  const response = await send('/api/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  storeSession(await readJson(response));
}

/** Exchanges the refresh token for a new pair; one exchange at a time (a spent token revokes the family). */
export function refresh() {
  if (!session) return Promise.reject(new ApiError(401, 'not_signed_in', 'You are not signed in.'));
  if (!refreshing) {
    const token = session.refresh_token;
    refreshing = (async () => {
      const response = await send('/api/auth/refresh', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: token }),
      });
      if (response.status === 401) {
        clearSession();
        const reason = 'Your session has ended. Please sign in again.';
        endListeners.forEach((listener) => listener(reason));
        throw new ApiError(401, 'session_ended', reason);
      }
      storeSession(await readJson(response));
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

export async function logout() {
  const token = session && session.refresh_token;
  clearSession();
  if (!token) return;
  try {
    await fetch('/api/auth/logout', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: token }),
    });
  } catch {
    // signed out locally either way
  }
}

async function accessToken() {
  if (!session) throw new ApiError(401, 'not_signed_in', 'You are not signed in.');
  if (session.expires_at - Date.now() < REFRESH_MARGIN_MS / 2) await refresh();
  return session.access_token;
}

/** A query string from an object, leaving out empty values. */
export function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * An authenticated request. Options: json (a body to send as JSON), body + contentType (raw),
 * query, headers, signal, raw (return the Response instead of decoded JSON).
 */
export async function request(method, path, options = {}) {
  const url = withQuery(path, options.query);
  const headers = { ...(options.headers || {}) };
  let body = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.contentType) {
    headers['Content-Type'] = options.contentType;
  }
  let response;
  for (let attempt = 0; attempt < 2; attempt += 1) {
    headers.Authorization = `Bearer ${await accessToken()}`;
    response = await send(url, { method, headers, body, signal: options.signal });
    if (response.status !== 401 || attempt > 0) break;
    await refresh();
  }
  if (options.raw) {
    if (!response.ok) throw await errorOf(response);
    return response;
  }
  return readJson(response);
}

export const get = (path, options) => request('GET', path, options);
export const post = (path, json, options = {}) => request('POST', path, { ...options, json });
export const patch = (path, json, options = {}) => request('PATCH', path, { ...options, json });
export const del = (path, options) => request('DELETE', path, options);

/** A request that needs no credentials (health); still sends them when signed in. */
export async function publicGet(path) {
  if (session) return get(path);
  return readJson(await send(path, { method: 'GET' }));
}

/** The URL path of a sandbox file: each segment percent-encoded, slashes kept. */
export function filePath(path) {
  return '/api/files/' + path.split('/').map(encodeURIComponent).join('/');
}

/**
 * A multipart upload with progress (fetch cannot report upload progress; XMLHttpRequest can).
 * Resolves with the decoded JSON answer; rejects with an ApiError.
 */
export async function upload(path, formData, onProgress) {
  const token = await accessToken();
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.responseType = 'text';
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable && onProgress) onProgress(event.loaded, event.total);
    });
    xhr.addEventListener('load', () => {
      let body = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        resolve(body);
        return;
      }
      const err = body && body.error;
      reject(err && err.message
        ? new ApiError(xhr.status, err.code || 'error', err.message, err.details || null)
        : new ApiError(xhr.status, `http_${xhr.status}`, `The upload failed: the server answered ${xhr.status}.`));
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network_error', 'The upload failed: the connection was lost.')));
    xhr.addEventListener('abort', () => reject(new ApiError(0, 'aborted', 'The upload was cancelled.')));
    xhr.send(formData);
  });
}

/** Fetches an authenticated download and hands it to the browser as a file. */
export async function download(path, filename) {
  const response = await request('GET', path, { raw: true });
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Walks every page of a paginated list (`{items, next_cursor}`), up to maxItems. */
export async function getAll(path, query = {}, maxItems = 10_000) {
  const items = [];
  let cursor = null;
  do {
    const page = await get(path, { query: { ...query, limit: 1000, cursor } });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor && items.length < maxItems);
  return items;
}

scheduleRefresh();
