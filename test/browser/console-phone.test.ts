import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectPolicyRefusals, launchChromium, SCREENSHOT_DIR } from '../helpers/browser';
import { serveTestApp } from '../helpers/serve-app';
import { sharedDataHead } from '../helpers/shared-data';
import { startTestApp, type TestApp } from '../helpers/test-app';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

/** Every page the console's bar links an admin to, and the pages a few clicks in. */
const PAGES = [
  '/console',
  '/console/campaigns',
  '/console/campaigns/new',
  '/console/status',
  '/console/reasons',
  '/console/events',
  '/console/events/new',
  '/console/import',
  '/console/spikes',
  '/console/reports?from=2025-01-01&to=2025-03-31',
  '/console/accounts?q=plan%3Dpro',
  '/console/api-keys',
  // A mistyped link: the console's own not-found page.
  '/console/campaigns/not-a-uuid',
];

describe('the console on a phone and a desktop', () => {
  let t: TestApp;
  let served: Awaited<ReturnType<typeof serveTestApp>>;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestApp();
    t.clock.set('2025-04-07T09:00:00Z');
    // Enough rows for the wide tables (spikes, the report's weeks, keys) to be drawn.
    await t.request('/v1/tickets/import?source=nyc&on_error=skip', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: await sharedDataHead(400),
    });
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: [{ id: 'a-rather-long-account-identifier-0001', plan: 'pro' }] },
    });
    await t.keyFor('ops', 'An ops key with a long descriptive name');
    served = await serveTestApp(t);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await served?.close();
    await t?.close();
  });

  const signedInPage = async (viewport: { width: number; height: number }) => {
    const page = await browser.newPage({ viewport });
    const refused: string[] = [];
    collectPolicyRefusals(page, refused);
    await page.goto(`${served.url}/console`);
    await page.getByLabel('API key').fill(t.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState();
    return { page, refused };
  };

  /** How far the page is wider than the window: a page that fits scrolls only down. */
  const overflow = (page: Page) =>
    // A string, so the test's TypeScript needs no DOM types.
    page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');

  /** The bar's links whose label breaks over two lines. */
  const brokenNavLabels = (page: Page) =>
    page.$$eval('header.bar nav a', (links) =>
      links.filter((link) => link.getClientRects().length > 1).map((link) => link.textContent),
    );

  it('fits every page in a phone’s width: wide tables scroll inside their box', async () => {
    const { page, refused } = await signedInPage(PHONE);
    const tooWide: string[] = [];
    for (const path of PAGES) {
      await page.goto(`${served.url}${path}`);
      const name = path.replace(/[^a-z]+/g, '-').replace(/-+$/, '');
      await page.screenshot({ path: `${SCREENSHOT_DIR}/phone${name}.png`, fullPage: true });
      const extra = await overflow(page);
      if (extra > 0) tooWide.push(`${path}: ${extra}px`);
    }
    expect(tooWide).toEqual([]);
    // The tables that were too wide are still all there, scrolled within their box.
    await page.goto(`${served.url}/console/api-keys`);
    const box = await page.evaluate<{ scroll: number; drawn: number }>(
      "(b => ({ scroll: b.scrollWidth, drawn: b.clientWidth }))(document.querySelector('.table-scroll'))",
    );
    expect(box.scroll).toBeGreaterThan(box.drawn);
    expect(refused).toEqual([]);
    await page.close();
  });

  it('keeps each link of the bar on one line, on a phone and on a desktop', async () => {
    for (const viewport of [PHONE, DESKTOP]) {
      const { page } = await signedInPage(viewport);
      expect(await brokenNavLabels(page)).toEqual([]);
      await page.screenshot({
        path: `${SCREENSHOT_DIR}/console-bar-${viewport.width}.png`,
      });
      await page.close();
    }
  });
});
