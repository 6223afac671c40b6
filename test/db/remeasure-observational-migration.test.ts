import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { migrateDatabase } from '../../src/db/migrate';
import { createCampaign } from '../helpers/campaigns';
import { migrateEmptyDatabaseTo } from '../helpers/migrate-to';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createTestDatabase } from '../helpers/test-database';

/**
 * Migrations 0035 and 0037: observational estimates stored by an earlier model (0035: before
 * weeks without any ticket counted as missing, an imported log that stops read as years of
 * zeros; 0037: before a recent shift's size had a normal prior) are dropped, so the next
 * measure-campaigns run, or the report meanwhile, measures them again; holdout measurements
 * stay stored.
 */
describe.each([
  ['0035', '0034_import_repeated_rows'],
  ['0037', '0036_remeasure_exposure_start'],
])('migration %s over stored measurements', (_, before) => {
  let t: TestApp;
  beforeAll(async () => {
    const database = await createTestDatabase();
    await migrateEmptyDatabaseTo(database, before);
    t = await startTestApp({ database });
  });
  afterAll(() => t?.close());

  it('drops the stored observational estimates and keeps the holdout measurements', async () => {
    const campaign = async (holdoutPercent: number) => {
      const created = await createCampaign(t, {
        channels: ['banner'],
        title: `Holdout ${holdoutPercent}%`,
        body: 'Invoices move to the 9th.',
        holdout_percent: holdoutPercent,
        starts_at: '2026-03-09T09:00:00Z',
        ends_at: '2026-03-16T09:00:00Z',
      });
      return created.id as string;
    };
    const observational = await campaign(0);
    const holdout = await campaign(20);
    const stored = (id: string, estimate: string | null) => sql`
      insert into campaign_measurements (campaign_id, window_end, measured_at, measurement, observational)
      values (${id}, '2026-03-30T09:00:00Z', '2026-04-01T00:00:00Z', '{}'::jsonb, ${estimate}::jsonb)`;
    await t.deps.db.execute(stored(observational, '{"status":"ok","expected":0.0003}'));
    await t.deps.db.execute(stored(holdout, null));

    await migrateDatabase(t.database);

    const left = rowsOf<{ campaign_id: string }>(
      await t.deps.db.execute(sql`select campaign_id from campaign_measurements`),
    );
    expect(left.map((row) => row.campaign_id)).toEqual([holdout]);
  });
});
