import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../../src/db/json-param';
import {
  campaignReach,
  dismissedCount,
} from '../../../src/modules/campaigns/campaign-reach.service';
import { createCampaign } from '../../helpers/campaigns';
import { startTestApp, type TestApp } from '../../helpers/test-app';

describe("a campaign's reach", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('counts the dismissals of one campaign through an index on the campaign, not a scan of every campaign’s', async () => {
    const campaign = await createCampaign(t, {
      channels: ['banner'],
      title: 'New billing page',
      body: 'Invoices moved.',
      severity: 'info',
    });
    const { db } = t.deps;
    // 100 banner campaigns, 300 accounts shown each (one in ten held out) and dismissing each.
    await db.execute(
      sql`insert into accounts (id) select 'acct-' || n from generate_series(1, 300) n`,
    );
    await db.execute(sql`
      insert into campaigns
      select (jsonb_populate_record(null::campaigns,
                to_jsonb(c) || jsonb_build_object('id', gen_random_uuid()))).*
      from campaigns c, generate_series(1, 99)`);
    await db.execute(sql`
      insert into exposures (campaign_id, account_id, "group", channel, first_at)
      select c.id, a.id, case when a.id like '%0' then 'holdout' else 'treated' end, 'banner',
        timestamptz '2026-03-01T00:00:00Z'
      from campaigns c, accounts a`);
    await db.execute(sql`
      insert into notice_dismissals (account_id, campaign_id, dismissed_at)
      select a.id, c.id, timestamptz '2026-03-01T12:00:00Z' from campaigns c, accounts a`);
    await db.execute(sql`analyze notice_dismissals`);
    await db.execute(sql`analyze exposures`);
    await db.execute(sql`analyze campaigns`);

    const plan = rowsOf<{ 'QUERY PLAN': string }>(
      await db.execute(sql`explain ${dismissedCount(campaign.id)}`),
    )
      .map((row) => row['QUERY PLAN'])
      .join('\n');
    expect(plan).toContain('notice_dismissals_campaign_idx');
    expect(plan).not.toContain('Seq Scan on notice_dismissals');

    const reach = await campaignReach(t.deps, campaign as Parameters<typeof campaignReach>[1]);
    expect(reach.dismissed).toBe(270);
  });
});
