import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { publishCampaign, resetNotices } from '../../helpers/notices';
import { readJson } from '../../helpers/read-json';
import { serveTestApp } from '../../helpers/serve-app';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const PAGE = 'https://app.example.com';

/**
 * A page on an allowed origin must be able to read an error as well as a success: its status,
 * its problem body, and the `Retry-After` of a 503 that tells it when to ask again.
 */
describe('notices API errors read by a page on another origin', () => {
  let t: TestApp;
  let served: Awaited<ReturnType<typeof serveTestApp>>;
  let token: string;
  let campaignId: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { CORS_ORIGINS: PAGE } });
    served = await serveTestApp(t);
  });
  afterAll(async () => {
    await served?.close();
    await t?.close();
  });
  beforeEach(async () => {
    await resetNotices(t, [{ id: 'acme', components: ['API'] }]);
    campaignId = (
      await publishCampaign(t, {
        channels: ['banner'],
        title: 'Exports are slow',
        body: 'We are on it.',
        severity: 'warning',
        audience: { type: 'all' },
        publish: true,
      })
    ).id;
    const appKey = await t.keyFor('app');
    token = (
      await readJson(await t.request('/v1/accounts/acme/token', { method: 'POST', key: appKey }))
    ).token;
  });
  afterEach(async () => {
    await t.deps.db.execute(sql`
      do $$ begin
        if to_regclass('campaigns_stored') is not null then
          drop view campaigns;
          alter table campaigns_stored rename to campaigns;
        end if;
      end $$`);
    await t.deps.db.execute(sql`drop trigger if exists too_busy on notice_dismissals`);
    t.deps.notices.catalog.invalidate();
  });

  // The database answers as one with no connection left would (SQLSTATE 53300): a 503.
  const tooBusy = sql`
    create or replace function database_too_busy() returns trigger language plpgsql as $$
    begin raise exception 'too many connections' using errcode = '53300'; end $$`;

  const expectReadable = async (answer: Response, status: number) => {
    expect(answer.status).toBe(status);
    expect(answer.headers.get('access-control-allow-origin')).toBe(PAGE);
    const exposed = (answer.headers.get('access-control-expose-headers') ?? '').toLowerCase();
    expect(exposed.split(',')).toEqual(expect.arrayContaining(['x-request-id']));
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(await readJson(answer)).toMatchObject({ status });
    return exposed;
  };

  it('lets the page read a 503 of the notices, with the Retry-After it is told to wait', async () => {
    await t.deps.db.execute(sql`
      create or replace function database_too_busy_row() returns boolean language plpgsql as $$
      begin raise exception 'too many connections' using errcode = '53300'; end $$`);
    await t.deps.db.execute(sql`alter table campaigns rename to campaigns_stored`);
    await t.deps.db.execute(
      sql`create view campaigns as select * from campaigns_stored where database_too_busy_row()`,
    );
    t.deps.notices.catalog.invalidate();
    const answer = await fetch(`${served.url}/v1/accounts/acme/notices`, {
      headers: { origin: PAGE, authorization: `Bearer ${token}` },
    });
    expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await expectReadable(answer, 503)).split(',')).toContain('retry-after');
  });

  it('lets the page read a 400: an account id or a locale refused, text it cannot read', async () => {
    const ask = (path: string, method = 'GET') =>
      fetch(served.url + path, {
        method,
        headers: { origin: PAGE, authorization: `Bearer ${token}` },
      });
    for (const path of [
      '/v1/accounts/a%20b/notices',
      '/v1/accounts/acme/notices?locale=x',
      '/v1/accounts/acme/notices?x=%00',
    ]) {
      const refused = await ask(path);
      expect(refused.status, path).toBe(400);
      expect(refused.headers.get('vary'), path).toContain('Origin');
      await expectReadable(refused, 400);
    }
    await expectReadable(await ask('/v1/accounts/acme/notices/not-a-uuid/dismiss', 'POST'), 400);
    await expectReadable(
      await ask(`/v1/accounts/acme/notices/${campaignId}/dismiss?x=%00`, 'POST'),
      400,
    );
  });

  it('lets the page read a 503 of a dismissal, with its Retry-After, and a 401 and 404', async () => {
    const dismiss = (id: string, bearer = token) =>
      fetch(`${served.url}/v1/accounts/acme/notices/${id}/dismiss`, {
        method: 'POST',
        headers: { origin: PAGE, authorization: `Bearer ${bearer}` },
      });
    await expectReadable(await dismiss(campaignId, 'fnt_not-a-token'), 401);
    await expectReadable(await dismiss('0190aaaa-0000-7000-8000-000000000000'), 404);
    await t.deps.db.execute(tooBusy);
    await t.deps.db.execute(sql`
      create trigger too_busy before insert on notice_dismissals
      for each row execute function database_too_busy()`);
    const busy = await dismiss(campaignId);
    expect(busy.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await expectReadable(busy, 503)).split(',')).toContain('retry-after');
  });
});
