import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/app';
import { buildDeps } from '../../../src/composition-root';
import { loadConfig } from '../../../src/config';
import { rowsOf } from '../../../src/db/json-param';
import { createLogger } from '../../../src/logger';
import { isHeldOut } from '../../../src/modules/campaigns/holdout';
import { consolidateExposures } from '../../../src/modules/notices/consolidate-exposures';
import { publishCampaign, resetNotices } from '../../helpers/notices';
import { expectProblem } from '../../helpers/problem';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const apiOutage = {
  channels: ['banner', 'status'],
  title: 'API errors',
  body: 'Some API requests fail. We are on it.',
  severity: 'critical',
  audience: { type: 'rule', all: [{ attribute: 'components', op: 'contains', value: 'api' }] },
  locales: { fr: { title: 'Erreurs de l’API', body: 'Certaines requêtes échouent.' } },
  publish: true,
};

describe('notices API', () => {
  let t: TestApp;
  let appKey: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { CORS_ORIGINS: 'https://app.example.com' } });
    appKey = await t.keyFor('app');
  });
  afterAll(() => t.close());
  beforeEach(() =>
    resetNotices(t, [
      { id: 'uses-api', components: ['API', 'Dashboard'], locale: 'fr-CA' },
      { id: 'dashboard-only', components: ['Dashboard'], locale: 'en' },
    ]),
  );

  const publish = (campaign: Record<string, unknown>) => publishCampaign(t, campaign);
  const notices = (
    account: string,
    init: { key?: string; headers?: Record<string, string> } = {},
  ) =>
    t.request(`/v1/accounts/${account}/notices`, {
      key: init.key ?? appKey,
      headers: init.headers,
    });

  it('shows a banner to the accounts its audience matches, in their locale', async () => {
    const campaign = await publish(apiOutage);
    const affected = await readJson(await notices('uses-api'));
    expect(affected).toMatchObject({ account_id: 'uses-api', locale: 'fr-CA' });
    expect(affected.notices).toEqual([
      {
        id: campaign.id,
        channels: ['banner', 'status'],
        severity: 'critical',
        title: 'Erreurs de l’API',
        body_html: '<p>Certaines requêtes échouent.</p>',
        cta: null,
        starts_at: '2026-03-02T09:00:00.000Z',
        ends_at: null,
      },
    ]);
    expect((await readJson(await notices('dashboard-only'))).notices).toEqual([]);
    const english = await readJson(
      await t.request('/v1/accounts/uses-api/notices?locale=en', { key: appKey }),
    );
    expect(english.notices[0].title).toBe('API errors');
  });

  it('follows the clock: a scheduled banner appears at its start and goes at its end', async () => {
    await publish({
      ...apiOutage,
      starts_at: '2026-03-02T10:00:00Z',
      ends_at: '2026-03-02T11:00:00Z',
    });
    expect((await readJson(await notices('uses-api'))).notices).toHaveLength(0);
    t.clock.set('2026-03-02T10:00:00Z');
    expect((await readJson(await notices('uses-api'))).notices).toHaveLength(1);
    t.clock.set('2026-03-02T11:00:00Z');
    expect((await readJson(await notices('uses-api'))).notices).toHaveLength(0);
  });

  it('answers 304 to a matching ETag and a new ETag when the notices change', async () => {
    await publish(apiOutage);
    const first = await notices('uses-api');
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    const again = await notices('uses-api', { headers: { 'if-none-match': etag ?? '' } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    // RFC 9110 compares If-None-Match weakly: a tag a proxy marked weak still matches.
    const weak = await notices('uses-api', { headers: { 'if-none-match': `W/${etag}` } });
    expect(weak.status).toBe(304);

    await publish({ ...apiOutage, title: 'Second notice', locales: {} });
    const changed = await notices('uses-api', { headers: { 'if-none-match': etag ?? '' } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(etag);
  });

  it('leaves out a dismissed notice; dismissing again is harmless', async () => {
    const campaign = await publish(apiOutage);
    const dismiss = () =>
      t.request(`/v1/accounts/uses-api/notices/${campaign.id}/dismiss`, {
        method: 'POST',
        key: appKey,
      });
    expect((await dismiss()).status).toBe(204);
    expect((await dismiss()).status).toBe(204);
    expect((await readJson(await notices('uses-api'))).notices).toEqual([]);
    await expectProblem(
      await t.request(
        '/v1/accounts/uses-api/notices/0192f0c4-0000-7000-8000-000000000000/dismiss',
        {
          method: 'POST',
          key: appKey,
        },
      ),
      404,
      'not_found',
    );
  });

  it('takes a dismissal only of a notice the account is, or was while it ran, shown: 404 and nothing stored otherwise', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `acct-${i}`);
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: ids.map((id) => ({ id, components: ['API'] })) },
    });
    const outage = await publish(apiOutage);
    const draft = await publish({ ...apiOutage, publish: false });
    const emailOnly = await publish({
      ...apiOutage,
      channels: ['email'],
      audience: { type: 'accounts', account_ids: ['uses-api', 'acct-1'] },
      email: { template: 'announcement', local_time: '09:00' },
    });
    const scheduled = await publish({ ...apiOutage, starts_at: '2026-03-02T10:00:00Z' });
    const cancelled = await publish({ ...apiOutage, starts_at: '2026-03-02T10:00:00Z' });
    const cancelling = await t.request(`/v1/campaigns/${cancelled.id}`, {
      method: 'PATCH',
      json: { status: 'cancelled' },
    });
    expect(cancelling.status).toBe(200);
    const halfHeldOut = await publish({ ...apiOutage, holdout_percent: 50 });
    const heldOut = ids.find((id) => isHeldOut(halfHeldOut.id, id, 50)) ?? '';
    const treated = ids.find((id) => !isHeldOut(halfHeldOut.id, id, 50)) ?? '';
    const ending = await publish({ ...apiOutage, ends_at: '2026-03-02T09:30:00Z' });
    const token = readJson(
      await t.request('/v1/accounts/dashboard-only/token', { method: 'POST', key: appKey }),
    );

    const dismiss = (account: string, campaignId: string, key = appKey) =>
      t.request(`/v1/accounts/${account}/notices/${campaignId}/dismiss`, { method: 'POST', key });
    const refused: [string, string, string?][] = [
      ['dashboard-only', outage.id],
      ['dashboard-only', outage.id, (await token).token],
      ['uses-api', draft.id],
      ['uses-api', emailOnly.id],
      ['acct-2', emailOnly.id],
      ['uses-api', scheduled.id],
      ['uses-api', cancelled.id],
      [heldOut, halfHeldOut.id],
    ];
    for (const [account, campaignId, key] of refused) {
      // The same answer as a notice that does not exist: nothing about the campaign is told.
      const answer = await dismiss(account, campaignId, key);
      const body = await expectProblem(answer, 404, 'not_found');
      expect(body.detail, `${account} ${campaignId}`).toBe(`Notice ${campaignId} was not found.`);
    }
    expect((await dismiss(treated, halfHeldOut.id)).status).toBe(204);
    // The banner ended while the page still showed it: the account's dismissal is still taken.
    t.clock.set('2026-03-02T09:45:00Z');
    expect((await dismiss('uses-api', ending.id)).status).toBe(204);
    expect((await dismiss('uses-api', ending.id)).status).toBe(204);
    const stored = rowsOf<{ account_id: string; campaign_id: string }>(
      await t.deps.db.execute(
        sql`select account_id, campaign_id from notice_dismissals order by account_id`,
      ),
    );
    expect(stored).toEqual(
      [
        { account_id: treated, campaign_id: halfHeldOut.id },
        { account_id: 'uses-api', campaign_id: ending.id },
      ].sort((a, b) => (a.account_id < b.account_id ? -1 : 1)),
    );
  });

  it.each(['constructor', 'toString', 'hasOwnProperty', '__proto__'])(
    'matches `attributes.%s exists` only on accounts that have that attribute',
    async (key) => {
      await t.request('/v1/accounts/has-it', {
        method: 'PUT',
        json: { attributes: JSON.parse(`{"${key}": "yes"}`) },
      });
      await publish({
        ...apiOutage,
        audience: { type: 'rule', all: [{ attribute: `attributes.${key}`, op: 'exists' }] },
      });
      expect((await readJson(await notices('uses-api'))).notices).toEqual([]);
      expect((await readJson(await notices('dashboard-only'))).notices).toEqual([]);
      // An attribute named __proto__ is kept as any other key (its own data, no prototype).
      expect((await readJson(await notices('has-it'))).notices).toHaveLength(1);
    },
  );

  it('answers 404 for an unknown account', async () => {
    await expectProblem(await notices('nobody'), 404, 'not_found');
  });

  it('holds out about 10% of the audience, the same accounts every time and on every instance, and records each exposure once', async () => {
    const ids = Array.from({ length: 600 }, (_, i) => `acct-${i}`);
    await t.request('/v1/accounts/batch', {
      method: 'POST',
      json: { accounts: ids.map((id) => ({ id, plan: 'pro' })) },
    });
    const campaign = await publish({
      ...apiOutage,
      audience: { type: 'rule', all: [{ attribute: 'plan', op: 'eq', value: 'pro' }] },
      holdout_percent: 10,
    });
    const shown = async (request: (path: string) => Response | Promise<Response>) => {
      const seen = new Set<string>();
      for (const id of ids) {
        const body = await readJson(await request(`/v1/accounts/${id}/notices`));
        if (body.notices.length > 0) seen.add(id);
      }
      return seen;
    };
    const first = await shown((path) => t.request(path, { key: appKey }));
    expect(first.size).toBeGreaterThan(600 * 0.85);
    expect(first.size).toBeLessThan(600 * 0.95);
    for (const id of ids) expect(first.has(id)).toBe(!isHeldOut(campaign.id, id, 10));

    // A second instance over the same database decides the same way.
    const other = buildDeps(loadConfig({ LOG_LEVEL: 'silent' }), t.database.db, {
      clock: t.clock,
      logger: createLogger('silent'),
    });
    const otherApp = createApp(other);
    const second = await shown((path) =>
      otherApp.request(path, { headers: { authorization: `Bearer ${appKey}` } }),
    );
    expect([...second].sort()).toEqual([...first].sort());

    await Promise.all([t.deps.notices.exposures.flush(), other.notices.exposures.flush()]);
    await consolidateExposures(t.deps);
    const groups = rowsOf<{ group: string; n: number }>(
      await t.deps.db.execute(sql`
        select "group", count(*)::int as n from exposures
        where campaign_id = ${campaign.id} group by 1 order by 1`),
    );
    expect(groups).toEqual([
      { group: 'holdout', n: 600 - first.size },
      { group: 'treated', n: first.size },
    ]);
  });

  it('keeps the first view of each campaign when the log is folded into exposures, and empties the log', async () => {
    const first = await publish(apiOutage);
    await notices('uses-api');
    await notices('uses-api'); // unchanged: not logged again
    t.clock.set('2026-03-02T09:30:00Z');
    const second = await publish({ ...apiOutage, title: 'Second', locales: {} });
    await notices('uses-api');
    await t.deps.notices.exposures.flush();
    const logged = rowsOf<{ n: number }>(
      await t.deps.db.execute(sql`select count(*)::int as n from exposure_log`),
    );
    expect(logged).toEqual([{ n: 2 }]);
    expect(await consolidateExposures(t.deps)).toBe(2);
    const rows = rowsOf<{ campaign_id: string; group: string; first_at: Date | string }>(
      await t.deps.db.execute(sql`
        select campaign_id, "group", first_at from exposures where account_id = 'uses-api'`),
    );
    const firstAt = (id: string) =>
      new Date(rows.find((r) => r.campaign_id === id)?.first_at ?? 0).toISOString();
    expect(rows).toHaveLength(2);
    expect(firstAt(first.id)).toBe('2026-03-02T09:00:00.000Z');
    expect(firstAt(second.id)).toBe('2026-03-02T09:30:00.000Z');
    expect(await consolidateExposures(t.deps)).toBe(0);
  });

  it('keeps exposures whose write failed and writes them with the next flush', async () => {
    await t.deps.db.execute(sql`truncate exposure_log`);
    await publish(apiOutage);
    await notices('uses-api');
    await t.deps.db.execute(sql`alter table exposure_log rename to exposure_log_away`);
    await expect(t.deps.notices.exposures.flush()).rejects.toThrow();
    await t.deps.db.execute(sql`alter table exposure_log_away rename to exposure_log`);
    await t.deps.notices.exposures.flush();
    const logged = rowsOf<{ account_id: string }>(
      await t.deps.db.execute(sql`select account_id from exposure_log`),
    );
    expect(logged.map((r) => r.account_id)).toEqual(['uses-api']);
  });

  it('shows a change published on one instance on another within 2 seconds', async () => {
    const other = buildDeps(loadConfig({ LOG_LEVEL: 'silent' }), t.database.db, {
      clock: t.clock,
      logger: createLogger('silent'),
    });
    const otherApp = createApp(other);
    const fromOther = async () =>
      readJson(
        await otherApp.request('/v1/accounts/uses-api/notices', {
          headers: { authorization: `Bearer ${appKey}` },
        }),
      );
    expect((await fromOther()).notices).toHaveLength(0);
    const published = performance.now();
    await publish(apiOutage);
    let elapsed = 0;
    while ((await fromOther()).notices.length === 0) {
      elapsed = performance.now() - published;
      expect(elapsed).toBeLessThan(2_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  it('drops an account another instance has cached once it changes, within 2 seconds', async () => {
    const campaign = await publish(apiOutage);
    const other = buildDeps(loadConfig({ LOG_LEVEL: 'silent' }), t.database.db, {
      clock: t.clock,
      logger: createLogger('silent'),
    });
    const otherApp = createApp(other);
    const titlesOnOther = async (account: string) =>
      (
        await readJson(
          await otherApp.request(`/v1/accounts/${account}/notices`, {
            headers: { authorization: `Bearer ${appKey}` },
          }),
        )
      ).notices.map((n: { title: string }) => n.title);
    const within2s = async (account: string, expected: string[]) => {
      const started = performance.now();
      while (JSON.stringify(await titlesOnOther(account)) !== JSON.stringify(expected)) {
        expect(performance.now() - started).toBeLessThan(2_000);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    // The other instance reads both accounts once the feed is running, and keeps them.
    await within2s('dashboard-only', []);
    await within2s('uses-api', ['Erreurs de l’API']);
    await titlesOnOther('dashboard-only');
    expect(other.notices.accounts.get('dashboard-only')).toBeDefined();

    // An attribute change made through this instance...
    await t.request('/v1/accounts/dashboard-only', {
      method: 'PUT',
      json: { components: ['Dashboard', 'API'], locale: 'en' },
    });
    await within2s('dashboard-only', ['API errors']);
    // ...a dismissal...
    await t.request(`/v1/accounts/uses-api/notices/${campaign.id}/dismiss`, {
      method: 'POST',
      key: appKey,
    });
    await within2s('uses-api', []);
    // ...and a change made in the database by hand, which no instance was told about.
    expect(other.notices.accounts.get('uses-api')).toBeDefined();
    await t.deps.db.execute(sql`delete from notice_dismissals where account_id = 'uses-api'`);
    await within2s('uses-api', ['Erreurs de l’API']);
    // A TRUNCATE names no account: every cached account is dropped.
    expect(other.notices.accounts.get('dashboard-only')).toBeDefined();
    await t.deps.db.execute(sql`truncate notice_dismissals`);
    const truncated = performance.now();
    while (other.notices.accounts.get('dashboard-only')) {
      expect(performance.now() - truncated).toBeLessThan(2_000);
      await titlesOnOther('uses-api');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  it('sees a change whose transaction commits after newer ones were already read', async () => {
    await publish(apiOutage);
    const other = buildDeps(loadConfig({ LOG_LEVEL: 'silent' }), t.database.db, {
      clock: t.clock,
      logger: createLogger('silent'),
    });
    const otherApp = createApp(other);
    const countOnOther = async (account: string) =>
      (
        await readJson(
          await otherApp.request(`/v1/accounts/${account}/notices`, {
            headers: { authorization: `Bearer ${appKey}` },
          }),
        )
      ).notices.length;
    const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await countOnOther('dashboard-only');
    await settle(600);
    expect(await countOnOther('dashboard-only')).toBe(0);
    expect(other.notices.accounts.get('dashboard-only')).toBeDefined();

    const addApi = sql`update accounts set components = '["Dashboard","API"]'::jsonb
                       where id = 'dashboard-only'`;
    if (t.database.driver === 'postgres') {
      // The slow transaction takes its id first; a quicker one commits after it, and the
      // other instance reads the change log while the slow one is still open.
      let release = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const slow = t.deps.db.transaction(async (tx) => {
        await tx.execute(addApi);
        await held;
      });
      await settle(50);
      await t.request('/v1/accounts/uses-api', {
        method: 'PUT',
        json: { components: ['API', 'Billing'], locale: 'fr-CA' },
      });
      await settle(600);
      expect(await countOnOther('dashboard-only')).toBe(0);
      await settle(600);
      expect(await countOnOther('uses-api')).toBe(1);
      release();
      await slow;
    } else {
      // One connection: transactions cannot overlap, so the change simply commits.
      await t.deps.db.execute(addApi);
    }
    const committed = performance.now();
    while ((await countOnOther('dashboard-only')) === 0) {
      expect(performance.now() - committed).toBeLessThan(2_000);
      await settle(50);
    }
  });

  describe('browser tokens', () => {
    const mint = async (account: string) => {
      const response = await t.request(`/v1/accounts/${account}/token`, {
        method: 'POST',
        key: appKey,
      });
      expect(response.status).toBe(201);
      return readJson(response);
    };

    it('reads and dismisses the notices of its own account, and nothing else', async () => {
      const campaign = await publish(apiOutage);
      const { token, expires_at } = await mint('uses-api');
      expect(token).toMatch(/^fnt_/);
      expect(expires_at).toBe('2026-03-02T09:15:00.000Z');
      expect((await readJson(await notices('uses-api', { key: token }))).notices).toHaveLength(1);
      await expectProblem(await notices('dashboard-only', { key: token }), 403, 'forbidden');
      await expectProblem(await t.request('/v1/campaigns', { key: token }), 401, 'unauthorized');
      const dismissed = await t.request(`/v1/accounts/uses-api/notices/${campaign.id}/dismiss`, {
        method: 'POST',
        key: token,
      });
      expect(dismissed.status).toBe(204);
    });

    it('refuses a token it answered before once the token expires', async () => {
      const campaign = await publish(apiOutage);
      const { token } = await mint('uses-api');
      expect((await notices('uses-api', { key: token })).status).toBe(200);
      t.clock.set('2026-03-02T09:14:59Z');
      expect((await notices('uses-api', { key: token })).status).toBe(200);
      t.clock.set('2026-03-02T09:15:00Z');
      await expectProblem(await notices('uses-api', { key: token }), 401, 'unauthorized');
      const dismissal = `/v1/accounts/uses-api/notices/${campaign.id}/dismiss`;
      const dismissed = await t.request(dismissal, { method: 'POST', key: token });
      await expectProblem(dismissed, 401, 'unauthorized');
    });

    it('refuses a forged, expired or orphaned token', async () => {
      const { token } = await mint('uses-api');
      const [body, signature] = token.slice(4).split('.');
      const forgedBody = btoa(
        JSON.stringify({ account: 'uses-api', generation: 0, expires: 4e9 }),
      ).replace(/=+$/, '');
      await expectProblem(
        await notices('uses-api', { key: `fnt_${forgedBody}.${signature}` }),
        401,
        'unauthorized',
      );
      await expectProblem(
        await notices('uses-api', { key: `fnt_${body}.x${signature}` }),
        401,
        'unauthorized',
      );

      t.clock.set('2026-03-02T09:15:00Z');
      await expectProblem(await notices('uses-api', { key: token }), 401, 'unauthorized');

      t.clock.set('2026-03-02T09:05:00Z');
      await t.request('/v1/accounts/uses-api', { method: 'DELETE' });
      await t.request('/v1/accounts/uses-api', { method: 'PUT', json: { components: ['API'] } });
      await expectProblem(await notices('uses-api', { key: token }), 401, 'unauthorized');
    });

    it('does not dismiss for an account deleted and re-created under the same id', async () => {
      const campaign = await publish(apiOutage);
      const { token } = await mint('uses-api');
      await t.request('/v1/accounts/uses-api', { method: 'DELETE' });
      t.clock.set('2026-03-02T09:05:00Z');
      await t.request('/v1/accounts/uses-api', { method: 'PUT', json: { components: ['API'] } });
      await expectProblem(
        await t.request(`/v1/accounts/uses-api/notices/${campaign.id}/dismiss`, {
          method: 'POST',
          key: token,
        }),
        401,
        'unauthorized',
      );
      const [dismissals] = rowsOf<{ n: number }>(
        await t.deps.db.execute(sql`select count(*)::int as n from notice_dismissals`),
      );
      expect(dismissals?.n).toBe(0);
    });

    it('lets only configured origins call from the browser', async () => {
      const preflight = (origin: string) =>
        t.app.request('/v1/accounts/uses-api/notices', {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'GET',
            'access-control-request-headers': 'authorization',
          },
        });
      const allowed = await preflight('https://app.example.com');
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
      expect(allowed.headers.get('access-control-allow-headers')).toContain('Authorization');
      const other = await preflight('https://evil.example.net');
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});
