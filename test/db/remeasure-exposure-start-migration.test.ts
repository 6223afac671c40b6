import { sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { createCampaign } from '../helpers/campaigns';
import { migrateEmptyDatabaseTo, migrateTo } from '../helpers/migrate-to';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createTestDatabase } from '../helpers/test-database';

/**
 * Migration 0036: observational estimates stored while the exposure period of a back-dated
 * campaign started at its planned start, or that of a campaign cancelled after its email went
 * out at its cancellation, are dropped, so they are measured again from when the campaign
 * reached accounts; the other stored measurements stay.
 */
describe('migration 0036 over stored measurements', () => {
  let t: TestApp;
  beforeAll(async () => {
    const database = await createTestDatabase();
    await migrateEmptyDatabaseTo(database, '0035_remeasure_observational');
    t = await startTestApp({ database });
  });
  afterAll(() => t?.close());

  it('drops the observational estimates of back-dated campaigns and of those cancelled after their email', async () => {
    t.clock.set('2026-03-09T14:00:00Z');
    const campaign = async (title: string, holdoutPercent: number, startsAt: string) => {
      const created = await createCampaign(t, {
        channels: ['banner'],
        title,
        body: 'Invoices move to the 9th.',
        holdout_percent: holdoutPercent,
        starts_at: startsAt,
        ends_at: '2026-04-13T09:00:00Z',
      });
      return created.id as string;
    };
    const cancel = async (id: string) => {
      const cancelled = await t.request(`/v1/campaigns/${id}`, {
        method: 'PATCH',
        json: { status: 'cancelled' },
      });
      expect(cancelled.status, await cancelled.clone().text()).toBe(200);
    };
    const ids = {
      backDated: await campaign('Back-dated', 0, '2026-03-09T09:00:00Z'),
      backDatedHoldout: await campaign('Back-dated, held out', 20, '2026-03-09T09:00:00Z'),
      onTime: await campaign('On time', 0, '2026-03-10T09:00:00Z'),
      cancelledAfterEmail: await campaign('Cancelled after its email', 0, '2026-04-06T09:00:00Z'),
      cancelledBeforeEmail: await campaign('Cancelled before any email', 0, '2026-04-06T09:00:00Z'),
    };
    // In SQL naming its columns: the table as 0035 left it lacks the ones added since.
    const sentAt = '2026-03-09T15:00:00Z';
    await t.deps.db.execute(sql`
      insert into email_deliveries (id, campaign_id, account_id, email, time_zone, plan_id,
        status, scheduled_for, idempotency_key, sent_at, updated_at)
      values (${uuidv7()}, ${ids.cancelledAfterEmail}, 'a-1', 'person1@example.com', 'UTC',
        ${uuidv7()}, 'sent', ${sentAt}, 'sent-before-cancellation', ${sentAt}, ${sentAt})`);
    t.clock.set('2026-03-10T12:00:00Z');
    await cancel(ids.cancelledAfterEmail);
    await cancel(ids.cancelledBeforeEmail);
    for (const id of Object.values(ids)) {
      await t.deps.db.execute(sql`
        insert into campaign_measurements (campaign_id, window_end, measured_at, measurement, observational)
        values (${id}, '2026-03-24T12:00:00Z', '2026-03-25T00:00:00Z', '{}'::jsonb,
                '{"status":"ok","expected":12}'::jsonb)`);
    }

    await migrateTo(t.database, '0036_remeasure_exposure_start');

    const left = rowsOf<{ campaign_id: string }>(
      await t.deps.db.execute(sql`select campaign_id from campaign_measurements`),
    );
    expect(left.map((row) => row.campaign_id).sort()).toEqual(
      [ids.backDatedHoldout, ids.onTime, ids.cancelledBeforeEmail].sort(),
    );
  });
});
