import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import { sendDueEmails } from '../../../src/modules/email/delivery/send-due-emails';
import {
  MEASUREMENT_METHOD_VERSION,
  measureAndStore,
  OBSERVATIONAL_METHOD_VERSION,
} from '../../../src/modules/impact/stored-measurements';
import { accountsWithEmails } from '../../helpers/accounts';
import { createCampaign } from '../../helpers/campaigns';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const ACCOUNTS = 20;

/**
 * A measurement stored by another version of the measuring code (an earlier estimator, an
 * earlier exposure rule) is not what this version would answer: the report measures the
 * campaign itself, and the job measures it again, even once it is settled.
 */
describe('measurements stored by another version of the measuring code', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.deps.db.execute(sql`truncate campaigns, accounts, events, tickets cascade`);
  });
  afterAll(() => t.close());

  it('are read as missing by the report and measured again by the job', async () => {
    t.clock.set('2026-03-02T09:00:00Z');
    await accountsWithEmails(t, ACCOUNTS);
    const created = await createCampaign(t, {
      channels: ['email'],
      title: 'New invoices',
      body: 'Invoices move to the first of the month.',
      starts_at: '2026-03-03T09:00:00Z',
      ends_at: '2026-03-05T09:00:00Z',
      holdout_percent: 50,
      email: { template: 'announcement' },
    });
    const campaignId = created.id as string;
    t.clock.set('2026-03-03T09:05:00Z');
    expect((await sendDueEmails(t.deps)).sent).toBeGreaterThan(0);
    // Settled: 30 days after its window (its end and 14 days) closed.
    t.clock.set('2026-04-20T00:00:00Z');
    const tickets = Array.from({ length: ACCOUNTS }, (_, i) => ({
      source: 'test',
      external_id: `t-${i}`,
      account_id: `a-${i}`,
      reason: 'Billing',
      created_at: '2026-03-04T10:00:00Z',
    }));
    expect((await t.request('/v1/tickets', { method: 'POST', json: { tickets } })).status).toBe(
      200,
    );
    const storedAt = t.clock.now().toISOString();
    expect(await measureAndStore(t.deps, t.clock.now())).toBe(1);
    expect(await measureAndStore(t.deps, t.clock.now())).toBe(0);

    // A stored answer this version would not give, so the test sees which one is read.
    await t.deps.db.execute(sql`
      update campaign_measurements
      set measurement = jsonb_set(measurement, '{groups,treated,contacts}', '999')`);
    t.clock.set('2026-04-20T01:00:00Z');
    const analyst = await t.keyFor('analyst');
    const reported = async () => {
      const response = await t.request(
        '/v1/reports/prevented-contacts?from=2026-03-01&to=2026-03-31',
        { key: analyst },
      );
      expect(response.status).toBe(200);
      const [campaign] = (await readJson(response)).campaigns;
      expect(campaign.id).toBe(campaignId);
      return { contacts: campaign.treated.contacts, measuredAt: campaign.measured_at };
    };
    expect(await reported()).toEqual({ contacts: 999, measuredAt: storedAt });

    await t.deps.db.execute(sql`
      update campaign_measurements set method_version = ${MEASUREMENT_METHOD_VERSION + 1}`);
    const live = await reported();
    expect(live.measuredAt).toBe(t.clock.now().toISOString());
    expect(live.contacts).toBeGreaterThan(0);
    expect(live.contacts).toBeLessThan(ACCOUNTS);

    expect(await measureAndStore(t.deps, t.clock.now())).toBe(1);
    const [row] = rowsOf<{ version: number; contacts: number }>(
      await t.deps.db.execute(sql`
        select method_version as version,
          (measurement -> 'groups' -> 'treated' ->> 'contacts')::int as contacts
        from campaign_measurements`),
    );
    expect(row).toEqual({ version: MEASUREMENT_METHOD_VERSION, contacts: live.contacts });
    expect(await measureAndStore(t.deps, t.clock.now())).toBe(0);
  });
});

/**
 * A new observational estimator re-estimates the campaigns without a holdout, the only ones it
 * measures; campaigns with a holdout keep their stored sums, which it did not change.
 */
describe('measurements stored by another version of the observational estimator', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.deps.db.execute(sql`truncate campaigns, accounts, events, tickets cascade`);
  });
  afterAll(() => t.close());

  it('are measured again for campaigns without a holdout only', async () => {
    t.clock.set('2026-03-02T09:00:00Z');
    const ids = new Map<number, string>();
    for (const holdout of [0, 10]) {
      const created = await createCampaign(t, {
        channels: ['banner'],
        title: `Holdout ${holdout}%`,
        body: 'Invoices move to the first of the month.',
        starts_at: '2026-03-03T09:00:00Z',
        ends_at: '2026-03-05T09:00:00Z',
        holdout_percent: holdout,
      });
      ids.set(holdout, created.id);
    }
    t.clock.set('2026-04-20T00:00:00Z');
    expect(await measureAndStore(t.deps, t.clock.now())).toBe(2);
    const storedAt = t.clock.now().toISOString();
    const versions = async () =>
      rowsOf<{ id: string; version: number | null }>(
        await t.deps.db.execute(sql`
          select campaign_id as id, observational_version as version from campaign_measurements`),
      );
    expect(new Map((await versions()).map((row) => [row.id, row.version]))).toEqual(
      new Map([
        [ids.get(0), OBSERVATIONAL_METHOD_VERSION],
        [ids.get(10), null],
      ]),
    );

    // As if the estimator had changed since.
    await t.deps.db.execute(sql`
      update campaign_measurements set observational_version = observational_version - 1
      where observational_version is not null`);
    t.clock.set('2026-04-20T01:00:00Z');
    const response = await t.request(
      '/v1/reports/prevented-contacts?from=2026-03-01&to=2026-03-31',
      { key: await t.keyFor('analyst') },
    );
    expect(response.status).toBe(200);
    const measuredAt = new Map(
      (await readJson(response)).campaigns.map((c: { id: string; measured_at: string }) => [
        c.id,
        c.measured_at,
      ]),
    );
    expect(measuredAt).toEqual(
      new Map([
        [ids.get(0), t.clock.now().toISOString()],
        [ids.get(10), storedAt],
      ]),
    );

    expect(await measureAndStore(t.deps, t.clock.now())).toBe(1);
    expect((await versions()).map((row) => row.version).sort()).toEqual([
      OBSERVATIONAL_METHOD_VERSION,
      null,
    ]);
    expect(await measureAndStore(t.deps, t.clock.now())).toBe(0);
  });
});

/**
 * After a new version every campaign that ever ran is measured again: a run takes chunks of
 * 25, the campaigns whose windows end last first, and stops taking more past its time budget
 * or when the process stops, so runs do not overlap; the next run goes on from there.
 */
describe('a backlog of campaigns to measure', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await t.deps.db.execute(sql`truncate campaigns, accounts, events, tickets cascade`);
  });
  afterAll(() => t.close());

  it('is measured newest first, a chunk a run past the budget, none once stopped', async () => {
    t.clock.set('2026-01-01T09:00:00Z');
    const ids: string[] = [];
    for (let day = 1; day <= 30; day++) {
      const created = await createCampaign(t, {
        channels: ['banner'],
        title: `Notice ${day}`,
        body: 'Invoices move to the first of the month.',
        starts_at: '2026-01-02T09:00:00Z',
        ends_at: new Date(Date.parse('2026-01-02T09:00:00Z') + day * 86_400_000).toISOString(),
        holdout_percent: 10,
      });
      ids.push(created.id);
    }
    t.clock.set('2026-06-01T00:00:00Z');
    const stored = async () =>
      rowsOf<{ id: string }>(
        await t.deps.db.execute(sql`select campaign_id as id from campaign_measurements`),
      )
        .map((row) => row.id)
        .sort();
    const stopped = new AbortController();
    stopped.abort();
    expect(await measureAndStore(t.deps, t.clock.now(), { stop: stopped.signal })).toBe(0);

    expect(await measureAndStore(t.deps, t.clock.now(), { budgetMs: 0 })).toBe(25);
    // The campaigns ending last: days 6 to 30.
    expect(await stored()).toEqual(ids.slice(5).sort());
    expect(await measureAndStore(t.deps, t.clock.now(), { budgetMs: 0 })).toBe(5);
    expect(await stored()).toEqual([...ids].sort());
    expect(await measureAndStore(t.deps, t.clock.now())).toBe(0);
  });
});
