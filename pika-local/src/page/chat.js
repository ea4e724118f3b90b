// The conversation view: messages, the streamed answer, tool calls and
// traces folded under it, verification and correction, feedback.

import { renderAnswer } from './tags.js';

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function pretty(value) {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** A user's message. */
export function userBubble(log, text) {
  const item = el('article', 'msg user');
  item.append(el('h3', 'sr-only', 'You said'), el('p', 'text', text));
  log.append(item);
  return item;
}

/**
 * An assistant answer: `update` renders new text, `event` takes stream
 * events, `finish` adds the feedback buttons. `onConfirm(toolUseId,
 * approve)` answers a tool's request for consent; `tags` are the chat
 * app's, drawn by their components.
 */
export function answerBubble(log, { onFeedback, onConfirm, tags } = {}) {
  const item = el('article', 'msg assistant');
  item.setAttribute('aria-busy', 'true');
  item.append(el('h3', 'sr-only', 'Pika answered'));
  const body = el('div', 'markdown answer-text');
  const badges = el('p', 'badges');
  badges.hidden = true;
  const correction = el('section', 'correction');
  correction.hidden = true;
  correction.append(el('h4', '', 'Correction'));
  const correctionBody = el('div', 'markdown correction-text');
  correction.append(correctionBody);
  const details = el('details', 'steps');
  details.hidden = true;
  const summary = el('summary', '', 'Tool calls and traces');
  const steps = el('ol', 'step-list');
  details.append(summary, steps);
  const sources = el('section', 'sources');
  sources.hidden = true;
  sources.append(el('h4', '', 'Sources'));
  const sourceList = el('ol', 'source-list');
  sources.append(sourceList);
  const footer = el('div', 'answer-footer');
  item.append(body, correction, badges, sources, details, footer);
  log.append(item);

  let text = '';
  let corrected = '';
  let inCorrection = false;
  const render = () => {
    renderAnswer(body, text, tags);
    renderAnswer(correctionBody, corrected, tags);
    if (item.getAttribute('aria-busy') === 'true') item.scrollIntoView({ block: 'nearest' });
  };
  const step = (title, value) => {
    details.hidden = false;
    const li = el('li');
    li.append(el('strong', '', title));
    const shown = pretty(value);
    if (shown) li.append(el('pre', 'step-detail', shown));
    steps.append(li);
    summary.textContent = `Tool calls and traces (${steps.children.length})`;
  };
  const cite = (citations) => {
    for (const c of citations || []) {
      sources.hidden = false;
      const li = el('li');
      li.append(el('strong', 'source', c.source || 'source'));
      if (c.excerpt) li.append(el('p', 'muted excerpt', c.excerpt));
      sourceList.append(li);
    }
  };
  const askConsent = (data) => {
    const box = el('section', 'confirm');
    box.setAttribute('role', 'group');
    box.setAttribute('aria-label', `Allow ${data.toolName}?`);
    box.append(el('p', '', `The assistant wants to run ${data.toolName}. Allow it?`));
    const shown = pretty(data.input);
    if (shown) box.append(el('pre', 'step-detail', shown));
    const status = el('span', 'muted confirm-status');
    status.setAttribute('aria-live', 'polite');
    const buttons = [];
    for (const [approve, label] of [[true, 'Allow'], [false, 'Decline']]) {
      const button = el('button', approve ? 'allow' : 'decline secondary', label);
      button.type = 'button';
      button.addEventListener('click', async () => {
        for (const b of buttons) b.disabled = true;
        status.textContent = 'Sending…';
        try {
          await onConfirm(data.toolUseId, approve);
          status.textContent = approve ? 'Allowed.' : 'Declined.';
        } catch (e) {
          status.textContent = `The answer could not be sent: ${e.message}`;
          for (const b of buttons) b.disabled = false;
        }
      });
      buttons.push(button);
    }
    box.append(...buttons, status);
    item.insertBefore(box, footer);
  };
  const badge = (stage, grade, explanation) => {
    badges.hidden = false;
    const b = el('span', `badge grade-${String(grade).toLowerCase()}`, `${stage === 'correction' ? 'Correction' : 'Verified'}: ${grade}`);
    if (explanation) b.title = explanation;
    badges.append(b);
    if (explanation) badges.append(el('span', 'muted explanation', explanation));
  };

  return {
    node: item,
    setText(t) {
      text = t || '';
      render();
    },
    event(name, data) {
      switch (name) {
        case 'delta':
          if (inCorrection) corrected += data.text || '';
          else text += data.text || '';
          render();
          break;
        case 'tool_call':
          step(`Tool call: ${data.toolName}`, data.input);
          break;
        case 'tool_result':
          step(`Tool result${data.ok === false ? ' (failed)' : ''}`, data.output);
          break;
        case 'trace':
          if (data.kind === 'citations') cite(data.detail);
          else step(`Trace: ${data.kind || 'step'}`, data.detail);
          break;
        case 'confirmation_required':
          if (onConfirm) askConsent(data);
          break;
        case 'verification':
          badge(data.stage, data.grade, data.explanation);
          break;
        case 'correction_start':
          inCorrection = true;
          correction.hidden = false;
          break;
        case 'usage':
          footer.append(el('span', 'muted usage', `${data.inputTokens ?? 0} tokens in, ${data.outputTokens ?? 0} out`));
          break;
        case 'error':
          item.append(el('p', 'error inline', data.message || 'The answer failed.'));
          break;
        default:
          break;
      }
    },
    toolCalls(calls) {
      for (const c of calls || []) {
        step(`Tool call: ${c.toolName || c.name || 'tool'}`, c.input);
        if (c.output !== undefined) step('Tool result', c.output);
      }
    },
    citations(list) {
      cite(list);
    },
    verifications(v) {
      if (v && v.main) badge('main', v.main.grade, v.main.explanation);
      if (v && v.correction) badge('correction', v.correction.grade, v.correction.explanation);
    },
    finish(messageId, stopped) {
      item.setAttribute('aria-busy', 'false');
      if (stopped) footer.append(el('span', 'muted', 'Stopped.'));
      if (!messageId || !onFeedback) return;
      const group = el('span', 'feedback');
      group.setAttribute('role', 'group');
      group.setAttribute('aria-label', 'Was this answer helpful?');
      const status = el('span', 'muted feedback-status');
      status.setAttribute('aria-live', 'polite');
      for (const [kind, label] of [['thumbs_up', 'Helpful'], ['thumbs_down', 'Not helpful']]) {
        const button = el('button', `thumb ${kind}`, label);
        button.type = 'button';
        button.setAttribute('aria-label', label);
        button.addEventListener('click', async () => {
          status.textContent = 'Sending…';
          try {
            await onFeedback(kind, messageId);
            status.textContent = 'Thanks for the feedback.';
            for (const b of group.querySelectorAll('button')) b.setAttribute('aria-pressed', String(b === button));
          } catch (e) {
            status.textContent = `Feedback failed: ${e.message}`;
          }
        });
        group.append(button);
      }
      footer.append(group, status);
    },
  };
}
