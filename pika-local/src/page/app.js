// The chat page: sign-in, chat apps, sessions, search, the conversation.

import * as api from './api.js';
import { readEvents } from './sse.js';
import { userBubble, answerBubble } from './chat.js';

const $ = (id) => document.getElementById(id);

const state = {
  apps: [],
  app: null,
  sessionId: null,
  fileRefs: [],
  busy: false,
};

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
}

async function loadApps() {
  const body = await api.call('GET', '/chatapps');
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
  const body = await api.call('GET', '/sessions?limit=50');
  const items = (body.items || []).slice();
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
}

function newChat() {
  state.sessionId = null;
  state.fileRefs = [];
  $('attached').textContent = '';
  $('log').replaceChildren();
  $('chat-title').textContent = 'New chat';
  renderSuggestions();
  $('prompt').focus();
}

function feedback(sessionId) {
  return (kind, messageId) => api.call('POST', `/sessions/${encodeURIComponent(sessionId)}/feedback`, { kind, messageId });
}

async function openSession(session) {
  const id = session.sessionId;
  const app = state.apps.find((a) => a.chatAppId === session.chatAppId);
  if (app) selectApp(app.chatAppId);
  const body = await api.call('GET', `/sessions/${encodeURIComponent(id)}/messages?limit=100`);
  newChat();
  state.sessionId = id;
  $('chat-title').textContent = session.title || 'Untitled chat';
  for (const m of body.items || []) {
    if (m.role === 'user') {
      userBubble($('log'), m.content || '');
    } else {
      const answer = answerBubble($('log'), { onFeedback: feedback(id) });
      answer.setText(m.content || '');
      answer.toolCalls(m.toolCalls);
      answer.verifications(m.verifications);
      if (m.error) answer.event('error', { message: typeof m.error === 'string' ? m.error : m.error.message });
      answer.finish(m.messageId);
    }
  }
  renderSuggestions();
  for (const b of document.querySelectorAll('#sessions button')) {
    b.toggleAttribute('aria-current', b.dataset.sessionId === id);
  }
}

async function ensureSession() {
  if (state.sessionId) return state.sessionId;
  const session = await api.call('POST', '/sessions', { chatAppId: state.app.chatAppId });
  state.sessionId = session.sessionId;
  return state.sessionId;
}

async function upload(file) {
  const id = await ensureSession();
  const type = file.type || 'application/octet-stream';
  $('attached').textContent = `Uploading ${file.name}…`;
  const ticket = await api.call('POST', `/sessions/${encodeURIComponent(id)}/files`, { name: file.name, contentType: type, size: file.size });
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
  const path = state.sessionId
    ? `/sessions/${encodeURIComponent(state.sessionId)}/messages`
    : `/chat/${encodeURIComponent(state.app.chatAppId)}/messages`;
  const body = { message: text, clientMessageId: crypto.randomUUID() };
  if (state.fileRefs.length) body.fileIds = state.fileRefs;
  state.fileRefs = [];
  $('attached').textContent = '';
  let answer = null;
  let done = null;
  try {
    const response = await api.send('POST', path, body, { headers: { Accept: 'text/event-stream' } });
    answer = answerBubble(log, { onFeedback: (k, m) => feedback(state.sessionId)(k, m) });
    await readEvents(response, (name, data) => {
      if (name === 'session' && data.sessionId) state.sessionId = data.sessionId;
      if (name === 'done') done = data;
      if (name === 'error') showError(data.message || 'The answer failed.');
      answer.event(name, data);
    });
  } finally {
    if (answer) answer.finish(done && done.assistantMessageId, done && done.stopped);
  }
  if (done && done.title) $('chat-title').textContent = done.title;
  await loadSessions();
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
  $('new-chat').addEventListener('click', newChat);
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
  const body = await api.call('GET', `/search?q=${encodeURIComponent(q)}`);
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
