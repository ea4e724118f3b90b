// The chat page: sign-in, chat apps, sessions, search, the conversation.

import * as api from './api.js';
import { readEvents } from './sse.js';
import { userBubble, answerBubble } from './chat.js';
import { wireActions, showActions, sharedIdInAddress } from './actions.js';

const $ = (id) => document.getElementById(id);

const state = {
  apps: [],
  app: null,
  sessionId: null,
  session: null,
  sessions: [],
  sessionsCursor: null,
  fileRefs: [],
  busy: false,
};

/** Loads the next page when `button` scrolls into view (and on click). */
function autoLoad(button, load) {
  let loading = false;
  const run = () => {
    if (loading || !button.isConnected) return;
    loading = true;
    button.disabled = true;
    guarded(load).finally(() => { loading = false; button.disabled = false; });
  };
  button.addEventListener('click', run);
  if ('IntersectionObserver' in window) {
    const seen = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) run();
    });
    seen.observe(button);
  }
}

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = !message;
}

async function guarded(action) {
  try {
    showError('');
    await action();
  } catch (e) {
    showError(e && e.message ? e.message : String(e));
    if (e && e.status === 401) {
      api.signOut();
      showSignIn();
    }
  }
}

function showSignIn() {
  $('sign-in-view').hidden = false;
  $('app-view').hidden = true;
  $('who').hidden = true;
  $('sign-out').hidden = true;
  $('user-id').focus();
}

async function showApp() {
  $('sign-in-view').hidden = true;
  $('app-view').hidden = false;
  $('who').hidden = false;
  $('who').textContent = `Signed in as ${api.user()}`;
  $('sign-out').hidden = false;
  await loadApps();
  await loadSessions();
  newChat();
  const shared = sharedIdInAddress();
  if (shared) await openShared(shared);
}

async function loadApps() {
  const body = await api.chatApps();
  state.apps = body.items || [];
  const select = $('chat-app');
  select.replaceChildren();
  for (const app of state.apps) {
    const option = document.createElement('option');
    option.value = app.chatAppId;
    option.textContent = app.title || app.chatAppId;
    select.append(option);
  }
  if (!state.apps.length) throw new Error('No chat apps are available to you.');
  selectApp(state.apps[0].chatAppId);
}

function selectApp(id) {
  state.app = state.apps.find((a) => a.chatAppId === id) || state.apps[0];
  $('chat-app').value = state.app.chatAppId;
  $('app-description').textContent = state.app.description || '';
  applyFeatures();
}

function applyFeatures() {
  const f = (state.app && state.app.features) || {};
  $('prompt-label').textContent = f.promptInputFieldLabel || 'Ready to chat';
  const disclaimer = f.chatDisclaimerNotice;
  $('disclaimer').hidden = !(disclaimer && disclaimer.enabled && disclaimer.notice);
  $('disclaimer').textContent = (disclaimer && disclaimer.notice) || '';
  $('upload-box').hidden = !(f.fileUpload && f.fileUpload.enabled);
  if (f.fileUpload && f.fileUpload.mimeTypesAllowed) {
    $('file').accept = f.fileUpload.mimeTypesAllowed.filter((m) => m !== '*').join(',');
  }
  renderSuggestions();
}

function renderSuggestions() {
  const box = $('suggestions');
  box.replaceChildren();
  const s = state.app && state.app.features && state.app.features.suggestions;
  const empty = !$('log').children.length;
  if (!s || !s.enabled || !empty) {
    box.hidden = true;
    return;
  }
  for (const text of (s.suggestions || []).slice(0, s.maxToShow || 5)) {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'suggestion';
    button.textContent = text;
    button.addEventListener('click', () => {
      $('prompt').value = text;
      $('composer').requestSubmit();
    });
    box.append(button);
  }
  box.hidden = !box.children.length;
}

function sessionItem(session, onOpen, extra) {
  const li = document.createElement('li');
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'session';
  button.dataset.sessionId = session.sessionId;
  button.textContent = `${session.pinned ? 'Pinned: ' : ''}${session.title || 'Untitled chat'}`;
  if (session.sessionId === state.sessionId) button.setAttribute('aria-current', 'true');
  button.addEventListener('click', onOpen);
  li.append(button);
  if (extra) {
    const p = document.createElement('p');
    p.className = 'muted snippet';
    p.textContent = extra;
    li.append(p);
  }
  return li;
}

async function loadSessions() {
  const body = await api.sessions();
  state.sessions = body.items || [];
  state.sessionsCursor = body.nextCursor || null;
  renderSessions();
}

async function loadMoreSessions() {
  if (!state.sessionsCursor) return;
  const body = await api.sessions(state.sessionsCursor);
  const known = new Set(state.sessions.map((s) => s.sessionId));
  state.sessions.push(...(body.items || []).filter((s) => !known.has(s.sessionId)));
  state.sessionsCursor = body.nextCursor || null;
  renderSessions();
}

function renderSessions() {
  const items = state.sessions.slice();
  const time = (s) => Date.parse(s.updatedAt || s.createdAt || 0) || 0;
  items.sort((a, b) => (Number(!!b.pinned) - Number(!!a.pinned)) || (time(b) - time(a)));
  const list = $('sessions');
  list.replaceChildren();
  for (const s of items) {
    list.append(sessionItem(s, () => guarded(() => openSession(s))));
  }
  if (!items.length) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = 'No chats yet.';
    list.append(li);
  }
  if (state.sessionsCursor) {
    const li = document.createElement('li');
    const more = document.createElement('button');
    more.type = 'button';
    more.className = 'more';
    more.id = 'more-sessions';
    more.textContent = 'Load more chats';
    li.append(more);
    list.append(li);
    autoLoad(more, loadMoreSessions);
  }
}

function newChat() {
  state.sessionId = null;
  state.session = null;
  showActions(null);
  state.fileRefs = [];
  $('attached').textContent = '';
  $('log').replaceChildren();
  $('chat-title').textContent = 'New chat';
  renderSuggestions();
  $('prompt').focus();
}

function feedback(sessionId) {
  return (kind, messageId) => api.feedback(sessionId, kind, messageId);
}

function confirmer(sessionId) {
  return (toolUseId, approve) => api.confirm(sessionId, toolUseId, approve);
}

/** Renders stored messages at the end of the log. */
function renderMessages(items, sessionId, readOnly) {
  for (const m of items || []) {
    if (m.role === 'user') {
      userBubble($('log'), m.content || '');
    } else {
      const tags = state.app ? state.app.tags : [];
      const answer = answerBubble($('log'), readOnly ? { tags } : { onFeedback: feedback(sessionId), tags });
      answer.setText(m.content || '');
      answer.toolCalls(m.toolCalls);
      answer.citations(m.citations);
      answer.verifications(m.verifications);
      if (m.error) answer.event('error', { message: typeof m.error === 'string' ? m.error : m.error.message });
      answer.finish(readOnly ? null : m.messageId);
    }
  }
}

/** A "load later messages" button after the log, while pages remain. */
function moreMessages(cursor, load) {
  if (!cursor) return;
  const more = document.createElement('button');
  more.type = 'button';
  more.className = 'more more-messages';
  more.textContent = 'Load later messages';
  $('log').append(more);
  autoLoad(more, async () => {
    more.remove();
    await load(cursor);
  });
}

async function openSession(session) {
  const id = session.sessionId;
  const app = state.apps.find((a) => a.chatAppId === session.chatAppId);
  if (app) selectApp(app.chatAppId);
  const page = async (cursor) => {
    const body = await api.messages(id, cursor);
    if (state.sessionId !== id) return;
    renderMessages(body.items, id, false);
    moreMessages(body.nextCursor, page);
  };
  newChat();
  state.sessionId = id;
  state.session = session;
  showActions(session);
  $('chat-title').textContent = session.title || 'Untitled chat';
  await page(null);
  renderSuggestions();
  for (const b of document.querySelectorAll('#sessions button')) {
    b.toggleAttribute('aria-current', b.dataset.sessionId === id);
  }
}

/** A chat someone shared, read-only. */
async function openShared(shareId) {
  const body = await api.shared(shareId);
  newChat();
  $('chat-title').textContent = `Shared: ${body.session.title || 'Untitled chat'}`;
  renderMessages(body.messages && body.messages.items, body.session.sessionId, true);
  $('composer').hidden = true;
}

async function ensureSession() {
  if (state.sessionId) return state.sessionId;
  const session = await api.createSession(state.app.chatAppId);
  state.sessionId = session.sessionId;
  return state.sessionId;
}

async function upload(file) {
  const id = await ensureSession();
  const type = file.type || 'application/octet-stream';
  $('attached').textContent = `Uploading ${file.name}…`;
  const ticket = await api.upload(id, file.name, type, file.size);
  const headers = {};
  for (const [k, v] of ticket.upload.headers || []) headers[k] = v;
  let response;
  try {
    response = await fetch(ticket.upload.url, { method: ticket.upload.method || 'PUT', headers, body: file });
  } catch (e) {
    throw new Error(`The upload failed: ${e.message}`);
  }
  if (!response.ok) throw await api.problem(response);
  state.fileRefs.push(ticket.fileRef);
  $('attached').textContent = `Attached: ${state.fileRefs.map((r) => r.split('/').pop()).join(', ')}`;
}

async function sendMessage(text) {
  const log = $('log');
  userBubble(log, text);
  renderSuggestions();
  const body = { message: text, clientMessageId: crypto.randomUUID() };
  if (state.fileRefs.length) body.fileIds = state.fileRefs;
  const start = api.startTurn.bind(null, state.sessionId, state.app.chatAppId, body);
  state.fileRefs = [];
  $('attached').textContent = '';
  let answer = null;
  let done = null;
  try {
    const response = await start();
    // This turn's session, whatever chat is open when a button is pressed.
    let turnSession = state.sessionId;
    answer = answerBubble(log, {
      onFeedback: (k, m) => feedback(turnSession)(k, m),
      onConfirm: (t, a) => confirmer(turnSession)(t, a),
      tags: state.app ? state.app.tags : [],
    });
    $('stop').hidden = false;
    await readEvents(response, (name, data) => {
      if (name === 'session' && data.sessionId) {
        turnSession = data.sessionId;
        state.sessionId = data.sessionId;
      }
      if (name === 'done') done = data;
      if (name === 'error') showError(data.message || 'The answer failed.');
      answer.event(name, data);
    });
  } finally {
    $('stop').hidden = true;
    if (answer) answer.finish(done && done.assistantMessageId, done && done.stopped);
  }
  if (done && done.title) $('chat-title').textContent = done.title;
  await loadSessions();
  state.session = state.sessions.find((s) => s.sessionId === state.sessionId) || state.session;
  showActions(state.session);
}

function wire() {
  $('sign-in').addEventListener('submit', (e) => {
    e.preventDefault();
    guarded(async () => {
      await api.signIn($('user-id').value.trim(), $('user-type').value);
      await showApp();
    });
  });
  $('sign-out').addEventListener('click', () => {
    api.signOut();
    showSignIn();
  });
  $('chat-app').addEventListener('change', () => {
    selectApp($('chat-app').value);
    newChat();
  });
  $('new-chat').addEventListener('click', () => {
    $('composer').hidden = false;
    if (location.hash) history.replaceState(null, '', location.pathname);
    newChat();
  });
  $('stop').addEventListener('click', () => guarded(async () => {
    if (!state.sessionId) return;
    await api.stop(state.sessionId);
  }));
  wireActions({
    current: () => state.session,
    guarded,
    changed: (session) => {
      if (!session) {
        newChat();
      } else {
        state.session = session;
        showActions(session);
        $('chat-title').textContent = session.title || 'Untitled chat';
      }
      return guarded(async () => {
        await loadSessions();
        for (const b of document.querySelectorAll('#sessions button')) {
          b.toggleAttribute('aria-current', !!session && b.dataset.sessionId === session.sessionId);
        }
      });
    },
  });
  $('composer').addEventListener('submit', (e) => {
    e.preventDefault();
    const text = $('prompt').value.trim();
    if (!text || state.busy) return;
    $('prompt').value = '';
    state.busy = true;
    $('send').disabled = true;
    guarded(() => sendMessage(text)).finally(() => {
      state.busy = false;
      $('send').disabled = false;
      $('prompt').focus();
    });
  });
  $('prompt').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      $('composer').requestSubmit();
    }
  });
  $('file').addEventListener('change', () => {
    const file = $('file').files[0];
    if (file) guarded(() => upload(file)).finally(() => { $('file').value = ''; });
  });
  $('search').addEventListener('submit', (e) => {
    e.preventDefault();
    guarded(search);
  });
}

async function search() {
  const q = $('search-q').value.trim();
  const list = $('search-results');
  list.replaceChildren();
  if (!q) {
    list.hidden = true;
    return;
  }
  const body = await api.search(q);
  const seen = new Set();
  for (const hit of body.items || []) {
    const d = hit.document || {};
    if (seen.has(d.sessionId)) continue;
    seen.add(d.sessionId);
    const session = { sessionId: d.sessionId, chatAppId: d.chatAppId, title: d.title };
    list.append(sessionItem(session, () => guarded(() => openSession(session)), hit.snippet || d.text));
  }
  if (!list.children.length) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = `Nothing found for “${q}”.`;
    list.append(li);
  }
  list.hidden = false;
}

wire();
if (api.token()) guarded(showApp);
else showSignIn();
