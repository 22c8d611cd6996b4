// Shared by every page: API calls with errors in words, toasts, time formatting, live events.

const tokenKey = 'earshot.adminToken';

/** An API failure, carrying the server's `{error: {code, message}}`. */
export class APIError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The signed-in session's CSRF token, which every state-changing request must carry. */
export function csrfToken() {
  const meta = document.querySelector('meta[name="earshot-csrf"]');
  return meta ? meta.content : '';
}

/** Whether the server has accounts (pages are then seen only after signing in). */
function accountsOn() {
  const meta = document.querySelector('meta[name="earshot-mode"]');
  return meta && meta.content === 'accounts';
}

/** Sends the browser to the sign-in page, to come back here. */
export function signInAgain() {
  window.location.assign(`/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
}

/**
 * Calls the API and returns the parsed JSON (or null for 204). Errors become APIError with the
 * server's message. With accounts, a 401 (the session ended) goes to the sign-in page; without, it
 * asks once for the admin token, keeps it for this browser tab, and retries.
 */
export async function api(method, path, body) {
  for (let attempt = 0; attempt < 2; attempt++) {
    const headers = { Accept: 'application/json' };
    const token = sessionStorage.getItem(tokenKey);
    if (token) headers.Authorization = `Bearer ${token}`;
    if (method !== 'GET' && csrfToken()) headers['X-CSRF-Token'] = csrfToken();
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new APIError(0, 'network', 'The server could not be reached. Is it running?');
    }
    if (response.status === 401 && accountsOn()) {
      signInAgain();
      throw new APIError(401, 'unauthorized', 'Your session has ended; sign in again.');
    }
    if (response.status === 401 && attempt === 0) {
      const entered = window.prompt('This action needs the server\'s admin token:');
      if (!entered) throw new APIError(401, 'unauthorized', 'The admin token is required for this action.');
      sessionStorage.setItem(tokenKey, entered.trim());
      continue;
    }
    if (response.status === 204) return null;
    const text = await response.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { json = null; }
    if (!response.ok) {
      const error = json && json.error ? json.error : { code: `http_${response.status}`, message: text || response.statusText };
      throw new APIError(response.status, error.code, error.message);
    }
    return json;
  }
  throw new APIError(401, 'unauthorized', 'The admin token was not accepted.');
}

/** Shows a short message in the corner (announced to screen readers); errors stay longer. */
export function toast(message, kind = 'ok') {
  const box = document.getElementById('toasts');
  if (!box) return;
  const item = document.createElement('div');
  item.className = `toast ${kind}`;
  item.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  item.textContent = message;
  box.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 10000 : 4000);
}

/** Runs an action from a button: disabled while it runs, a toast for the outcome. */
export async function act(button, action, success) {
  button.disabled = true;
  try {
    const result = await action();
    if (success) toast(success);
    return result;
  } catch (error) {
    toast(error.message || String(error), 'error');
    return undefined;
  } finally {
    button.disabled = false;
  }
}

/** 75.4 → "1:15", 3725 → "1:02:05". */
export function clock(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return (h > 0 ? `${h}:` : '') + `${mm}:${String(s).padStart(2, '0')}`;
}

/**
 * Follows the event stream from `after` (the seq the page was rendered at, so nothing is missed),
 * calling `onEvent(type, data, event)`. EventSource reconnects by itself with Last-Event-ID.
 */
export function followEvents(after, types, onEvent, statusElement) {
  const source = new EventSource(`/api/v1/events?types=${encodeURIComponent(types)}&after=${after}`);
  const say = (text) => { if (statusElement) statusElement.textContent = text; };
  source.onopen = () => say('Live: updates appear as they happen.');
  source.onerror = () => say('Live updates interrupted; reconnecting…');
  const handle = (message) => {
    let event;
    try { event = JSON.parse(message.data); } catch { return; }
    onEvent(event.type, event.data || {}, event);
  };
  source.onmessage = handle;
  for (const type of typeList(types)) source.addEventListener(type, handle);
  // A server that drops a lagging subscriber says so; reconnecting resumes from the log.
  source.addEventListener('resync', () => { source.close(); window.location.reload(); });
  return source;
}

const knownTypes = [
  'job.created', 'job.claimed', 'job.progress', 'job.segment', 'job.succeeded', 'job.failed', 'job.cancelled',
  'job.retried', 'job.deleted', 'job.media_removed', 'node.registered', 'node.online', 'node.offline',
  'transcript.created', 'transcript.revised', 'draft.started', 'draft.ended', 'draft.revised', 'draft.suggested',
  'draft.speaker_changed', 'stream.state_changed',
];

function typeList(patterns) {
  return knownTypes.filter((type) => patterns.split(',').some((p) => p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1)))));
}

/** Updates a job row's state badge and which actions make sense in that state. */
export function showJobState(row, state, progress) {
  const badge = row.querySelector('[data-state]');
  if (badge) {
    badge.textContent = state;
    badge.className = `badge state-${state}`;
  }
  const cancel = row.querySelector('[data-action="cancel"]');
  const retry = row.querySelector('[data-action="retry"]');
  if (cancel) cancel.hidden = !(state === 'queued' || state === 'running');
  if (retry) retry.hidden = !(state === 'failed' || state === 'cancelled');
  let bar = row.querySelector('progress');
  if (state === 'running') {
    if (!bar && badge) {
      bar = document.createElement('progress');
      bar.max = 1;
      bar.setAttribute('aria-label', 'Progress');
      badge.after(' ', bar);
    }
    if (bar && progress != null) bar.value = progress;
  } else if (bar) {
    bar.remove();
  }
}

// Every page with a signed-in user has a sign-out button in its header.
const signOut = document.getElementById('sign-out');
if (signOut) {
  signOut.addEventListener('click', async () => {
    try { await api('DELETE', '/api/v1/session'); } catch { /* signed out either way */ }
    window.location.assign('/login');
  });
}
