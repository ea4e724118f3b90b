// The open chat's own controls: rename, pin, share (copy a link), delete;
// and a shared chat opened from its link, read-only.

import * as api from './api.js';

const $ = (id) => document.getElementById(id);

/** The link a share gives: this page, opening the shared chat. */
export function shareLink(shareId) {
  return `${location.origin}/#shared/${encodeURIComponent(shareId)}`;
}

/** The share id in this page's address, if it is a share link. */
export function sharedIdInAddress() {
  const m = /^#shared\/([^/?#]+)$/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

/**
 * Wires the controls. `current()` gives the open session (or null);
 * `changed(session|null)` is told after each change (null: deleted).
 */
export function wireActions({ current, changed, guarded }) {
  const status = (text) => { $('session-status').textContent = text; };
  $('rename').addEventListener('click', () => {
    const s = current();
    if (!s) return;
    $('rename-title').value = s.title || '';
    $('rename-form').hidden = false;
    $('rename-title').focus();
  });
  $('rename-cancel').addEventListener('click', () => { $('rename-form').hidden = true; });
  $('rename-form').addEventListener('submit', (e) => {
    e.preventDefault();
    guarded(async () => {
      const s = current();
      const title = $('rename-title').value.trim();
      if (!s || !title) return;
      const body = await api.rename(s.sessionId, title);
      changed({ ...s, title: (body && body.title) || title });
      status('Renamed.');
    });
  });
  $('pin').addEventListener('click', () => guarded(async () => {
    const s = current();
    if (!s) return;
    await api.pin(s.sessionId, !s.pinned);
    changed({ ...s, pinned: !s.pinned });
    status(s.pinned ? 'Unpinned.' : 'Pinned.');
  }));
  $('share').addEventListener('click', () => guarded(async () => {
    const s = current();
    if (!s) return;
    const shared = await api.share(s.sessionId);
    const link = shareLink(shared.share.shareId);
    let copied = false;
    try {
      await navigator.clipboard.writeText(link);
      copied = true;
    } catch {
      // No clipboard permission: the link is shown to copy by hand.
    }
    changed({ ...s, share: shared.share });
    status(`${copied ? 'Link copied' : 'Share link'}: ${link}`);
  }));
  $('delete').addEventListener('click', () => guarded(async () => {
    const s = current();
    if (!s) return;
    if (!window.confirm(`Delete “${s.title || 'Untitled chat'}” and its messages?`)) return;
    await api.deleteSession(s.sessionId);
    status('');
    changed(null);
  }));
}

/** Shows or hides the controls for `session`. */
export function showActions(session) {
  $('session-actions').hidden = !session;
  $('rename-form').hidden = true;
  $('session-status').textContent = '';
  if (session) $('pin').textContent = session.pinned ? 'Unpin' : 'Pin';
}
