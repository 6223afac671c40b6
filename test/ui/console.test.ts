import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { createCampaign } from '../helpers/campaigns';
import { consoleClient } from '../helpers/console-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe('the console over HTTP', () => {
  let t: TestApp;
  let opsKey: string;
  beforeAll(async () => {
    t = await startTestApp();
    opsKey = await t.keyFor('ops');
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: {
        accounts: [
          { id: 'acme', plan: 'pro' },
          { id: 'globex', plan: 'free' },
        ],
      },
    });
  });
  afterAll(() => t.close());

  it('sends visitors to sign in; ops sign in with a session cookie, never the key', async () => {
    const browser = consoleClient(t);
    const first = await browser.get('/console');
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/console/sign-in?next=%2Fconsole');
    const signedIn = await browser.signIn(opsKey);
    expect(signedIn.status).toBe(303);
    const cookie = signedIn.headers
      .getSetCookie()
      .find((line) => line.startsWith('forestall_console='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/console/);
    expect(cookie).not.toContain(opsKey);
    const overview = await browser.get('/console');
    expect(overview.status).toBe(200);
    const markup = await overview.text();
    expect(markup).toContain('<h1>Overview</h1>');
    expect(markup).not.toContain(opsKey);
    for (const path of [
      '/console/campaigns',
      '/console/campaigns/new',
      '/console/status',
      '/console/reasons',
    ]) {
      expect((await browser.get(path)).status, path).toBe(200);
    }
    expect((await browser.get('/console/reports')).status).toBe(403);
  });

  it('refuses app keys, unknown keys and a sign-in form from elsewhere', async () => {
    const browser = consoleClient(t);
    const app = await browser.signIn(await t.keyFor('app'));
    expect(app.status).toBe(403);
    expect(await app.text()).toContain('cannot sign in to the console');
    expect((await browser.signIn('fst_not_a_real_key_at_all_000000')).status).toBe(401);
    const forged = await consoleClient(t).post('/console/sign-in', {
      _csrf: 'guess',
      api_key: opsKey,
    });
    expect(forged.status).toBe(400);
    expect(
      forged.headers.getSetCookie().some((line) => line.startsWith('forestall_console=')),
    ).toBe(false);
  });

  it('signs in to the overview when next= holds what a Location header cannot carry', async () => {
    const sessions = async () =>
      rowsOf<{ n: number }>(
        await t.deps.db.execute(sql`select count(*)::int as n from console_sessions`),
      )[0]?.n;
    for (const next of ['/console\r\nSet-Cookie: a=b', '/console/campaigns\nX: 1']) {
      const browser = consoleClient(t);
      const before = await sessions();
      const form = await (
        await browser.get(`/console/sign-in?next=${encodeURIComponent(next)}`)
      ).text();
      const signedIn = await browser.post('/console/sign-in', {
        _csrf: browser.csrfOf(form),
        api_key: opsKey,
        next,
      });
      expect(signedIn.status, JSON.stringify(next)).toBe(303);
      expect(signedIn.headers.get('location')).toBe('/console');
      expect(await sessions()).toBe((before ?? 0) + 1);
      expect((await browser.get('/console')).status).toBe(200);
    }
  });

  it('rejects a form without its CSRF token and changes nothing', async () => {
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const response = await browser.post('/console/status/components', { name: 'Billing portal' });
    expect(response.status).toBe(403);
    const [count] = rowsOf<{ n: number }>(
      await t.deps.db.execute(
        sql`select count(*)::int as n from status_components where name = 'Billing portal'`,
      ),
    );
    expect(count?.n).toBe(0);
  });

  it('keeps an area marked in the bar on the pages under it', async () => {
    const browser = consoleClient(t);
    await browser.signIn(t.adminKey);
    const campaigns = '<a href="/console/campaigns" aria-current';
    expect(await (await browser.get('/console/campaigns')).text()).toContain(
      `${campaigns}="page">Campaigns</a>`,
    );
    const form = await (await browser.get('/console/campaigns/new')).text();
    expect(form).toContain(`${campaigns}="true">Campaigns</a>`);
    expect(form).not.toContain('<a href="/console" aria-current');
    const reports = await (await browser.get('/console/reports')).text();
    expect(reports).toContain('<a href="/console/reports" aria-current="page">Reports</a>');
    expect(reports).not.toMatch(/href="\/console\/(campaigns|status)" aria-current/);
  });

  it('sends a fresh install from the empty spikes card to Import', async () => {
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const overview = await (await browser.get('/console')).text();
    const spikes = overview.slice(overview.indexOf('id="spikes-h"'));
    expect(spikes.slice(0, spikes.indexOf('</section>'))).toMatch(
      /No verdicts yet: detection runs once tickets arrive\. <a href="\/console\/import">Import a ticket history<\/a>/,
    );
  });

  it('heads the report with its title, the period form below it', async () => {
    const browser = consoleClient(t);
    await browser.signIn(await t.keyFor('analyst'));
    const markup = await (await browser.get('/console/reports')).text();
    const heading = markup.indexOf('<h1>Prevented contacts</h1>');
    expect(heading).toBeGreaterThan(0);
    expect(markup.indexOf('action="/console/reports"')).toBeGreaterThan(heading);
  });

  it('says the campaign form takes reasons by label or alias, and groups its buttons apart', async () => {
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const form = await (await browser.get('/console/campaigns/new')).text();
    expect(form).toContain('contact reasons by label, alias or slug, comma-separated');
    expect(form).toMatch(/<div class="actions"><button[^>]*value="preview"/);
    expect(form).toContain('<section class="card email-settings">');
  });

  it('keeps what was typed and says what to fix next to the field, saving nothing', async () => {
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const csrf = browser.csrfOf(await (await browser.get('/console/campaigns/new')).text());
    const response = await browser.post('/console/campaigns', {
      _csrf: csrf,
      channels: 'banner',
      title: '',
      body: 'Typed **carefully**',
      severity: 'info',
      audience_type: 'all',
      holdout_percent: '80',
      action: 'publish',
    });
    expect(response.status).toBe(400);
    const markup = await response.text();
    expect(markup).toContain('Typed **carefully**</textarea>');
    expect(markup).toMatch(/id="title-error"/);
    expect(markup).toMatch(/id="holdout_percent-error"/);
    expect(markup).toMatch(/id="title"[^>]*aria-invalid="true"/);
    const [count] = rowsOf<{ n: number }>(
      await t.deps.db.execute(sql`select count(*)::int as n from campaigns`),
    );
    expect(count?.n).toBe(0);
  });

  it('counts the audience and previews before publishing, then publishes a banner', async () => {
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const csrf = browser.csrfOf(await (await browser.get('/console/campaigns/new')).text());
    const fields = {
      _csrf: csrf,
      channels: ['banner', 'email'],
      title: 'Pro plan maintenance',
      body: 'Read-only for **an hour**.',
      severity: 'maintenance',
      audience_type: 'rule',
      rule_join: 'all',
      attr_1: 'plan',
      op_1: 'eq',
      value_1: 'pro',
      holdout_percent: '0',
      email_template: 'maintenance',
      email_send: 'start',
    };
    const preview = await browser.post('/console/campaigns', { ...fields, action: 'preview' });
    expect(preview.status).toBe(200);
    const markup = await preview.text();
    expect(markup).toMatch(/<strong>1<\/strong> account match the audience now/);
    expect(markup).toContain('Read-only for <strong>an hour</strong>.');
    expect(markup).toContain('title="Email preview"');
    const published = await browser.post('/console/campaigns', { ...fields, action: 'publish' });
    expect(published.status).toBe(303);
    const [row] = rowsOf<{ title: string; published: boolean }>(
      await t.deps.db.execute(
        sql`select title, published_at is not null as published from campaigns`,
      ),
    );
    expect(row).toEqual({ title: 'Pro plan maintenance', published: true });
    const detail = await browser.get(published.headers.get('location') ?? '');
    expect(await detail.text()).toContain('Published.');
  });

  it('lists under Active notices what shows in the product, not email-only campaigns', async () => {
    const publish = async (title: string, channels: string[]) => {
      await createCampaign(t, {
        channels,
        title,
        body: 'New prices from April.',
        ...(channels.includes('email') ? { email: { template: 'billing' } } : {}),
      });
    };
    await publish('Price letter only', ['email']);
    await publish('Price banner', ['banner']);
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const overview = await (await browser.get('/console')).text();
    const active = /aria-labelledby="active-h"[\s\S]*?<\/section>/.exec(overview)?.[0] ?? '';
    expect(active).toContain('Price banner');
    expect(active).not.toContain('Price letter only');
  });

  it('answers a refused edit of a running campaign with 409, keeping what was typed', async () => {
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const csrf = browser.csrfOf(await (await browser.get('/console/campaigns/new')).text());
    const fields = {
      _csrf: csrf,
      channels: 'banner',
      title: 'Invoices delayed',
      body: 'Invoices arrive a day late.',
      severity: 'info',
      audience_type: 'all',
      holdout_percent: '10',
    };
    const published = await browser.post('/console/campaigns', { ...fields, action: 'publish' });
    expect(published.status).toBe(303);
    const id = published.headers.get('location')?.match(/campaigns\/([0-9a-f-]{36})/)?.[1];
    expect(id).toBeDefined();
    const edited = await browser.post(`/console/campaigns/${id}/edit`, {
      ...fields,
      title: 'Invoices delayed by a day',
      holdout_percent: '30',
      action: 'save',
    });
    expect(edited.status).toBe(409);
    const markup = await edited.text();
    expect(markup).toContain('holdout_percent cannot change');
    expect(markup).toContain('value="Invoices delayed by a day"');
    const [row] = rowsOf<{ title: string; holdout_percent: number }>(
      await t.deps.db.execute(sql`select title, holdout_percent from campaigns where id = ${id}`),
    );
    expect(row).toEqual({ title: 'Invoices delayed', holdout_percent: 10 });
  });

  it('refuses a form body over BODY_LIMIT_BYTES with 413', async () => {
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const response = await browser.post('/console/campaigns', {
      body: 'x'.repeat(6 * 1024 * 1024),
    });
    expect(response.status).toBe(413);
  });

  it('signs out: the cookie no longer opens the console', async () => {
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const csrf = browser.csrfOf(await (await browser.get('/console')).text());
    const stale = new Map(browser.cookies);
    expect((await browser.post('/console/sign-out', { _csrf: csrf })).status).toBe(303);
    browser.cookies.clear();
    for (const [k, v] of stale) browser.cookies.set(k, v);
    expect((await browser.get('/console')).status).toBe(303);
  });

  it('serves its pages under a strict content security policy, never framed', async () => {
    const browser = consoleClient(t);
    const pages = [await browser.get('/console/sign-in')];
    await browser.signIn(opsKey);
    for (const path of ['/console', '/console/campaigns/new', '/console/reports']) {
      pages.push(await browser.get(path));
    }
    expect(pages.map((page) => page.status)).toEqual([200, 200, 200, 403]);
    for (const page of pages) {
      const policy = page.headers.get('content-security-policy') ?? '';
      expect(policy.split('; ')).toEqual(
        expect.arrayContaining([
          "default-src 'self'",
          "script-src 'self'",
          "object-src 'none'",
          "frame-ancestors 'none'",
        ]),
      );
      expect(page.headers.get('x-content-type-options')).toBe('nosniff');
      expect(page.headers.get('referrer-policy')).toBe('no-referrer');
      // Nothing the policy blocks: every script is a file of the console's own.
      expect(await page.text()).not.toMatch(/<script(?![^>]*\bsrc="\/)/);
    }
    // The embeddable script runs in other sites' pages, under their policies.
    const embed = await t.request('/embed.js', { key: null });
    expect(embed.status).toBe(200);
    expect(embed.headers.get('content-security-policy')).toBeNull();
  });

  it('marks the sign-in cookie Secure behind https, and clears it once signed in', async () => {
    const signInCookie = (response: Response) =>
      response.headers.getSetCookie().find((line) => line.startsWith('forestall_sign_in='));
    const plain = consoleClient(t);
    expect(signInCookie(await plain.get('/console/sign-in'))).not.toMatch(/Secure/);

    const https = await startTestApp({ env: { PUBLIC_URL: 'https://forestall.example' } });
    try {
      const browser = consoleClient(https);
      const issued = signInCookie(await browser.get('/console/sign-in'));
      expect(issued).toMatch(/HttpOnly/);
      expect(issued).toMatch(/; Secure/);
      const signedIn = await browser.signIn(await https.keyFor('ops'));
      expect(signedIn.status).toBe(303);
      const cleared = signInCookie(signedIn);
      expect(cleared).toMatch(/^forestall_sign_in=;/);
      expect(cleared).toMatch(/Max-Age=0/);
      expect(cleared).toMatch(/Path=\/console/);
      expect(cleared).toMatch(/; Secure/);
      expect((await browser.get('/console')).status).toBe(200);
    } finally {
      await https.close();
    }
  });
});
