import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { hashApiKey } from '../../src/modules/auth/api-key-secret';
import { consoleClient } from '../helpers/console-client';
import { publishCampaign } from '../helpers/notices';
import { startTestApp, type TestApp } from '../helpers/test-app';

describe('the console accounts and API keys pages', () => {
  let t: TestApp;
  let opsKey: string;
  let shownId: string;
  let dismissedId: string;
  beforeAll(async () => {
    t = await startTestApp();
    opsKey = await t.keyFor('ops');
    t.clock.set('2026-03-02T09:00:00Z');
    const accounts = Array.from({ length: 55 }, (_, i) => ({
      id: `acct-${String(i).padStart(3, '0')}`,
      plan: i % 2 === 0 ? 'pro' : 'free',
      components: i === 0 ? ['API'] : ['Dashboard'],
      attributes: { seats: i, tier: i < 3 ? 'gold' : 'basic' },
    }));
    await t.request('/v1/accounts/batch', { method: 'POST', json: { accounts } });
    shownId = (
      await publishCampaign(t, {
        channels: ['banner'],
        title: 'API errors for API users',
        body: 'Some requests fail.',
        severity: 'critical',
        audience: {
          type: 'rule',
          all: [{ attribute: 'components', op: 'contains', value: 'api' }],
        },
        publish: true,
      })
    ).id;
    dismissedId = (
      await publishCampaign(t, {
        channels: ['banner'],
        title: 'Gold tier webinar',
        body: 'Join us.',
        severity: 'info',
        audience: {
          type: 'rule',
          all: [{ attribute: 'attributes.tier', op: 'eq', value: 'gold' }],
        },
        publish: true,
      })
    ).id;
    await publishCampaign(t, {
      channels: ['banner'],
      title: 'Free plan limits',
      body: 'Limits change.',
      severity: 'warning',
      audience: { type: 'rule', all: [{ attribute: 'plan', op: 'eq', value: 'free' }] },
      publish: true,
    });
    const dismissed = await t.request(`/v1/accounts/acct-000/notices/${dismissedId}/dismiss`, {
      method: 'POST',
      key: await t.keyFor('app'),
    });
    expect(dismissed.status).toBeLessThan(300);
  });
  afterAll(() => t.close());

  it('searches accounts by id and by attribute, a page at a time', async () => {
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const byId = await (await browser.get('/console/accounts?q=acct-01')).text();
    expect(byId.match(/href="\/console\/accounts\/acct-01\d"/g)).toHaveLength(10);
    const gold = await (await browser.get('/console/accounts?q=tier%3Dgold')).text();
    expect(gold.match(/href="\/console\/accounts\/acct-\d+"/g)).toEqual([
      'href="/console/accounts/acct-000"',
      'href="/console/accounts/acct-001"',
      'href="/console/accounts/acct-002"',
    ]);
    const seats = await (await browser.get('/console/accounts?q=seats%3D7')).text();
    expect(seats.match(/href="\/console\/accounts\/acct-\d+"/g)).toEqual([
      'href="/console/accounts/acct-007"',
    ]);
    const first = await (await browser.get('/console/accounts')).text();
    expect(first.match(/href="\/console\/accounts\/acct-\d+"/g)).toHaveLength(50);
    const next = /href="(\/console\/accounts\?q=&amp;cursor=[^"]+)"/.exec(first)?.[1];
    expect(next).toBeDefined();
    const second = await (await browser.get((next ?? '').replaceAll('&amp;', '&'))).text();
    expect(second.match(/href="\/console\/accounts\/acct-\d+"/g)).toEqual([
      'href="/console/accounts/acct-050"',
      'href="/console/accounts/acct-051"',
      'href="/console/accounts/acct-052"',
      'href="/console/accounts/acct-053"',
      'href="/console/accounts/acct-054"',
    ]);
  });

  it('says what is wrong with a bad search or a forged page link, with 400', async () => {
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const forged = await browser.get('/console/accounts?cursor=zzz');
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('That page link is not one this console made');
    const badKey = await browser.get('/console/accounts?q=a%20b%21%3Dx');
    expect(badKey.status).toBe(400);
    const markup = await badKey.text();
    expect(markup).toContain('is not an attribute a search can test');
    expect(markup).toContain('value="a b!=x"');
  });

  it('finds an account by its exact id when the id holds "=", whether or not the text before it is an attribute', async () => {
    const ids = ['"><svg/onload=alert(6)>', 'plan=pro'];
    const created = await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: ids.map((id) => ({ id, plan: 'enterprise' })) },
    });
    expect(created.status).toBe(200);
    try {
      const browser = consoleClient(t);
      await browser.signIn(opsKey);
      const links = async (q: string) => {
        const page = await browser.get(`/console/accounts?q=${encodeURIComponent(q)}`);
        expect(page.status, q).toBe(200);
        return ((await page.text()).match(/href="\/console\/accounts\/[^"?]+"/g) ?? []).map(
          (href) => decodeURIComponent(href.slice('href="/console/accounts/'.length, -1)),
        );
      };
      // Not an attribute test ("\"><svg/onload" is no key): the id, or the start of one.
      expect(await links('"><svg/onload=alert(6)>')).toEqual(['"><svg/onload=alert(6)>']);
      expect(await links('"><svg/onload=al')).toEqual(['"><svg/onload=alert(6)>']);
      // An attribute test that is also an account's id finds both.
      const proPlan = await links('plan=pro');
      expect(proPlan).toContain('plan=pro');
      expect(proPlan).toContain('acct-000');
      expect(proPlan).not.toContain('acct-001');
    } finally {
      for (const id of ids) {
        await t.request(`/v1/accounts/${encodeURIComponent(id)}`, { method: 'DELETE' });
      }
    }
  });

  it("shows an account's attributes, what it sees now and why, and what it dismissed", async () => {
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const page = await browser.get('/console/accounts/acct-000');
    expect(page.status).toBe(200);
    const markup = await page.text();
    expect(markup).toContain('attributes.tier');
    expect(markup).toContain('Sees 1 of 3 live notices now.');
    const rowOf = (title: string) =>
      new RegExp(
        `${title}</a></td><td><span class="pill">([^<]+)</span></td><td>([^<]*)</td>`,
      ).exec(markup);
    expect(rowOf('API errors for API users')?.slice(1)).toEqual([
      'Shown',
      'components contains api',
    ]);
    expect(rowOf('Gold tier webinar')?.slice(1)).toEqual([
      'Dismissed by the account',
      'attributes.tier is gold',
    ]);
    expect(rowOf('Free plan limits')?.slice(1)).toEqual(['Not in the audience', 'plan is free']);
    const dismissedCard = markup.slice(markup.indexOf('id="dismissed-h"'));
    expect(dismissedCard).toContain(`/console/campaigns/${dismissedId}`);
    expect(dismissedCard).not.toContain(`/console/campaigns/${shownId}`);
    // Looking is not seeing: the console recorded no exposure for the account.
    await t.deps.notices.exposures.flush();
    const [exposed] = rowsOf<{ n: number }>(
      await t.deps.db.execute(sql`select count(*)::int as n from exposures`),
    );
    expect(exposed?.n).toBe(0);
  });

  it("pages an account's dismissals, and refuses a forged page link with 400", async () => {
    const appKey = await t.keyFor('app');
    for (let i = 0; i < 51; i++) {
      const { id } = await publishCampaign(t, {
        channels: ['banner'],
        title: `Notice ${String(i).padStart(2, '0')}`,
        body: 'Read me.',
        severity: 'info',
        audience: { type: 'rule', all: [{ attribute: 'plan', op: 'eq', value: 'free' }] },
        publish: true,
      });
      t.clock.set(new Date(Date.parse('2026-03-02T10:00:00Z') + i * 60_000).toISOString());
      await t.request(`/v1/accounts/acct-001/notices/${id}/dismiss`, {
        method: 'POST',
        key: appKey,
      });
    }
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    const first = await (await browser.get('/console/accounts/acct-001')).text();
    const dismissedOn = (markup: string) =>
      [...markup.slice(markup.indexOf('id="dismissed-h"')).matchAll(/>Notice (\d\d)</g)].map(
        (m) => m[1],
      );
    expect(dismissedOn(first)).toHaveLength(50);
    expect(dismissedOn(first)[0]).toBe('50');
    const next = /href="(\/console\/accounts\/acct-001\?dismissed=[^"#]+)#dismissed"/.exec(first);
    expect(next?.[1]).toBeDefined();
    const second = await (await browser.get(next?.[1] ?? '')).text();
    expect(dismissedOn(second)).toEqual(['00']);
    const forged = await browser.get('/console/accounts/acct-001?dismissed=zzz');
    expect(forged.status).toBe(400);
  });

  it('says an account or campaign does not exist on a console page, with 404', async () => {
    const browser = consoleClient(t);
    await browser.signIn(opsKey);
    for (const path of [
      '/console/accounts/no-such-account',
      '/console/campaigns/not-a-uuid/email',
      '/console/campaigns/01900000-0000-7000-8000-000000000000/email',
    ]) {
      const response = await browser.get(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(await response.text(), path).toContain('<h1>Not found</h1>');
    }
  });

  it('links only admins to API keys, and refuses ops with 403', async () => {
    const ops = consoleClient(t);
    await ops.signIn(opsKey);
    const overview = await (await ops.get('/console')).text();
    expect(overview).toContain('href="/console/accounts"');
    expect(overview).not.toContain('href="/console/api-keys"');
    const refused = await ops.get('/console/api-keys');
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain(
      'This page needs an admin key; you signed in with an ops key.',
    );
    const analyst = consoleClient(t);
    await analyst.signIn(await t.keyFor('analyst'));
    const analystNav = await (await analyst.get('/console')).text();
    expect(analystNav).not.toContain('href="/console/accounts"');
    expect(analystNav).not.toContain('href="/console/import"');
    expect((await analyst.get('/console/import')).status).toBe(403);
    expect((await analyst.get('/console/accounts')).status).toBe(403);
  });

  it('creates a key with a role, shows its secret once and stores only its hash, then revokes it', async () => {
    const admin = consoleClient(t);
    await admin.signIn(t.adminKey);
    const csrf = admin.csrfOf(await (await admin.get('/console/api-keys')).text());
    const created = await admin.post('/console/api-keys', {
      _csrf: csrf,
      name: 'Billing backend',
      role: 'app',
    });
    expect(created.status).toBe(200);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const markup = await created.text();
    const secret = /id="new-key-secret">([^<]+)</.exec(markup)?.[1] ?? '';
    expect(secret).toMatch(/^fst_/);
    const [row] = rowsOf<{ id: string; role: string; secret_hash: string; prefix: string }>(
      await t.deps.db.execute(
        sql`select id, role, secret_hash, prefix from api_keys where name = 'Billing backend'`,
      ),
    );
    expect(row?.role).toBe('app');
    expect(row?.secret_hash).toBe(hashApiKey(secret));
    expect(JSON.stringify(row)).not.toContain(secret);
    // The key works against the API, and the list never shows the secret again.
    const token = await t.request('/v1/accounts/acct-001/token', { method: 'POST', key: secret });
    expect(token.status).toBe(201);
    const list = await (await admin.get('/console/api-keys')).text();
    expect(list).toContain(`${row?.prefix}…`);
    expect(list).not.toContain(secret);

    const revoked = await admin.post(`/console/api-keys/${row?.id}/revoke`, { _csrf: csrf });
    expect(revoked.status).toBe(303);
    expect(await (await admin.get(revoked.headers.get('location') ?? '')).text()).toContain(
      'Revoked &quot;Billing backend&quot;',
    );
    t.deps.principals.clear();
    const refused = await t.request('/v1/accounts/acct-001/token', { method: 'POST', key: secret });
    expect(refused.status).toBe(401);
  });

  it('re-renders the form with what to fix, creating nothing, and refuses to revoke the last admin key', async () => {
    const admin = consoleClient(t);
    await admin.signIn(t.adminKey);
    const csrf = admin.csrfOf(await (await admin.get('/console/api-keys')).text());
    const bad = await admin.post('/console/api-keys', { _csrf: csrf, name: '', role: 'root' });
    expect(bad.status).toBe(400);
    const markup = await bad.text();
    expect(markup).toContain('no key was created');
    expect(markup).toMatch(/id="name-error"/);
    expect(markup).toMatch(/id="role-error"/);
    const [count] = rowsOf<{ n: number }>(
      await t.deps.db.execute(sql`select count(*)::int as n from api_keys where name = ''`),
    );
    expect(count?.n).toBe(0);
    const [self] = rowsOf<{ id: string }>(
      await t.deps.db.execute(sql`select id from api_keys where role = 'admin'`),
    );
    const last = await admin.post(`/console/api-keys/${self?.id}/revoke`, { _csrf: csrf });
    expect(last.status).toBe(409);
    expect(await last.text()).toContain('last active admin key');
    const [still] = rowsOf<{ revoked: boolean }>(
      await t.deps.db.execute(
        sql`select revoked_at is not null as revoked from api_keys where id = ${self?.id}`,
      ),
    );
    expect(still?.revoked).toBe(false);
  });
});
