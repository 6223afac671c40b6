import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { launchChromium, SCREENSHOT_DIR } from '../helpers/browser';
import { startDemoPage } from '../helpers/demo-page';
import { accountToken, bannerForAcme } from '../helpers/notices';
import { serveTestApp } from '../helpers/serve-app';
import { startTestApp, type TestApp } from '../helpers/test-app';

/**
 * Counts the page's requests for acme's notices (each answered by `answer`, the API itself by
 * default), and gives how many there were once the page's paused clock has run `ms` further
 * and each has settled. Time stands still between steps, so each poll is due exactly when the
 * script scheduled it.
 */
async function countPolls(page: Page, answer = (route: Route) => route.continue()) {
  let polls = 0;
  let settled = 0;
  await page.route('**/v1/accounts/acme/notices', (route) => {
    polls += 1;
    return answer(route);
  });
  const settle = () => {
    settled += 1;
  };
  page.on('requestfinished', (r) => r.url().endsWith('/notices') && settle());
  page.on('requestfailed', (r) => r.url().endsWith('/notices') && settle());
  return async (ms: number) => {
    await page.clock.runFor(ms);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect.poll(() => settled === polls).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    return polls;
  };
}

describe('/embed.js in a real browser', () => {
  let t: TestApp;
  let served: Awaited<ReturnType<typeof serveTestApp>>;
  let demo: Awaited<ReturnType<typeof startDemoPage>>;
  let browser: Browser;
  let token = '';
  let layout: { inHead?: boolean; target?: string; pollSeconds?: string } = {};

  beforeAll(async () => {
    demo = await startDemoPage(() => ({ forestall: served.url, token, ...layout }));
    t = await startTestApp({ env: { CORS_ORIGINS: demo.url } });
    served = await serveTestApp(t);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await served?.close();
    await demo?.close();
    await t?.close();
  });

  it('shows the account its banner, dismisses it, and it stays dismissed after a reload', async () => {
    const shown = await bannerForAcme(t, {
      title: 'API maintenance tonight',
      body: 'Requests may be slower from **22:00 UTC**.',
      severity: 'maintenance',
      cta: { label: 'Details', url: 'https://status.example.com' },
      audience: {
        type: 'rule',
        all: [{ attribute: 'components', op: 'contains', value: 'API' }],
      },
    });
    const campaign = shown.campaign;
    token = shown.token;

    const page = await browser.newPage();
    const noticesLoaded = page.waitForResponse((r) =>
      r.url().endsWith('/v1/accounts/acme/notices'),
    );
    await page.goto(demo.url);
    expect((await noticesLoaded).status()).toBe(200);
    const banner = page.getByRole('status');
    await banner.waitFor();
    expect(await banner.textContent()).toContain('API maintenance tonight');
    expect(await page.locator('[data-forestall] .body strong').textContent()).toBe('22:00 UTC');
    expect(await page.getByRole('link', { name: 'Details' }).getAttribute('href')).toBe(
      'https://status.example.com',
    );
    // The page never sees an API key: only the account token is in its markup.
    expect(await page.content()).not.toContain('fst_');
    await page.screenshot({ path: `${SCREENSHOT_DIR}/embed-banner.png` });

    // Keyboard only: the link, then the dismiss button, are reachable with Tab.
    const dismissed = page.waitForResponse((r) => r.url().endsWith('/dismiss'));
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    // A string, so the test's TypeScript needs no DOM types.
    const focused = await page.evaluate(
      "document.querySelector('[data-forestall]').shadowRoot.activeElement.getAttribute('aria-label')",
    );
    expect(focused).toBe('Dismiss notice: API maintenance tonight');
    await page.keyboard.press('Enter');
    expect((await dismissed).status()).toBe(204);
    expect(await page.locator('[data-forestall] .notice').count()).toBe(0);

    const reloaded = page.waitForResponse((r) => r.url().endsWith('/v1/accounts/acme/notices'));
    await page.reload();
    expect((await reloaded).status()).toBe(200);
    await page.locator('[data-forestall]').waitFor({ state: 'attached' });
    expect(await page.locator('[data-forestall] .notice').count()).toBe(0);
    await page.screenshot({ path: `${SCREENSHOT_DIR}/embed-dismissed.png` });

    const rows = rowsOf<{ campaign_id: string }>(
      await t.deps.db.execute(
        sql`select campaign_id from notice_dismissals where account_id = 'acme'`,
      ),
    );
    expect(rows).toEqual([{ campaign_id: campaign.id }]);
  });
  it('puts notices where data-target says even when the script runs before the body is parsed, and in the page for a selector it cannot read', async () => {
    token = (await bannerForAcme(t, { title: 'Exports are slow', body: 'We are on it.' })).token;
    const page = await browser.newPage();
    try {
      layout = { inHead: true };
      await page.goto(demo.url);
      await page.locator('#notices [data-forestall] .notice').waitFor({ timeout: 10_000 });
      expect(await page.locator('#notices [data-forestall] .notice').textContent()).toContain(
        'Exports are slow',
      );

      layout = { target: '#notices[' };
      await page.goto(demo.url);
      await page.locator('[data-forestall] .notice').waitFor({ timeout: 10_000 });
      expect(await page.locator('[data-forestall] .notice').textContent()).toContain(
        'Exports are slow',
      );
    } finally {
      layout = {};
      await page.close();
    }
  });

  it('keeps what it shows and backs off quietly while the notices API is unreachable, polling no faster than every 15 s', async () => {
    token = (await bannerForAcme(t, { title: 'Imports are delayed', body: 'We are on it.' })).token;
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.addInitScript(
      "window.rejections = 0; addEventListener('unhandledrejection', () => { window.rejections += 1; });",
    );
    let offline = false;
    const pollsAfter = await countPolls(page, (route) =>
      offline ? route.abort('internetdisconnected') : route.continue(),
    );
    try {
      await page.clock.install({ time: new Date('2026-03-02T09:00:00Z') });
      await page.clock.pauseAt(new Date('2026-03-02T09:00:01Z'));
      layout = { pollSeconds: '1' };
      await page.goto(demo.url);
      const notice = page.locator('[data-forestall] .notice', { hasText: 'Imports are delayed' });
      await notice.waitFor({ timeout: 10_000 });
      expect(await pollsAfter(0)).toBe(1);
      // A page asking for a poll every second gets one every 15 s.
      expect(await pollsAfter(14_000)).toBe(1);
      expect(await pollsAfter(1_000)).toBe(2);
      offline = true;
      expect(await pollsAfter(15_000)).toBe(3);
      // Each failure doubles the wait: 30 s, then 60 s.
      expect(await pollsAfter(29_000)).toBe(3);
      expect(await pollsAfter(1_000)).toBe(4);
      expect(await pollsAfter(59_000)).toBe(4);
      expect(await pollsAfter(1_000)).toBe(5);
      expect(await notice.count()).toBe(1);
      // A success brings the normal interval back.
      offline = false;
      expect(await pollsAfter(120_000)).toBe(6);
      expect(await pollsAfter(15_000)).toBe(7);
      expect(await notice.count()).toBe(1);
      expect(await page.evaluate('window.rejections')).toBe(0);
      expect(errors).toEqual([]);
    } finally {
      layout = {};
      await page.close();
    }
  });

  it('keeps a notice hidden whose dismissal failed, and sends the dismissal again until the API takes it', async () => {
    await t.deps.db.execute(sql`truncate notice_dismissals`);
    const shown = await bannerForAcme(t, {
      title: 'Exports are paused',
      body: 'Back within the hour.',
    });
    const campaign = shown.campaign;
    token = shown.token;
    const page = await browser.newPage();
    const dismissals: string[] = [];
    let dismissAnswer: 'offline' | 'busy' | 'api' = 'offline';
    await page.route('**/dismiss', async (route) => {
      dismissals.push(dismissAnswer);
      if (dismissAnswer === 'offline') return route.abort('internetdisconnected');
      if (dismissAnswer === 'busy') return route.fulfill({ status: 503, body: '' });
      return route.continue();
    });
    const pollsAfter = await countPolls(page);
    const dismissedIn = async () =>
      rowsOf<{ campaign_id: string }>(
        await t.deps.db.execute(
          sql`select campaign_id from notice_dismissals where account_id = 'acme'`,
        ),
      );
    try {
      await page.clock.install({ time: new Date('2026-03-02T09:00:00Z') });
      await page.clock.pauseAt(new Date('2026-03-02T09:00:01Z'));
      layout = { pollSeconds: '15' };
      await page.goto(demo.url);
      const notice = page.locator('[data-forestall] .notice', { hasText: 'Exports are paused' });
      await notice.waitFor({ timeout: 10_000 });
      expect(await pollsAfter(0)).toBe(1);

      await page.getByRole('button', { name: 'Dismiss notice: Exports are paused' }).click();
      await expect.poll(() => dismissals.length).toBe(1);
      expect(await notice.count()).toBe(0);
      // The next poll still gets the notice from the API, and does not show it again.
      dismissAnswer = 'busy';
      expect(await pollsAfter(15_000)).toBe(2);
      expect(dismissals).toEqual(['offline', 'busy']);
      expect(await notice.count()).toBe(0);
      expect(await dismissedIn()).toEqual([]);

      dismissAnswer = 'api';
      expect(await pollsAfter(15_000)).toBe(3);
      expect(dismissals).toEqual(['offline', 'busy', 'api']);
      expect(await dismissedIn()).toEqual([{ campaign_id: campaign.id }]);
      // Taken: it is not sent again.
      expect(await pollsAfter(15_000)).toBe(4);
      expect(dismissals).toHaveLength(3);
      expect(await notice.count()).toBe(0);
    } finally {
      layout = {};
      await page.close();
    }
  });

  it('waits at least the Retry-After of a 503, in seconds or as a date, up to an hour, and its own back-off otherwise', async () => {
    token = (await bannerForAcme(t, { title: 'Reports are slow', body: 'We are on it.' })).token;
    // The database answers as one with no connection left would: the API says 503, Retry-After 5.
    const databaseBusy = async () => {
      await t.deps.db.execute(sql`
        create or replace function database_too_busy_row() returns boolean language plpgsql as $$
        begin raise exception 'too many connections' using errcode = '53300'; end $$`);
      await t.deps.db.execute(sql`alter table campaigns rename to campaigns_stored`);
      await t.deps.db.execute(
        sql`create view campaigns as select * from campaigns_stored where database_too_busy_row()`,
      );
      t.deps.notices.catalog.invalidate();
    };
    const databaseBack = async () => {
      await t.deps.db.execute(sql`
        do $$ begin
          if to_regclass('campaigns_stored') is not null then
            drop view campaigns;
            alter table campaigns_stored rename to campaigns;
          end if;
        end $$`);
      t.deps.notices.catalog.invalidate();
    };
    // The API's own 5 s is shorter than any back-off; a proxy in front of it may ask for longer.
    let retryAfter: string | undefined;
    const statuses: number[] = [];
    const page = await browser.newPage();
    const pollsAfter = await countPolls(page, async (route) => {
      const response = await route.fetch();
      statuses.push(response.status());
      const headers = {
        ...response.headers(),
        ...(retryAfter ? { 'retry-after': retryAfter } : {}),
      };
      await route.fulfill({ response, headers });
    });
    try {
      await page.clock.install({ time: new Date('2026-03-02T09:00:00Z') });
      await page.clock.pauseAt(new Date('2026-03-02T09:00:01Z'));
      layout = { pollSeconds: '15' };
      await page.goto(demo.url);
      const notice = page.locator('[data-forestall] .notice', { hasText: 'Reports are slow' });
      await notice.waitFor({ timeout: 10_000 });
      expect(await pollsAfter(0)).toBe(1);

      await databaseBusy();
      retryAfter = '300';
      expect(await pollsAfter(15_000)).toBe(2); // at 09:00:16, told to wait 5 minutes
      expect(statuses.at(-1)).toBe(503);
      expect(await pollsAfter(299_000)).toBe(2);
      retryAfter = 'Mon, 02 Mar 2026 09:13:16 GMT';
      expect(await pollsAfter(1_000)).toBe(3); // at 09:05:16, told to wait until 09:13:16
      expect(await pollsAfter(479_000)).toBe(3);
      retryAfter = '86400';
      expect(await pollsAfter(1_000)).toBe(4); // told to wait a day: an hour at most
      expect(await pollsAfter(3_599_000)).toBe(4);
      retryAfter = undefined;
      // The API's 5 s: the script's own back-off, doubled on each failure (30, 60, 120, 240 s).
      expect(await pollsAfter(1_000)).toBe(5);
      expect(await pollsAfter(239_000)).toBe(5);
      expect(await pollsAfter(1_000)).toBe(6);
      expect(await notice.count()).toBe(1);

      await databaseBack();
      expect(await pollsAfter(480_000)).toBe(7);
      // Its notices did not change meanwhile: the ETag it kept still holds.
      expect(statuses.at(-1)).toBe(304);
      expect(await pollsAfter(15_000)).toBe(8);
      expect(await notice.count()).toBe(1);
    } finally {
      layout = {};
      await databaseBack();
      await page.close();
    }
  });

  it('fires forestall:token-expired once per expired token and stops polling until the page gives a new one', async () => {
    token = (await bannerForAcme(t, { title: 'Invoices are late', body: 'We are on it.' })).token;
    const expireTokens = () => t.clock.advance(t.deps.config.noticeTokens.ttlSeconds * 1000 + 1);
    const page = await browser.newPage();
    await page.addInitScript(
      "window.expired = 0; document.addEventListener('forestall:token-expired', (e) => { window.expired += 1; window.expiredAccount = e.detail && e.detail.account; });",
    );
    const pollsAfter = await countPolls(page);
    const expired = () => page.evaluate('window.expired');
    try {
      await page.clock.install({ time: new Date('2026-03-02T09:00:00Z') });
      await page.clock.pauseAt(new Date('2026-03-02T09:00:01Z'));
      layout = { pollSeconds: '15' };
      await page.goto(demo.url);
      const notice = page.locator('[data-forestall] .notice', { hasText: 'Invoices are late' });
      await notice.waitFor({ timeout: 10_000 });
      expect(await pollsAfter(0)).toBe(1);

      expireTokens();
      expect(await pollsAfter(15_000)).toBe(2);
      expect(await expired()).toBe(1);
      expect(await page.evaluate('window.expiredAccount')).toBe('acme');
      // Asking again with a refused token would only be refused again: the script waits.
      expect(await pollsAfter(3_600_000)).toBe(2);
      expect(await expired()).toBe(1);
      expect(await notice.count()).toBe(1);

      // The same token handed back is still the same expiry: nothing is asked, nothing fired.
      await page.evaluate(`window.forestall.setToken(${JSON.stringify(token)})`);
      expect(await pollsAfter(60_000)).toBe(2);
      expect(await expired()).toBe(1);

      await page.evaluate(`window.forestall.setToken(${JSON.stringify(await accountToken(t))})`);
      expect(await pollsAfter(0)).toBe(3);
      expect(await pollsAfter(15_000)).toBe(4);
      expect(await notice.count()).toBe(1);

      expireTokens();
      expect(await pollsAfter(15_000)).toBe(5);
      expect(await pollsAfter(600_000)).toBe(5);
      expect(await expired()).toBe(2);
    } finally {
      layout = {};
      await page.close();
    }
  });

  it('lets a widget on another origin revalidate the public status JSON with its ETag', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(demo.url);
      // A string, so the test's TypeScript needs no DOM types.
      const answers = await page.evaluate(`(async () => {
        const url = ${JSON.stringify(`${served.url}/api/v2/status.json`)};
        const first = await fetch(url);
        await first.json();
        const etag = first.headers.get('etag');
        const again = await fetch(url, { headers: { 'if-none-match': etag }, cache: 'no-store' });
        return [first.status, etag, again.status];
      })()`);
      expect(answers).toEqual([200, expect.stringMatching(/^"[^"]+"$/), 304]);
    } finally {
      await page.close();
    }
  });

  it('lets a site on another origin frame the public status page', async () => {
    const site = createServer((_, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(`<!doctype html><html lang="en"><head><title>Help centre</title></head>
        <body><iframe title="Service status" src="${served.url}/status"></iframe></body></html>`);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    const page = await browser.newPage();
    try {
      await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
      const framed = page.frameLocator('iframe[title="Service status"]');
      await framed.getByRole('heading', { level: 1 }).waitFor({ timeout: 10_000 });
      expect(await framed.getByRole('heading', { level: 1 }).textContent()).toBeTruthy();
    } finally {
      await page.close();
      await new Promise((resolve) => site.close(resolve));
    }
  });
});
