// Page behaviour the fake model cannot trigger (verification, correction,
// disclaimer, API errors): the real server serves the page and signs in,
// and Playwright answers the chosen API calls itself.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, signIn } from './harness.mjs';

let browser;
let page;

const sse = (events) => events.map(([name, data]) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`).join('');

before(async () => {
  browser = await launch();
  page = await browser.page();
  await page.route('**/chatapps', async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    for (const app of body.items) {
      app.features.chatDisclaimerNotice = { enabled: true, notice: 'Answers may be wrong; check them.' };
      app.features.promptInputFieldLabel = 'Ask the demo';
    }
    await route.fulfill({ response, json: body });
  });
  await signIn(page, 'dora');
});

after(async () => {
  await browser?.close();
});

test('the disclaimer and the prompt label follow the features', async () => {
  await page.getByText('Answers may be wrong; check them.').waitFor();
  await page.getByLabel('Ask the demo').waitFor();
});

test('a verification badge and the correction section are shown', async () => {
  await page.route('**/chat/*/messages', (route) => route.fulfill({
    status: 200,
    headers: { 'content-type': 'text/event-stream' },
    body: sse([
      ['session', { sessionId: 's-1', userMessageId: 'u-1', assistantMessageId: 'a-1' }],
      ['delta', { text: 'The moon is made of cheese.' }],
      ['verification', { stage: 'main', grade: 'F', explanation: 'It is rock.' }],
      ['correction_start', {}],
      ['delta', { text: 'Correction: the moon is **rock**.' }],
      ['verification', { stage: 'correction', grade: 'A', explanation: 'Accurate.' }],
      ['usage', { inputTokens: 3, outputTokens: 4, totalCost: 0 }],
      ['done', { userMessageId: 'u-1', assistantMessageId: 'a-1' }],
    ]),
  }));
  await page.getByLabel('Ask the demo').fill('What is the moon made of?');
  await page.getByRole('button', { name: 'Send' }).click();
  const answer = page.locator('.msg.assistant[aria-busy="false"]');
  await answer.waitFor();
  assert.equal((await answer.locator('.answer-text').textContent()).trim(), 'The moon is made of cheese.');
  await answer.getByRole('heading', { name: 'Correction' }).waitFor();
  await answer.locator('.correction-text strong', { hasText: 'rock' }).waitFor();
  await answer.getByText('Verified: F').waitFor();
  await answer.getByText('Correction: A').waitFor();
  await page.unroute('**/chat/*/messages');
});

test('an API error is shown in words', async () => {
  await page.route('**/chat/*/messages', (route) => route.fulfill({
    status: 503,
    contentType: 'application/problem+json',
    body: JSON.stringify({ type: 'about:blank', title: 'Model unavailable', status: 503, code: 'model_unavailable', detail: 'No model is configured: set PIKA_MODEL_BASE_URL.' }),
  }));
  await page.getByRole('button', { name: 'New chat' }).click();
  await page.getByLabel('Ask the demo').fill('Hello?');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.getByRole('alert').getByText('No model is configured: set PIKA_MODEL_BASE_URL.').waitFor();
  await page.unroute('**/chat/*/messages');
});
