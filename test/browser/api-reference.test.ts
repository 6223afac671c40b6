import { serve } from '@hono/node-server';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPolicyRefusals, launchChromium, SCREENSHOT_DIR } from '../helpers/browser';
import { freePort } from '../helpers/free-port';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe('the API reference (/docs) in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  let server: ReturnType<typeof serve>;

  beforeAll(async () => {
    // "Try it out" sends to the document's server, PUBLIC_URL: serve at the address it names.
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    t = await startTestApp({ env: { PUBLIC_URL: url } });
    server = serve({ fetch: t.app.fetch, port, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await t?.close();
  });

  it('renders every operation and runs one with "Try it out", with nothing refused by its policy', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const refused: string[] = [];
    collectPolicyRefusals(page, refused);
    const response = await page.goto(`${url}/docs`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");

    await page.locator('.opblock').first().waitFor();
    expect(await page.locator('.opblock').count()).toBeGreaterThan(50);

    await page.locator('button.authorize').click();
    const apiKey = page.locator('.auth-container', { hasText: 'apiKey' });
    await apiKey.locator('input').fill(t.adminKey);
    await apiKey.locator('button.authorize').click();
    await apiKey.locator('button.btn-done').click();

    const jobRuns = page.locator('.opblock-get', {
      has: page.locator('.opblock-summary-path', { hasText: /^\/v1\/job-runs$/ }),
    });
    await jobRuns.locator('.opblock-summary-control').click();
    await jobRuns.locator('button.try-out__btn').click();
    await jobRuns.locator('button.execute').click();
    const status = jobRuns.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor();
    expect((await status.textContent())?.trim()).toBe('200');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/api-reference.png`, fullPage: false });
    await page.close();
    expect(refused).toEqual([]);
  });
});
