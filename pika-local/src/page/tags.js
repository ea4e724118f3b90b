// Tags in answers (PIKA.md §4 `tags`): where the chat app defines a tag,
// `<chart>{"values": [1, 2]}</chart>` in an answer becomes the tag's web
// component (a custom element from `/components/{module}`), or a labelled
// block when it has none. Any other tag stays text: the Markdown renderer
// escapes it like everything else.

import { renderMarkdown } from './markdown.js';

const loaded = new Map();

/** Loads a component module once; a module that fails is reported once. */
function load(module) {
  if (!loaded.has(module)) {
    loaded.set(
      module,
      import(`/components/${encodeURIComponent(module)}`).catch((e) => {
        console.warn(`component ${module} could not be loaded`, e);
      }),
    );
  }
  return loaded.get(module);
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}

/** `name="value"` pairs of an opening tag; event handlers are dropped. */
function attributes(raw) {
  const out = [];
  for (const m of raw.matchAll(/([a-z][a-z0-9-]*)\s*=\s*"([^"]*)"/g)) {
    if (!m[1].startsWith('on')) out.push([m[1], m[2]]);
  }
  return out;
}

/**
 * `text` cut into text and tag pieces: `{ text }` or `{ tag, attrs,
 * content, open }` for the tags of `known` (names). A tag whose closing
 * tag has not arrived yet (a streamed answer) is `open`.
 */
export function splitTags(text, known) {
  const names = [...known].filter((n) => /^[a-z][a-z0-9._-]*$/.test(n));
  if (!names.length) return [{ text }];
  const opening = new RegExp(`<(${names.map(escapeRegExp).join('|')})((?:\\s+[^<>]*)?)>`, 'g');
  const pieces = [];
  let at = 0;
  for (;;) {
    opening.lastIndex = at;
    const m = opening.exec(text);
    if (!m) break;
    const close = `</${m[1]}>`;
    const end = text.indexOf(close, opening.lastIndex);
    if (m.index > at) pieces.push({ text: text.slice(at, m.index) });
    if (end < 0) {
      pieces.push({ tag: m[1], attrs: attributes(m[2]), content: text.slice(opening.lastIndex), open: true });
      return pieces;
    }
    pieces.push({ tag: m[1], attrs: attributes(m[2]), content: text.slice(opening.lastIndex, end), open: false });
    at = end + close.length;
  }
  if (at < text.length) pieces.push({ text: text.slice(at) });
  return pieces;
}

function tagNode(piece, definition) {
  const component = definition.component;
  if (piece.open) {
    const pending = document.createElement('span');
    pending.className = 'tag-pending muted';
    pending.textContent = '…';
    return pending;
  }
  if (component) {
    load(component.module);
    const node = document.createElement(component.element);
    for (const [k, v] of piece.attrs) node.setAttribute(k, v);
    node.className = 'tag-component';
    node.dataset.tag = piece.tag;
    // The component reads its content as text: nothing in it is parsed as HTML.
    node.textContent = piece.content.trim();
    return node;
  }
  const block = document.createElement('div');
  block.className = 'tag-block';
  block.dataset.tag = piece.tag;
  const label = document.createElement('span');
  label.className = 'tag-label muted';
  label.textContent = piece.tag;
  const content = document.createElement('div');
  content.className = 'markdown';
  content.innerHTML = renderMarkdown(piece.content.trim());
  block.append(label, content);
  return block;
}

/** Renders `text` into `container`, with the chat app's `tags` drawn. */
export function renderAnswer(container, text, tags) {
  const byName = new Map((tags || []).map((t) => [t.tag, t]));
  const pieces = splitTags(String(text || ''), byName.keys());
  if (pieces.length === 1 && pieces[0].text !== undefined) {
    container.innerHTML = renderMarkdown(pieces[0].text);
    return;
  }
  container.replaceChildren();
  for (const piece of pieces) {
    if (piece.text !== undefined) {
      if (!piece.text.trim()) continue;
      const part = document.createElement('div');
      part.innerHTML = renderMarkdown(piece.text);
      container.append(...part.childNodes);
    } else {
      container.append(tagNode(piece, byName.get(piece.tag)));
    }
  }
}
