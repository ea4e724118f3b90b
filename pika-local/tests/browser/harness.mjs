// Starts headless Debian Chromium through playwright-core (no browser
// download) with a fresh profile, against the server at PIKA_URL.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BASE = process.env.PIKA_URL || 'http://127.0.0.1:8787';
const EXECUTABLE = process.env.CHROMIUM || '/usr/bin/chromium';

export const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
];

/** A persistent context on a fresh user-data-dir; `close()` removes it. */
export async function launch(viewport = { width: 1200, height: 800 }) {
  const profile = mkdtempSync(join(tmpdir(), 'pika-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: EXECUTABLE,
    headless: true,
    args: ARGS,
    viewport,
    baseURL: BASE,
  });
  const errors = [];
  context.on('weberror', (e) => errors.push(String(e.error())));
  return {
    context,
    errors,
    async page() {
      const page = await context.newPage();
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in on `page` as `user`. */
export async function signIn(page, user, type = 'internal-user') {
  await page.goto('/');
  await page.getByLabel('User id').fill(user);
  await page.getByLabel('User type').selectOption(type);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(`Signed in as ${user}`).waitFor();
}

/** The token the page keeps in sessionStorage. */
export function tokenOf(page) {
  return page.evaluate(() => sessionStorage.getItem('pika.token'));
}

/** A JSON API call from Node with `token`. */
export async function apiGet(path, token) {
  const response = await fetch(`${BASE}${path}`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: response.status, body: await response.json().catch(() => null) };
}
