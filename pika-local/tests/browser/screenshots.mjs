// Saves PNGs of the chat page's main screens into docs/screenshots/ (at the
// repository root). Needs a running local server at PIKA_URL; run through
// `PIKA_SCREENSHOTS=1 cargo test -p pika-local --test browser_page`,
// which starts one with a fake model.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, signIn } from './harness.mjs';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/screenshots');
mkdirSync(OUT, { recursive: true });

async function shoot(page, name) {
  await page.screenshot({ path: join(OUT, `${name}.png`) });
  console.log(`saved docs/screenshots/${name}.png`);
}

const desktop = await launch({ width: 1100, height: 700 });
try {
  const page = await desktop.page();
  await page.goto('/');
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await page.getByLabel('User id').fill('carol');
  await shoot(page, 'sign-in');

  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'What time is it in Tokyo?' }).waitFor();
  await shoot(page, 'new-chat');

  await page.getByRole('button', { name: 'What time is it in Tokyo?' }).click();
  await page.locator('.msg.assistant[aria-busy="false"]').waitFor();
  await page.locator('details.steps summary').click();
  await page.getByLabel('Ready to chat').fill('Show me **Markdown** with `code`');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.locator('.msg.assistant[aria-busy="false"]').nth(1).waitFor();
  await shoot(page, 'conversation');

  await page.getByLabel('Search your chats').fill('Markdown');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.locator('#search-results li').first().waitFor();
  await shoot(page, 'search');
} finally {
  await desktop.close();
}

const phone = await launch({ width: 390, height: 800 });
try {
  const page = await phone.page();
  await signIn(page, 'carol');
  await page.locator('#sessions button').first().click();
  await page.locator('.msg.assistant').first().waitFor();
  await shoot(page, 'phone');
} finally {
  await phone.close();
}
