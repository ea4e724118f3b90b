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
  /**
   * @param {string} message
   * @param {number} status
   * @param {string} [code]
   */
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * The words of a failed response (problem document or plain text).
 * @param {Response} response
 */
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

/**
 * Sends a request; resolves with the Response, rejects with an ApiError.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @param {{ headers?: Record<string, string>, signal?: AbortSignal }} [extra]
 */
async function send(method, path, body, extra = {}) {
  /** @type {Record<string, string>} */
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
    const why = e instanceof Error ? e.message : String(e);
    throw new ApiError(`Cannot reach the server: ${why}`, 0, 'network');
  }
  if (!response.ok) throw await problem(response);
  return response;
}

/**
 * A JSON call (what the page's typed `request` sends).
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
async function call(method, path, body) {
  const response = await send(method, path, body);
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

/**
 * `POST /dev/token`, keeping the token for this tab.
 * @param {string} userId
 * @param {RequestBody<Paths['/dev/token']['post']>['userType']} userType
 */
export async function signIn(userId, userType) {
  const body = await request('post', '/dev/token', {}, { userId, userType });
  sessionStorage.setItem(TOKEN, body.token);
  sessionStorage.setItem(USER, userId);
  return body;
}

// Every call the page makes goes through `request`, whose route, method,
// parameters and bodies are type-checked against the types generated from
// the OpenAPI document (`api-types.d.ts`, scripts/check-page-types.sh): a
// route the server no longer has, or a body it no longer takes, fails the
// check instead of the user.

/** @typedef {import('./api-types').paths} Paths */
/** @typedef {'get' | 'post' | 'put' | 'patch' | 'delete'} Method */
/**
 * The route's path and query parameters, as the document names them.
 * @template O
 * @typedef {O extends { parameters: { path: infer A } } ? (O extends { parameters: { query?: infer Q } } ? { path: A, query?: Q } : { path: A }) : O extends { parameters: { query?: infer Q } } ? { query?: Q } : {}} Params
 */
/**
 * The route's JSON request body, or `undefined` when it takes none.
 * @template O
 * @typedef {O extends { requestBody: { content: { 'application/json': infer B } } } ? B : O extends { requestBody?: { content: { 'application/json': infer B } } } ? B | undefined : undefined} RequestBody
 */
/**
 * The JSON body of the route's success answer (`null` for 204).
 * @template O
 * @typedef {O extends { responses: { 200: { content: { 'application/json': infer R } } } } ? R : O extends { responses: { 201: { content: { 'application/json': infer R } } } } ? R : null} Success
 */

/**
 * The address of a route with its parameters filled in.
 * @param {string} route
 * @param {{ path?: object, query?: object }} params
 */
function address(route, params) {
  const values = /** @type {Record<string, unknown>} */ (params.path || {});
  const path = route.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(String(values[name])));
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params.query || {})) {
    if (v !== undefined && v !== null) query.set(k, String(v));
  }
  const q = query.toString();
  return q ? `${path}?${q}` : path;
}

/**
 * Calls `method route` and resolves with its success body.
 * @template {keyof Paths} P
 * @template {Method & keyof Paths[P]} M
 * @param {M} method
 * @param {P} route the route as the document writes it (`/sessions/{id}`)
 * @param {Params<Paths[P][M]>} params
 * @param {RequestBody<Paths[P][M]>} [body]
 * @returns {Promise<Success<Paths[P][M]>>}
 */
export async function request(method, route, params, body) {
  return call(method.toUpperCase(), address(String(route), params), body);
}

/**
 * Starts a streamed turn (`Accept: text/event-stream`) and resolves with
 * the response whose body the page reads as events.
 * @template {'/sessions/{id}/messages' | '/chat/{chatAppId}/messages'} P
 * @param {P} route
 * @param {Params<Paths[P]['post']>} params
 * @param {RequestBody<Paths[P]['post']>} body
 */
function streamTurn(route, params, body) {
  return send('POST', address(route, params), body, { headers: { Accept: 'text/event-stream' } });
}

// The calls the page makes, each checked against its route.

/** The chat apps the caller may use. */
export const chatApps = () => request('get', '/chatapps', {});

/**
 * A page of the caller's sessions, newest first.
 * @param {string | null} [cursor]
 */
export const sessions = (cursor) => request('get', '/sessions', { query: { limit: 20, cursor: cursor || undefined } });

/**
 * A new session in a chat app.
 * @param {string} chatAppId
 */
export const createSession = (chatAppId) => request('post', '/sessions', {}, { chatAppId });

/**
 * A page of a session's messages, oldest first.
 * @param {string} id
 * @param {string | null} [cursor]
 */
export const messages = (id, cursor) =>
  request('get', '/sessions/{id}/messages', { path: { id }, query: { limit: 50, cursor: cursor || undefined } });

/**
 * Feedback on an answer.
 * @param {string} id the session
 * @param {RequestBody<Paths['/sessions/{id}/feedback']['post']>['kind']} kind
 * @param {string} [messageId]
 */
export const feedback = (id, kind, messageId) =>
  request('post', '/sessions/{id}/feedback', { path: { id } }, { kind, messageId });

/**
 * The user's answer to a `confirmation_required` event.
 * @param {string} id the session
 * @param {string} toolUseId
 * @param {boolean} approve
 */
export const confirm = (id, toolUseId, approve) =>
  request('post', '/sessions/{id}/confirm', { path: { id } }, { toolUseId, approve });

/**
 * Stops the session's running turn.
 * @param {string} id
 */
export const stop = (id) => request('post', '/sessions/{id}/stop', { path: { id } });

/**
 * A presigned upload for a file to attach.
 * @param {string} id the session
 * @param {string} name
 * @param {string} contentType
 * @param {number} size
 */
export const upload = (id, name, contentType, size) =>
  request('post', '/sessions/{id}/files', { path: { id } }, { name, contentType, size });

/**
 * Renames a session.
 * @param {string} id
 * @param {string} title
 */
export const rename = (id, title) => request('post', '/sessions/{id}/title', { path: { id } }, { title });

/**
 * Pins or unpins a session.
 * @param {string} id
 * @param {boolean} pinned
 */
export const pin = (id, pinned) =>
  pinned
    ? request('put', '/sessions/{id}/pin', { path: { id } })
    : request('delete', '/sessions/{id}/pin', { path: { id } });

/**
 * Shares a session read-only.
 * @param {string} id
 */
export const share = (id) => request('post', '/sessions/{id}/share', { path: { id } });

/**
 * Deletes a session with its messages.
 * @param {string} id
 */
export const deleteSession = (id) => request('delete', '/sessions/{id}', { path: { id } });

/**
 * A chat someone shared.
 * @param {string} shareId
 */
export const shared = (shareId) => request('get', '/shared/{shareId}', { path: { shareId } });

/**
 * Searches the caller's messages.
 * @param {string} q
 */
export const search = (q) => request('get', '/search', { query: { q } });

/**
 * Sends the user's message: in the open session, or as the first message
 * of a new one in the chat app. Resolves with the event stream's response.
 * @param {string | null} sessionId
 * @param {string} chatAppId
 * @param {RequestBody<Paths['/sessions/{id}/messages']['post']>} body
 */
export const startTurn = (sessionId, chatAppId, body) =>
  sessionId
    ? streamTurn('/sessions/{id}/messages', { path: { id: sessionId } }, body)
    : streamTurn('/chat/{chatAppId}/messages', { path: { chatAppId } }, body);
