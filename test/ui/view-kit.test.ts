import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaign } from '../helpers/campaigns';
import { consoleClient } from '../helpers/console-client';
import { startTestApp, type TestApp } from '../helpers/test-app';

const HOSTILE = '<img src=x onerror=alert(1)>';
const stylesheetOf = (markup: string) =>
  /<link rel="stylesheet" href="([^"]+)"/.exec(markup)?.[1] ?? '';
const consoleLinks = (markup: string) =>
  [...markup.matchAll(/href="(\/console[^"]*)"/g)].map((m) =>
    (m[1] ?? '').replaceAll('&amp;', '&'),
  );

describe('the view kit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts: [{ id: 'acme' }] } });
    await t.request('/v1/status/components', { method: 'POST', json: { name: 'API' } });
    const campaign = (title: string) => createCampaign(t, { channels: ['banner'], title });
    await campaign(HOSTILE);
    for (let i = 0; i < 100; i++) await campaign(`Campaign ${i}`);
    await t.request('/v1/status/incidents', {
      method: 'POST',
      json: { name: 'Login failures', body: 'Looking into it.', notify_accounts: false },
    });
  });
  afterAll(() => t.close());

  it('gives every page the same stylesheet, served as an asset browsers keep', async () => {
    const browser = consoleClient(t);
    await browser.signIn(await t.keyFor('analyst'));
    const pages = [
      await (await browser.get('/console')).text(),
      await (await t.request('/status', { key: null })).text(),
      await (await t.request('/unsubscribe/not-a-token', { key: null })).text(),
      await (await t.request('/v1/reports/prevented-contacts?format=html')).text(),
    ];
    const stylesheets = new Set(pages.map(stylesheetOf));
    expect(stylesheets.size).toBe(1);
    const [path = ''] = stylesheets;
    expect(path).toMatch(/^\/assets\/forestall-[0-9a-f]{12}\.css$/);
    for (const markup of pages) expect(markup.split('</head>')[0]).not.toContain('<style');
    const css = await t.request(path, { key: null });
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
  });

  it('escapes what users typed on every page that shows it', async () => {
    const browser = consoleClient(t);
    await browser.signIn(await t.keyFor('ops'));
    const first = await (await browser.get('/console/campaigns')).text();
    const next = /href="(\/console\/campaigns\?cursor=[^"]+)">Next page/.exec(first)?.[1] ?? '';
    // The oldest campaign, so on the second page.
    const listed = await (await browser.get(next)).text();
    expect(listed).not.toContain(HOSTILE);
    expect(listed).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it.each(['analyst', 'ops'] as const)(
    'links a %s only to console pages it may open',
    async (role) => {
      const browser = consoleClient(t);
      await browser.signIn(await t.keyFor(role));
      const seen = new Set<string>();
      for (const start of [
        '/console',
        '/console/reasons',
        '/console/campaigns',
        '/console/status',
      ]) {
        const page = await browser.get(start);
        if (page.status === 403) continue;
        for (const link of consoleLinks(await page.text())) seen.add(link);
      }
      // And one campaign's page, which links onwards.
      const campaign = [...seen].find((link) => /^\/console\/campaigns\/[0-9a-f-]{36}$/.test(link));
      if (role === 'ops' && campaign) {
        for (const link of consoleLinks(await (await browser.get(campaign)).text())) seen.add(link);
      }
      expect(seen.size).toBeGreaterThan(2);
      for (const link of seen) expect((await browser.get(link)).status, link).not.toBe(403);
      // The report is the analyst's: ops are not sent there.
      expect(seen.has('/console/reports')).toBe(role === 'analyst');
    },
  );

  it('gives every page one main landmark, the report inside the console too', async () => {
    const browser = consoleClient(t);
    await browser.signIn(await t.keyFor('analyst'));
    const pages = {
      overview: await (await browser.get('/console')).text(),
      report: await (await browser.get('/console/reports')).text(),
      'report page': await (await t.request('/v1/reports/prevented-contacts?format=html')).text(),
      status: await (await t.request('/status', { key: null })).text(),
    };
    for (const [name, markup] of Object.entries(pages)) {
      expect(markup.match(/<main[\s>]/g), name).toHaveLength(1);
    }
  });

  it('pages through more campaigns than one page holds', async () => {
    const browser = consoleClient(t);
    await browser.signIn(await t.keyFor('ops'));
    const first = await (await browser.get('/console/campaigns')).text();
    const next = /href="(\/console\/campaigns\?cursor=[^"]+)">Next page/.exec(first)?.[1] ?? '';
    expect(next).not.toBe('');
    expect(first.match(/<tr>/g)).toHaveLength(101); // the header and 100 campaigns
    const second = await (await browser.get(next)).text();
    expect(second.match(/<tr>/g)).toHaveLength(2);
    expect(second).toContain('href="/console/campaigns">First page');
    expect(second).not.toContain('Next page');
    // A cursor typed by hand starts over instead of failing.
    expect((await browser.get('/console/campaigns?cursor=zzz')).status).toBe(200);
  });

  it('proposes the step after the incident state for its next update', async () => {
    const browser = consoleClient(t);
    await browser.signIn(await t.keyFor('ops'));
    const markup = await (await browser.get('/console/status')).text();
    expect(markup).toMatch(/<option value="identified" selected="">identified<\/option>/);
    expect(markup).toContain('<span class="pill">investigating</span>');
  });

  it('isolates names and labels from other systems, so an override reverses nothing after them', async () => {
    // Stored before the API refused bidirectional overrides, or written by another system.
    const reversed = 'Ada \u202Eecnaniflo';
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: [{ id: 'initech', contacts: [{ email: 'ada@initech.test' }] }] },
    });
    await t.deps.db.execute(
      sql`update account_contacts set name = ${reversed} where email = 'ada@initech.test'`,
    );
    const startsAt = new Date(t.deps.clock.now().getTime() + 2 * 86_400_000);
    const event = await t.request('/v1/events', {
      method: 'POST',
      json: {
        kind: 'release',
        title: 'Release',
        starts_at: startsAt.toISOString(),
        ends_at: new Date(startsAt.getTime() + 3_600_000).toISOString(),
      },
    });
    expect(event.status).toBe(201);
    await t.deps.db.execute(sql`update events set title = ${reversed} where title = 'Release'`);
    const browser = consoleClient(t);
    await browser.signIn(await t.keyFor('ops'));
    const account = await (await browser.get('/console/accounts/initech')).text();
    expect(account).toContain(`<bdi>${reversed}</bdi> &lt;<bdi>ada@initech.test</bdi>&gt;`);
    const overview = await (await browser.get('/console')).text();
    expect(overview).toContain(`<bdi>${reversed}</bdi>`);
    const css = await (await t.request(stylesheetOf(overview), { key: null })).text();
    expect(css).toMatch(/a, td, th, li, \.pill[^{]*\{ unicode-bidi: isolate; \}/);
  });
});
