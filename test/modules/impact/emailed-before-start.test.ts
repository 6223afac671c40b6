import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendDueEmails } from '../../../src/modules/email/delivery/send-due-emails';
import { measureAndStore } from '../../../src/modules/impact/stored-measurements';
import { accountsWithEmails } from '../../helpers/accounts';
import { createCampaign } from '../../helpers/campaigns';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';
import { ingestAll } from '../../helpers/tickets';
import { weeklyHistory } from '../../helpers/weekly-history';

/** The heads-up email goes out five days before the banner's start. */
const EMAILED = '2026-03-04T09:05:00.000Z';
const STARTS = '2026-03-09T09:00:00.000Z';
const ENDS = '2026-03-10T09:00:00.000Z';

/**
 * A campaign whose email goes out before its start (a heads-up before a maintenance) reached
 * accounts from that email: it is measured from it, by the job as soon as it is sent, and the
 * impact API says so. Measured from its start, the email's effect fell into the history the
 * observational estimate predicts from.
 */
describe('a campaign emailed before its start', () => {
  let t: TestApp;
  let analystKey: string;
  let campaignId: string;
  beforeAll(async () => {
    t = await startTestApp();
    analystKey = await t.keyFor('analyst');
    await t.request('/v1/reasons/billing', { method: 'PUT', json: { label: 'Billing' } });
    const history = weeklyHistory({
      from: '2025-01-06',
      to: '2026-02-23',
      perWeek: (week) => 20 + (week % 4),
    });
    t.clock.set('2026-03-02T09:00:00Z');
    await ingestAll(t, history);
    await accountsWithEmails(t, 10);
    const created = await createCampaign(t, {
      channels: ['email', 'banner'],
      title: 'Maintenance on Monday',
      body: 'Billing is read-only on Monday morning.',
      target_reasons: ['billing'],
      holdout_percent: 0,
      starts_at: STARTS,
      ends_at: ENDS,
      email: { template: 'announcement', send_at: '2026-03-04T09:00:00Z' },
    });
    campaignId = created.id;
  });
  afterAll(() => t.close());

  it('is measured from its first email, by the job and the impact API, which say so', async () => {
    t.clock.set('2026-03-04T08:00:00Z');
    expect(await measureAndStore(t.deps, t.clock.now())).toBe(0);

    t.clock.set(EMAILED);
    expect((await sendDueEmails(t.deps)).sent).toBe(10);
    t.clock.set('2026-03-05T09:05:00Z');
    const response = await t.request(`/v1/campaigns/${campaignId}/impact`, { key: analystKey });
    expect(response.status).toBe(200);
    const impact = await readJson(response);
    expect(impact.exposure).toEqual({
      measured_from: EMAILED,
      ends_at: ENDS,
      note: 'its email went out 5 days before its planned start; measured from its first email',
    });
    expect(impact.window.elapsed_days).toBe(1);
    expect(impact.observational.status).not.toBe('insufficient_data');
    // Before its start, the job measures it already.
    expect(await measureAndStore(t.deps, t.clock.now())).toBe(1);
  });
});
