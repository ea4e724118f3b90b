// The chat's own controls in headless Chromium against the real local
// server (fake model): rename, pin, share (the link opens the chat
// read-only for another user), delete, stop, infinite scroll over chats and
// messages, a tool that asks for consent, and cited sources.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, tokenOf, apiGet, BASE } from './harness.mjs';

let browser;
let page;

async function api(method, path, token, body) {
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = text; }
  return { status: response.status, body: json };
}

async function adminToken() {
  const reply = await fetch(`${BASE}/dev/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ userId: 'root', userType: 'internal-user', roles: ['pika:site-admin'] }),
  });
  return (await reply.json()).token;
}

async function ask(p, text) {
  await p.getByLabel('Ready to chat').fill(text);
  await p.getByRole('button', { name: 'Send' }).click();
}

before(async () => {
  browser = await launch();
  page = await browser.page();
  await signIn(page, 'gina');
});

after(async () => {
  await browser?.close();
});

test('rename, pin, share and delete the open chat', async () => {
  await ask(page, 'Tell me about quokkas');
  await page.locator('.msg.assistant[aria-busy="false"]').last().waitFor();
  const toolbar = page.getByRole('toolbar', { name: 'This chat' });
  await toolbar.waitFor();

  await toolbar.getByRole('button', { name: 'Rename' }).click();
  await page.getByLabel('Chat title').fill('Quokka notes');
  await page.getByRole('button', { name: 'Save title' }).click();
  await page.getByRole('heading', { name: 'Quokka notes' }).waitFor();
  await page.locator('#sessions button', { hasText: 'Quokka notes' }).waitFor();

  await toolbar.getByRole('button', { name: 'Pin', exact: true }).click();
  await page.locator('#sessions button', { hasText: 'Pinned: Quokka notes' }).waitFor();
  await toolbar.getByRole('button', { name: 'Unpin' }).waitFor();

  await toolbar.getByRole('button', { name: 'Share' }).click();
  const status = page.locator('#session-status');
  await status.filter({ hasText: '/#shared/' }).waitFor();
  const link = (await status.textContent()).split(': ').pop().trim();
  assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/#shared\/[^/]+$/);

  // Another user opens the link: the chat, read-only.
  const other = await launch();
  try {
    const p = await other.page();
    await signIn(p, 'hank');
    await p.goto(link);
    await p.reload();
    await p.getByRole('heading', { name: 'Shared: Quokka notes' }).waitFor();
    await p.locator('.msg.user', { hasText: 'Tell me about quokkas' }).waitFor();
    assert.equal(await p.locator('#composer').isVisible(), false, 'read-only');
    assert.equal(await p.getByRole('button', { name: 'Helpful', exact: true }).count(), 0);
  } finally {
    await other.close();
  }

  const sessionId = await page.locator('#sessions button[aria-current="true"]').getAttribute('data-session-id');
  page.once('dialog', (d) => d.accept());
  await toolbar.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('heading', { name: 'New chat' }).waitFor();
  await page.locator('#sessions button', { hasText: 'Quokka notes' }).waitFor({ state: 'detached' });
  assert.equal((await apiGet(`/sessions/${sessionId}`, await tokenOf(page))).status, 404);
});

test('stop ends a running answer', async () => {
  await page.getByRole('button', { name: 'New chat' }).click();
  await ask(page, '[stall] please');
  await page.locator('.msg.assistant .answer-text', { hasText: 'Partial answer' }).waitFor();
  await page.getByRole('button', { name: 'Stop' }).click();
  await page.locator('.msg.assistant[aria-busy="false"]').last().waitFor();
  await page.locator('.msg.assistant').last().getByText('Stopped.').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Stop' }).isVisible(), false);
});

test('chats and messages load page by page as the user scrolls', async () => {
  const other = await launch({ width: 1200, height: 700 });
  try {
    const p = await other.page();
    await signIn(p, 'ivan');
    const token = await tokenOf(p);
    for (let i = 0; i < 24; i += 1) {
      const made = await api('POST', '/sessions', token, { chatAppId: 'demo' });
      assert.equal(made.status, 201, JSON.stringify(made.body));
    }
    // One chat with 26 turns: 52 messages, more than a page of 50 (past
    // the default burst of turns: the site's fair use is raised meanwhile).
    const admin = await adminToken();
    const site = (await api('GET', '/admin/site', admin)).body;
    const raised = structuredClone(site.config);
    raised.fairUse = { ...(raised.fairUse || {}), userTurnBurst: 100, userTurnsPerMinute: 600 };
    const put = await api('PUT', '/admin/site', admin, { config: raised, version: site.version });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const long = await api('POST', '/sessions', token, { chatAppId: 'demo' });
    const id = long.body.sessionId;
    try {
      for (let i = 1; i <= 26; i += 1) {
        const r = await fetch(`${BASE}/sessions/${id}/messages`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ message: `Question number ${i}` }),
        });
        const text = await r.text();
        assert.equal(r.status, 200, text);
      }
    } finally {
      const now = (await api('GET', '/admin/site', admin)).body;
      await api('PUT', '/admin/site', admin, { config: site.config, version: now.version });
    }
    const pages = [];
    p.on('request', (r) => { if (r.url().includes('cursor=')) pages.push(new URL(r.url()).pathname); });
    await p.reload();
    // 20 chats a page: the rest come as the list's end scrolls into view.
    await p.locator('#sessions button.session').first().waitFor();
    // (The list may load the next page, and redraw, before this scroll.)
    await p.locator('#sessions li').last().scrollIntoViewIfNeeded({ timeout: 5000 }).catch(() => {});
    await p.waitForFunction(() => document.querySelectorAll('#sessions button.session').length === 25);
    assert.equal(await p.locator('#more-sessions').count(), 0, 'no more pages');
    assert.deepEqual(pages, ['/sessions'], 'the second page was fetched with its cursor');

    // 50 messages a page: the last turn comes when the end is reached.
    await p.locator(`#sessions button[data-session-id="${id}"]`).click();
    await p.locator('.msg.user', { hasText: 'Question number 25' }).waitFor();
    // Scrolling to the end shows the "load later messages" button, which
    // loads the next page by itself (it may have done so already).
    await p.locator('.more-messages').scrollIntoViewIfNeeded({ timeout: 5000 }).catch(() => {});
    await p.locator('.msg.user', { hasText: 'Question number 26' }).waitFor();
    assert.equal(await p.locator('.msg').count(), 52);
    assert.equal(await p.locator('.more-messages').count(), 0);
    assert.ok(pages.includes(`/sessions/${id}/messages`), JSON.stringify(pages));
  } finally {
    await other.close();
  }
});

test('a tool that asks first runs once the user allows it', async () => {
  const admin = await adminToken();
  const tools = await api('GET', '/admin/tools', admin);
  const tool = tools.body.items.find((t) => t.name === 'current_time');
  const asking = structuredClone(tool);
  for (const f of asking.functionSchema) f.requireConfirmation = true;
  const saved = await api('PUT', `/admin/tools/${tool.toolId}`, admin, asking);
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  try {
    await page.getByRole('button', { name: 'New chat' }).click();
    await ask(page, 'What time is it in Tokyo?');
    const consent = page.getByRole('group', { name: 'Allow current_time?' });
    await consent.waitFor();
    await consent.getByText('Asia/Tokyo').waitFor();
    await consent.getByRole('button', { name: 'Allow' }).click();
    await consent.getByText('Allowed.').waitFor();
    await page.locator('.msg.assistant .answer-text', { hasText: 'Asia/Tokyo right now' }).waitFor();
  } finally {
    const back = await api('GET', `/admin/tools/${tool.toolId}`, admin);
    for (const f of back.body.functionSchema) f.requireConfirmation = false;
    await api('PUT', `/admin/tools/${tool.toolId}`, admin, back.body);
  }
});

test('an answer from a knowledge base lists its sources', async () => {
  const admin = await adminToken();
  const agent = (await api('GET', '/admin/agents/demo-agent', admin)).body;
  const original = structuredClone(agent);
  agent.knowledgeBases = [{ knowledgeBaseId: 'handbook', description: 'Quokka handbook' }];
  const saved = await api('PUT', '/admin/agents/demo-agent', admin, agent);
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  try {
    await page.getByRole('button', { name: 'New chat' }).click();
    await ask(page, '[kb] quokka habitat');
    const answer = page.locator('.msg.assistant').last();
    await answer.locator('.answer-text', { hasText: 'According to quokkas.md' }).waitFor();
    await answer.getByRole('heading', { name: 'Sources' }).waitFor();
    await answer.locator('.source', { hasText: 'quokkas.md' }).waitFor();
    await answer.locator('.excerpt', { hasText: 'Quokkas live on Rottnest Island' }).waitFor();
    const id = await page.locator('#sessions button[aria-current="true"]').getAttribute('data-session-id');
    // Stored with the answer: shown again when the chat is reopened.
    await page.reload();
    await page.locator(`#sessions button[data-session-id="${id}"]`).click();
    await page.locator('.msg.assistant .source', { hasText: 'quokkas.md' }).waitFor();
  } finally {
    const current = (await api('GET', '/admin/agents/demo-agent', admin)).body;
    original.version = current.version;
    await api('PUT', '/admin/agents/demo-agent', admin, original);
  }
});

test('a tag the chat app defines is drawn by its component; an unknown tag stays text', async () => {
  const admin = await adminToken();
  const module = [
    "customElements.define('pika-chart', class extends HTMLElement {",
    '  connectedCallback() {',
    '    const values = JSON.parse(this.textContent).values;',
    "    this.setAttribute('role', 'img');",
    '    this.textContent = `Chart of ${values.length} values`;',
    '  }',
    '});',
  ].join('\n');
  const stored = await fetch(`${BASE}/admin/components/chart.js`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'text/javascript' },
    body: module,
  });
  assert.equal(stored.status, 204, await stored.text());
  const tag = { tag: 'chart', description: 'A bar chart.', component: { element: 'pika-chart', module: 'chart.js' } };
  const saved = await api('PUT', '/admin/tags/chart', admin, tag);
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  try {
    await page.reload();
    await page.getByRole('button', { name: 'New chat' }).click();
    // The fake model repeats the question, a word at a time: the tag
    // arrives in pieces and is drawn once whole.
    await ask(page, 'Draw <chart>{"values": [4, 8, 15]}</chart> and <nope>kept</nope>');
    const answer = page.locator('.msg.assistant').last();
    await answer.locator('pika-chart', { hasText: 'Chart of 3 values' }).waitFor();
    await answer.locator('.answer-text', { hasText: '<nope>kept</nope>' }).waitFor();
    assert.equal(await answer.locator('nope').count(), 0, 'an unknown tag is never an element');
    const id = await page.locator('#sessions button[aria-current="true"]').getAttribute('data-session-id');
    await page.reload();
    await page.locator(`#sessions button[data-session-id="${id}"]`).click();
    await page.locator('.msg.assistant pika-chart', { hasText: 'Chart of 3 values' }).waitFor();
  } finally {
    await api('DELETE', '/admin/tags/chart', admin);
  }
});
