// Calls the platform through the gateway. The session travels in HttpOnly cookies the gateway
// turns into a bearer token: this code never sees a token. Same-origin fetches send the
// Origin header the gateway checks on every state change.

export class ApiError extends Error {
  constructor(status, body) {
    const detail = (body && body.error) || {};
    super(detail.message || `request failed (${status})`);
    this.status = status;
    this.code = detail.code;
    this.field = detail.field;
    this.position = detail.position;
  }
}

export function signInURL() {
  return '/signin?next=' + encodeURIComponent(location.pathname + location.search);
}

/** One JSON call: api('GET', '/data/v1/projects'). 401 sends the visitor to sign in. */
export async function api(method, path, body) {
  const options = {method, credentials: 'same-origin', headers: {Accept: 'application/json'}};
  if (body !== undefined) {
    options.headers['Content-Type'] = 'application/json';
    options.body = JSON.stringify(body);
  }
  return answer(await send(path, options));
}

/** Sends raw bytes (a file upload). */
export async function upload(path, file) {
  return answer(await send(path, {
    method: 'PUT', credentials: 'same-origin', body: file,
    headers: {'Content-Type': 'application/octet-stream'},
  }));
}

// A service refuses an unexpired access token signed before the user's role or teams changed
// (the user left a team, an admin changed a role): the gateway refreshes only at expiry, so on a
// 401 the page asks for fresh tokens once and repeats the call. Concurrent calls share one refresh.
let refreshing = null;

async function send(path, options) {
  return fetchRefreshing('/api' + path, options);
}

/** `fetch` for this site's paths that need the session (the API, a job's or deployment's
 * endpoint): a 401 gets fresh tokens once and the call again; the answer is returned as it is. */
export async function fetchRefreshing(url, options) {
  const response = await fetch(url, options);
  if (response.status !== 401) return response;
  refreshing ??= fetch('/ui/session/refresh', {method: 'POST', credentials: 'same-origin'})
    .then((answer) => answer.ok).catch(() => false).finally(() => { setTimeout(() => { refreshing = null; }, 0); });
  return (await refreshing) ? fetch(url, options) : response;
}

async function answer(response) {
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (response.status === 401) {
    location.assign(signInURL());
    throw new ApiError(401, body);
  }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** The gateway's own session endpoints (/ui/…). */
export async function session(method, path, body) {
  const response = await fetch(path, {
    method, credentials: 'same-origin',
    headers: {'Content-Type': 'application/json', Accept: 'application/json'},
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

export const q = encodeURIComponent;
