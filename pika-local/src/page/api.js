// The public HTTP API: the token in sessionStorage, JSON calls, and errors
// turned into words (the problem document's `detail`).

const TOKEN = 'pika.token';
const USER = 'pika.user';

export function token() {
  return sessionStorage.getItem(TOKEN);
}

export function user() {
  return sessionStorage.getItem(USER);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(USER);
}

/** An API error whose message is meant for people. */
export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** The words of a failed response (problem document or plain text). */
export async function problem(response) {
  let text = '';
  try {
    text = await response.text();
  } catch {
    text = '';
  }
  let detail = text.trim();
  let code;
  try {
    const body = JSON.parse(text);
    detail = body.detail || body.title || body.message || detail;
    code = body.code;
  } catch {
    // not JSON: keep the text
  }
  if (!detail) detail = `The server answered ${response.status} ${response.statusText}.`;
  if (response.status === 401) {
    detail = `${detail} (please sign in again)`;
  }
  return new ApiError(detail, response.status, code);
}

/** Sends a request; resolves with the Response, rejects with an ApiError. */
export async function send(method, path, body, extra = {}) {
  const headers = { ...(extra.headers || {}) };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: extra.signal,
    });
  } catch (e) {
    throw new ApiError(`Cannot reach the server: ${e.message}`, 0, 'network');
  }
  if (!response.ok) throw await problem(response);
  return response;
}

/** A JSON call. */
export async function call(method, path, body) {
  const response = await send(method, path, body);
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/** `POST /dev/token`, keeping the token for this tab. */
export async function signIn(userId, userType) {
  const body = await call('POST', '/dev/token', { userId, userType });
  sessionStorage.setItem(TOKEN, body.token);
  sessionStorage.setItem(USER, userId);
  return body;
}
