import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { serve } from '@hono/node-server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { collectPolicyRefusals, launchChromium, SCREENSHOT_DIR } from '../helpers/browser';
import { freePort } from '../helpers/free-port';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe('the API reference (/docs) in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  let server: ReturnType<typeof serve>;
  // The page Workers send, which loads Swagger UI from unpkg.
  let workersUrl: string;
  let workersServer: ReturnType<typeof serve>;

  beforeAll(async () => {
    // "Try it out" sends to the document's server, PUBLIC_URL: serve at the address it names.
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    t = await startTestApp({ env: { PUBLIC_URL: url } });
    server = serve({ fetch: t.app.fetch, port, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const workersPort = await freePort();
    workersUrl = `http://127.0.0.1:${workersPort}`;
    workersServer = serve({
      fetch: createApp(t.deps).fetch,
      port: workersPort,
      hostname: '127.0.0.1',
    });
    await new Promise<void>((resolve) => workersServer.once('listening', () => resolve()));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) =>
      workersServer ? workersServer.close(() => resolve()) : resolve(),
    );
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

  it('on Workers, runs Swagger UI from the CDN while it serves the installed files', async () => {
    const page = await browser.newPage();
    const refused: string[] = [];
    collectPolicyRefusals(page, refused);
    page.on('console', (message) => {
      if (/integrity/i.test(message.text())) refused.push(message.text());
    });
    await serveUnpkgFromInstalledPackage(page);
    await page.goto(`${workersUrl}/docs`);
    await page.locator('.opblock').first().waitFor();
    expect(await page.locator('.opblock').count()).toBeGreaterThan(50);
    // The stylesheet applied too: Swagger UI's rules round its operation blocks.
    const corner = "getComputedStyle(document.querySelector('.opblock')).borderTopLeftRadius";
    expect(await page.evaluate<string>(corner)).toBe('4px');
    await page.close();
    expect(refused).toEqual([]);
  });

  it('on Workers, runs no script the CDN altered: the browser checks it against its hash', async () => {
    const page = await browser.newPage();
    const messages: string[] = [];
    page.on('console', (message) => messages.push(message.text()));
    await serveUnpkgFromInstalledPackage(page, (name, body) =>
      name === 'swagger-ui-bundle.js'
        ? Buffer.concat([body, Buffer.from('\nwindow.altered = true;\n')])
        : body,
    );
    await page.goto(`${workersUrl}/docs`, { waitUntil: 'load' });
    // A script runs before the load event: neither the added line nor Swagger UI ran.
    expect(await page.evaluate<boolean>("'altered' in window")).toBe(false);
    expect(await page.evaluate<string>('typeof SwaggerUIBundle')).toBe('undefined');
    expect(messages.join('\n')).toMatch(/integrity/i);
    await page.close();
  });
});

const SWAGGER_UI_DIST = dirname(
  createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'),
);

/**
 * Answers the page's requests to unpkg.com from the installed package through `alter`: the
 * browser reaches no network. With CORS, as unpkg answers (Playwright would add it anyway).
 */
async function serveUnpkgFromInstalledPackage(
  page: Page,
  alter: (name: string, body: Buffer) => Buffer = (_, body) => body,
): Promise<void> {
  await page.route('https://unpkg.com/**', (route) => {
    const name = new URL(route.request().url()).pathname.split('/').pop() ?? '';
    const type = name.endsWith('.css') ? 'text/css' : 'text/javascript';
    return route.fulfill({
      status: 200,
      headers: { 'content-type': type, 'access-control-allow-origin': '*' },
      body: alter(name, readFileSync(join(SWAGGER_UI_DIST, name))),
    });
  });
}
