import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCampaign } from '../../helpers/campaigns';
import { startPacedApp } from '../../helpers/paced-app';
import { readJson } from '../../helpers/read-json';

// Weeks are numbered from 2023-03-06, three years (156 weeks) before the campaign's week.
const CAMPAIGN_WEEK = 156;
const monday = (week: number) =>
  new Date(Date.parse('2023-03-06T00:00:00Z') + week * 7 * 86_400_000);

const paced = await startPacedApp(40);

/**
 * A workspace that imported a ticket log which stops, then receives live tickets: the weeks in
 * which it received no tickets at all are missing, not weeks of zero contacts.
 */
describe('observational estimates over weeks without any ticket', {
  timeout: paced.timeout,
}, () => {
  const t = paced.t;
  let analystKey: string;
  beforeAll(async () => {
    await t.request('/v1/reasons/billing', { method: 'PUT', json: { label: 'Billing' } });
    analystKey = await t.keyFor('analyst');
  }, paced.hookTimeout);
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.deps.db.execute(sql`truncate campaigns, tickets, reason_weeks, reason_days cascade`);
  });

  /** 30 billing contacts (with a small wobble) in each of `weeks`, then a campaign without a
   *  holdout in CAMPAIGN_WEEK, published at its start, measured two weeks after its window. */
  const estimateOver = async (
    weeks: number[],
    countOf = (week: number) => 30 + ((week * 3) % 5) - 2,
  ) => {
    const tickets: Record<string, string>[] = [];
    for (const week of weeks) {
      const count = countOf(week);
      for (let k = 0; k < count; k++) {
        tickets.push({
          source: 'log',
          external_id: `${week}-${k}`,
          account_id: `a-${k}`,
          reason: 'Billing',
          created_at: new Date(
            monday(week).getTime() + (k % 5) * 86_400_000 + 3_600_000,
          ).toISOString(),
        });
      }
    }
    t.clock.set(monday(CAMPAIGN_WEEK + 4));
    for (let i = 0; i < tickets.length; i += 5_000) {
      const batch = tickets.slice(i, i + 5_000);
      expect(
        (await t.request('/v1/tickets', { method: 'POST', json: { tickets: batch } })).status,
      ).toBe(200);
    }
    // Published when it starts: a campaign reaches accounts from its publication.
    t.clock.set(monday(CAMPAIGN_WEEK));
    const campaign = await createCampaign(t, {
      channels: ['banner'],
      title: 'New invoice layout',
      target_reasons: ['billing'],
      starts_at: monday(CAMPAIGN_WEEK).toISOString(),
      ends_at: monday(CAMPAIGN_WEEK + 1).toISOString(),
    });
    t.clock.set(monday(CAMPAIGN_WEEK + 4));
    const answer = await readJson(
      await t.request(`/v1/campaigns/${campaign.id}/impact`, { key: analystKey }),
    );
    return answer.observational;
  };
  const range = (from: number, to: number) =>
    Array.from({ length: to - from + 1 }, (_, i) => from + i);
  const live = range(CAMPAIGN_WEEK, CAMPAIGN_WEEK + 2);

  it('refuses, saying where the history stops, when no tickets came in the weeks before the campaign', async () => {
    // The imported log ends with week 59 (2024-04-22); live tickets arrive with the campaign.
    const estimate = await estimateOver([...range(0, 59), ...live]);
    expect(estimate).toEqual({
      status: 'insufficient_data',
      reason:
        'no tickets were received between 2024-04-29 and the campaign’s start: the history ' +
        'stops, so the usual level before the campaign is unknown',
    });
  });

  it('leaves out of the fit the older weeks in which no tickets came, instead of reading them as zeros', async () => {
    // A year without any ticket (an export that skipped it) between two spans of the log.
    const estimate = await estimateOver([...range(0, 49), ...range(100, 155), ...live]);
    expect(estimate).toMatchObject({
      status: 'ok',
      // The weeks with tickets; the gap is neither history nor a level shift.
      fit: { weeks: 106, level_shifts: 0 },
    });
    // The campaign changed nothing: its interval holds 0, and is not a point.
    expect(estimate.prevented.low).toBeLessThan(0);
    expect(estimate.prevented.high).toBeGreaterThan(0);
  });

  it('refuses rather than answer with a point when the history never varied', async () => {
    // 30 contacts every week: the model would learn no noise at all and give a zero-width
    // interval, though the window's count is as much a matter of chance as any week's.
    const estimate = await estimateOver([...range(0, 155), ...live], () => 30);
    expect(estimate).toEqual({
      status: 'insufficient_data',
      reason:
        'the target reasons had 30 contacts every week before the campaign: how much they ' +
        'vary by chance cannot be learned from them',
    });
  });
});
