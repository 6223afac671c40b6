import { sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../src/db/json-param';
import { createCampaign } from '../helpers/campaigns';
import { migrateEmptyDatabaseTo, migrateTo } from '../helpers/migrate-to';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { createTestDatabase } from '../helpers/test-database';

/**
 * Migration 0045: the key made from ADMIN_API_KEY showed the chosen secret's first 12
 * characters as its prefix, and audit trails quoted them; both now name it by a label.
 */
describe('migration 0045 over keys and trails that quote a chosen secret', () => {
  let t: TestApp;
  beforeAll(async () => {
    const database = await createTestDatabase();
    await migrateEmptyDatabaseTo(database, '0044_email_as_given');
    t = await startTestApp({ database });
  });
  afterAll(() => t?.close());

  it('replaces the chosen secret’s characters with the label, and leaves generated keys as they are', async () => {
    t.clock.set('2026-03-09T14:00:00Z');
    await t.deps.db.execute(sql`
      insert into api_keys (id, name, role, prefix, secret_hash, created_at)
      values (${uuidv7()}, 'bootstrap admin', 'admin', 'my-company-s', 'hash-of-chosen', now())`);
    const created = await createCampaign(t, {
      channels: ['banner'],
      title: 'Invoices move',
      body: 'Invoices move to the 9th.',
    });
    const generatedActor = rowsOf<{ created_by: string }>(
      await t.deps.db.execute(sql`select created_by from campaigns where id = ${created.id}`),
    )[0]?.created_by;
    expect(generatedActor).toMatch(/ \(fst_.{8}…\)$/);
    const other = await createCampaign(t, { channels: ['banner'], title: 'Other', body: 'x' });
    await t.deps.db.execute(sql`
      update campaigns set created_by = 'bootstrap admin (my-company-s…)' where id = ${created.id}`);
    await t.deps.db.execute(sql`
      update campaign_audit set actor = 'bootstrap admin (my-company-s…)'
      where campaign_id = ${created.id}`);

    await migrateTo(t.database, '0045_configured_key_prefix');

    const keys = rowsOf<{ name: string; prefix: string }>(
      await t.deps.db.execute(sql`select name, prefix from api_keys order by name`),
    );
    expect(keys.find((k) => k.name === 'bootstrap admin')?.prefix).toBe('ADMIN_API_KEY');
    expect(
      keys.filter((k) => k.name !== 'bootstrap admin').every((k) => k.prefix.startsWith('fst_')),
    ).toBe(true);
    const campaigns = rowsOf<{ id: string; created_by: string }>(
      await t.deps.db.execute(sql`select id, created_by from campaigns`),
    );
    expect(campaigns.find((c) => c.id === created.id)?.created_by).toBe(
      'bootstrap admin (ADMIN_API_KEY)',
    );
    expect(campaigns.find((c) => c.id === other.id)?.created_by).toBe(generatedActor);
    const actors = rowsOf<{ actor: string }>(
      await t.deps.db.execute(
        sql`select distinct actor from campaign_audit where campaign_id = ${created.id}`,
      ),
    );
    expect(actors).toEqual([{ actor: 'bootstrap admin (ADMIN_API_KEY)' }]);
    const everything = JSON.stringify(
      rowsOf(await t.deps.db.execute(sql`select actor from campaign_audit`)),
    );
    expect(everything).not.toContain('my-company-s');
  });
});
