import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { collectPolicyRefusals, launchChromium, SCREENSHOT_DIR } from '../helpers/browser';
import { startDemoPage } from '../helpers/demo-page';
import { readJson } from '../helpers/read-json';
import { serveTestApp } from '../helpers/serve-app';
import { startTestApp, type TestApp } from '../helpers/test-app';

const INCIDENT = 'Elevated API error rates';

describe('the console in a real browser', () => {
  let t: TestApp;
  let served: Awaited<ReturnType<typeof serveTestApp>>;
  let demo: Awaited<ReturnType<typeof startDemoPage>>;
  let browser: Browser;
  let token = '';
  let keys: { ops: string; analyst: string; app: string };

  beforeAll(async () => {
    demo = await startDemoPage(() => ({ forestall: served.url, token }));
    t = await startTestApp({ env: { CORS_ORIGINS: demo.url } });
    served = await serveTestApp(t);
    browser = await launchChromium();
    keys = {
      ops: await t.keyFor('ops', 'Olivia (ops)'),
      analyst: await t.keyFor('analyst', 'Ana (analyst)'),
      app: await t.keyFor('app'),
    };
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: {
        accounts: [
          { id: 'acme', components: ['API'] },
          { id: 'globex', components: ['Dashboard'] },
        ],
      },
    });
    for (const name of ['API', 'Dashboard']) {
      await t.request('/v1/status/components', { method: 'POST', json: { name } });
    }
  });
  afterAll(async () => {
    await browser?.close();
    await served?.close();
    await demo?.close();
    await t?.close();
  });

  // Console pages load all they need under their policy: Chromium reports what it refused.
  const refused: string[] = [];
  const watched = new WeakSet<Page>();
  afterEach(() => {
    expect(refused).toEqual([]);
  });

  const signIn = async (page: Page, key: string) => {
    if (!watched.has(page)) {
      watched.add(page);
      collectPolicyRefusals(page, refused);
    }
    await page.goto(`${served.url}/console`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForLoadState();
  };

  /** The demo product page for one account; true when its outage banner shows. */
  const bannerShownTo = async (account: string) => {
    token = (
      await readJson(
        await t.request(`/v1/accounts/${account}/token`, { method: 'POST', key: keys.app }),
      )
    ).token;
    const page = await browser.newPage();
    try {
      // The notices catalog refreshes within a second: give a change that long to arrive.
      for (let attempt = 0; attempt < 8; attempt++) {
        const loaded = page.waitForResponse((r) =>
          r.url().endsWith(`/v1/accounts/${account}/notices`),
        );
        await page.goto(demo.url);
        await loaded;
        await page.locator('[data-forestall]').waitFor({ state: 'attached' });
        // The notices render in a shadow root, which Playwright's CSS locators pierce.
        const text = (await page.locator('[data-forestall] .notice').allTextContents()).join(' ');
        if (text.includes(INCIDENT)) {
          await page.screenshot({ path: `${SCREENSHOT_DIR}/console-embed-${account}.png` });
          return true;
        }
        await page.waitForTimeout(250);
      }
      return false;
    } finally {
      await page.close();
    }
  };

  it('an app key cannot sign in; ops opens an incident, the affected account sees the banner and the other does not, then ops resolves it', async () => {
    const page = await browser.newPage();
    await signIn(page, keys.app);
    expect(await page.getByText('cannot sign in to the console').isVisible()).toBe(true);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/console-sign-in-refused.png` });

    await signIn(page, keys.ops);
    expect(await page.getByRole('heading', { name: 'Overview' }).isVisible()).toBe(true);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/console-overview.png`, fullPage: true });

    await page.getByRole('link', { name: 'Status' }).click();
    await page.getByLabel('What is wrong').fill(INCIDENT);
    await page.getByLabel('Message').first().fill('Some API requests fail. We are on it.');
    await page.getByLabel('Impact').selectOption('major');
    await page.getByRole('checkbox', { name: 'API' }).first().check();
    await page.getByLabel('Their status').selectOption('major_outage');
    await Promise.all([
      page.waitForURL(/\/console\/status\?done=/),
      page.getByRole('button', { name: 'Open incident and notify affected accounts' }).click(),
    ]).catch(async (error) => {
      await page.screenshot({
        path: `${SCREENSHOT_DIR}/console-status-failed.png`,
        fullPage: true,
      });
      throw error;
    });
    expect(await page.getByText(`Opened "${INCIDENT}".`).isVisible()).toBe(true);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/console-status.png`, fullPage: true });

    expect(await bannerShownTo('acme')).toBe(true);
    expect(await bannerShownTo('globex')).toBe(false);

    const incident = page.getByRole('article').filter({ hasText: INCIDENT });
    await incident.getByLabel('New state').selectOption('resolved');
    await incident.getByLabel('Update').fill('Fixed: a faulty deploy was rolled back.');
    await incident.getByRole('button', { name: 'Post update' }).click();
    await page.waitForLoadState();
    expect(await page.getByText('Resolved; its banner has ended.').isVisible()).toBe(true);
    await page.waitForTimeout(1_100);
    expect(await bannerShownTo('acme')).toBe(false);

    // Resolved too early: reopened from the recently resolved list, its banner is back.
    await page
      .getByRole('region', { name: 'Recently resolved' })
      .getByRole('link', { name: `Reopen ${INCIDENT}` })
      .click();
    await page.getByLabel('Reopen as').selectOption('identified');
    await page.getByLabel('Update').fill('The errors are back after the rollback.');
    await page.screenshot({
      path: `${SCREENSHOT_DIR}/console-status-resolved.png`,
      fullPage: true,
    });
    await Promise.all([
      page.waitForURL(/\/console\/status\?done=/),
      page.getByRole('button', { name: 'Reopen' }).click(),
    ]);
    expect(await page.getByRole('article').filter({ hasText: INCIDENT }).textContent()).toContain(
      'identified',
    );
    await page.screenshot({
      path: `${SCREENSHOT_DIR}/console-status-reopened.png`,
      fullPage: true,
    });
    await page.waitForTimeout(1_100);
    expect(await bannerShownTo('acme')).toBe(true);

    // The campaign form refreshes its preview as ops type (progressive enhancement).
    await page.goto(`${served.url}/console/campaigns/new`);
    await page.getByLabel('Title').fill('Live preview check');
    await page.getByLabel('Body').fill('Shown **as typed**');
    const slot = page.locator('#preview-slot');
    await slot.getByText('Live preview check').waitFor();
    expect(await slot.textContent()).toContain('2 accounts match the audience now');
    expect(await slot.locator('strong', { hasText: 'as typed' }).count()).toBe(1);
    await page.screenshot({
      path: `${SCREENSHOT_DIR}/console-campaign-preview.png`,
      fullPage: true,
    });

    for (const [path, name] of [
      ['/console/campaigns/new', 'campaign-new'],
      ['/console/reasons', 'reasons'],
      ['/console/campaigns', 'campaigns'],
    ]) {
      await page.goto(`${served.url}${path}`);
      await page.screenshot({ path: `${SCREENSHOT_DIR}/console-${name}.png`, fullPage: true });
    }
    await page.close();
  });

  it('the campaign form shows its email settings only with Email ticked, without any script', async () => {
    for (const width of [1280, 390]) {
      const context = await browser.newContext({
        javaScriptEnabled: false,
        viewport: { width, height: 900 },
      });
      const page = await context.newPage();
      await signIn(page, keys.ops);
      await page.goto(`${served.url}/console/campaigns/new`);
      expect(await page.getByRole('link', { name: 'Campaigns' }).getAttribute('aria-current')).toBe(
        'true',
      );
      const email = page.getByRole('heading', { name: 'Email', exact: true });
      expect(await email.isVisible()).toBe(false);
      await page.getByRole('checkbox', { name: 'Email' }).check();
      expect(await email.isVisible()).toBe(true);
      // The buttons stand apart, however the row wraps.
      const preview = await page.getByRole('button', { name: 'Preview and count' }).boundingBox();
      const draft = await page.getByRole('button', { name: 'Save draft' }).boundingBox();
      if (!preview || !draft) throw new Error('the form has no buttons');
      const apart =
        draft.x >= preview.x + preview.width + 4 || draft.y >= preview.y + preview.height + 4;
      expect(apart, JSON.stringify({ preview, draft })).toBe(true);
      await page.screenshot({
        path: `${SCREENSHOT_DIR}/console-campaign-email-${width}.png`,
        fullPage: true,
      });
      await context.close();
    }
  });

  it('ops schedules maintenance in their own time zone and it is stored in UTC', async () => {
    const context = await browser.newContext({ timezoneId: 'Europe/Berlin' });
    const page = await context.newPage();
    await signIn(page, keys.ops);
    await page.goto(`${served.url}/console/status`);
    // Relabelled with the reader's zone; typed as Berlin time (UTC+1 in January).
    await page.getByLabel('From (Europe/Berlin)').fill('2027-01-12T10:00');
    await page.getByLabel('Until (Europe/Berlin)').fill('2027-01-12T11:30');
    await page.getByLabel('Name', { exact: true }).fill('Database upgrade');
    await page.getByLabel('Message', { exact: true }).fill('The dashboard will be read-only.');
    await page.getByRole('button', { name: 'Schedule' }).click();
    await page.waitForLoadState();
    const upcoming = (
      await readJson(await t.request('/api/v2/scheduled-maintenances/upcoming.json', { key: null }))
    ).scheduled_maintenances;
    expect(upcoming).toMatchObject([
      {
        name: 'Database upgrade',
        scheduled_for: '2027-01-12T09:00:00.000Z',
        scheduled_until: '2027-01-12T10:30:00.000Z',
      },
    ]);
    await context.close();
  });

  it('an analyst signs in and reads the report with its charts, and cannot open the status tools', async () => {
    const page = await browser.newPage();
    await signIn(page, keys.analyst);
    await page.getByRole('link', { name: 'Reports' }).click();
    await page.waitForLoadState();
    expect(await page.getByRole('heading', { name: 'Prevented contacts' }).isVisible()).toBe(true);
    // Nothing was imported here: the report says so instead of drawing empty charts.
    expect(await page.getByText(/No contacts between/).isVisible()).toBe(true);
    expect(await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href')).toMatch(
      /^\/console\/reports\.csv\?from=/,
    );
    await page.screenshot({ path: `${SCREENSHOT_DIR}/console-reports.png`, fullPage: true });
    const refused = await page.goto(`${served.url}/console/status`);
    expect(refused?.status()).toBe(403);
    expect(await page.getByRole('heading', { name: 'Not allowed' }).isVisible()).toBe(true);
    await page.close();
  });
});
