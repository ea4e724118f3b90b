// End-to-end tests of the chat page in headless Chromium against the real
// local server (started by tests/browser_page.rs with a fake model).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn, tokenOf, apiGet, BASE } from './harness.mjs';

const QUESTION = 'Hello from the browser';
const ANSWER = `You asked: ${QUESTION} Pika answers with quokka facts.`;
const TITLE = 'Friendly local test chat';

let browser;
let page;
let sessionId;

before(async () => {
  browser = await launch();
  page = await browser.page();
});

after(async () => {
  await browser?.close();
});

test('the page is served with a strict CSP and nosniff', async () => {
  for (const path of ['/', '/assets/app.js', '/assets/style.css']) {
    const response = await fetch(`${BASE}${path}`);
    assert.equal(response.status, 200, path);
    const csp = response.headers.get('content-security-policy') || '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  }
  assert.equal((await fetch(`${BASE}/assets/nope.js`)).status, 404);
});

test('a bad token is explained in words and leads back to sign-in', async () => {
  await page.goto('/');
  await page.evaluate(() => {
    sessionStorage.setItem('pika.token', 'not-a-token');
    sessionStorage.setItem('pika.user', 'nobody');
  });
  await page.reload();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.ok((await alert.textContent()).trim().length > 10, 'the error has words');
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
});

test('sign in, see the chat apps and suggestions, chat with a streamed answer', async () => {
  browser.errors.length = 0;
  await signIn(page, 'alice');
  const apps = page.getByLabel('Chat app');
  assert.equal(await apps.locator('option').first().textContent(), 'Pika demo');
  await page.getByRole('button', { name: 'What time is it in Tokyo?' }).waitFor();

  await page.getByLabel('Ready to chat').fill(QUESTION);
  await page.getByLabel('Ready to chat').press('Enter');
  const answer = page.locator('.msg.assistant').last();
  // Part of the answer is shown while the turn is still running.
  await page.locator('.msg.assistant[aria-busy="true"] .answer-text', { hasText: 'You asked:' }).waitFor();
  await page.locator('.msg.assistant[aria-busy="false"]').waitFor();
  assert.equal((await answer.locator('.answer-text').textContent()).trim(), ANSWER);
  await page.getByRole('heading', { name: TITLE }).waitFor();
  sessionId = await page.locator('#sessions button[aria-current="true"]').getAttribute('data-session-id');
  assert.ok(sessionId, 'the new session is listed and current');
  assert.deepEqual(browser.errors.filter((e) => !e.startsWith('Failed to load resource')), []);
});

test('after a reload the session is listed and opens with its messages', async () => {
  await page.reload();
  const item = page.locator('#sessions button', { hasText: TITLE });
  await item.waitFor();
  await item.click();
  await page.locator('.msg.user', { hasText: QUESTION }).waitFor();
  await page.locator('.msg.assistant .answer-text', { hasText: ANSWER }).waitFor();
});

test('search finds the session', async () => {
  await page.getByLabel('Search your chats').fill('browser');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const hit = page.locator(`#search-results button[data-session-id="${sessionId}"]`);
  await hit.waitFor();
});

test('thumbs up is stored', async () => {
  const answer = page.locator('.msg.assistant').first();
  await answer.getByRole('button', { name: 'Helpful', exact: true }).click();
  await answer.getByText('Thanks for the feedback.').waitFor();
  const token = await tokenOf(page);
  const insight = await apiGet(`/insights/${sessionId}`, token);
  assert.equal(insight.status, 200, JSON.stringify(insight.body));
  const kinds = (insight.body.feedback || []).map((f) => f.kind);
  assert.ok(kinds.includes('thumbs_up'), JSON.stringify(insight.body));
});

test('tool calls are folded under the answer', async () => {
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByRole('button', { name: 'What time is it in Tokyo?' }).click();
  const answer = page.locator('.msg.assistant').last();
  await answer.locator('.answer-text', { hasText: 'Asia/Tokyo right now' }).waitFor();
  const steps = answer.locator('details.steps');
  assert.equal(await steps.getAttribute('open'), null, 'folded');
  await steps.locator('summary').click();
  await steps.getByText('Tool call: current_time').waitFor();
});

test('model output is rendered as safe Markdown', async () => {
  await page.getByRole('button', { name: 'New chat' }).click();
  const evil = '<img src=x id=pwned> **bold** `code` [ok](https://example.com) [bad](javascript:alert(1))';
  await page.getByLabel('Ready to chat').fill(evil);
  await page.getByRole('button', { name: 'Send' }).click();
  const answer = page.locator('.msg.assistant[aria-busy="false"]').last();
  await answer.waitFor();
  await answer.locator('strong', { hasText: 'bold' }).waitFor();
  assert.equal(await page.locator('#pwned').count(), 0);
  assert.equal(await answer.locator('img').count(), 0);
  assert.equal(await answer.locator('a[href^="javascript"]').count(), 0);
  assert.equal(await answer.locator('a[href="https://example.com"]').count(), 1);
});

test('a file is uploaded through the presigned URL', async () => {
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByLabel('Attach a file').setInputFiles({
    name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from('quokkas are marsupials'),
  });
  await page.getByText('Attached: note.txt').waitFor();
  await page.getByLabel('Ready to chat').fill('Summarise my note');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.locator('.msg.assistant[aria-busy="false"]').last().waitFor();
  assert.equal(await page.locator('#error').isVisible(), false, await page.locator('#error').textContent());
});

test('another user does not see the session', async () => {
  const other = await launch();
  try {
    const bobPage = await other.page();
    await signIn(bobPage, 'bob');
    await bobPage.getByText('No chats yet.').waitFor();
    assert.equal(await bobPage.locator('#sessions button', { hasText: TITLE }).count(), 0);
    await bobPage.getByLabel('Search your chats').fill('browser');
    await bobPage.getByRole('button', { name: 'Search', exact: true }).click();
    await bobPage.getByText('Nothing found for').waitFor();
    const token = await tokenOf(bobPage);
    assert.equal((await apiGet(`/sessions/${sessionId}/messages`, token)).status, 404);
  } finally {
    await other.close();
  }
});

test('the page fits a phone screen', async () => {
  const phone = await launch({ width: 375, height: 740 });
  try {
    const p = await phone.page();
    await signIn(p, 'alice');
    await p.getByRole('button', { name: 'New chat' }).waitFor();
    const width = await p.evaluate(() => document.documentElement.scrollWidth);
    const wide = await p.evaluate(() => [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > 375)
      .map((e) => `${e.tagName}#${e.id}.${e.className} ${e.getBoundingClientRect().right}`));
    assert.ok(width <= 375, `scroll width ${width}: ${wide.join(', ')}`);
  } finally {
    await phone.close();
  }
});
