import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isHeldOut } from '../../../src/modules/campaigns/holdout';
import { measureCampaignsJob } from '../../../src/modules/jobs/definitions/measure-campaigns.job';
import { sendEmailsJob } from '../../../src/modules/jobs/definitions/send-emails.job';
import { sendReportDigest } from '../../../src/modules/reports/report-digest.service';
import { accountsWithEmails } from '../../helpers/accounts';
import { createCampaign } from '../../helpers/campaigns';
import { type FakeResend, startFakeResend } from '../../helpers/fake-resend';
import { readJson } from '../../helpers/read-json';
import { startTestApp, type TestApp } from '../../helpers/test-app';

const ACCOUNTS = 300;
const PERIOD = 'from=2026-03-02&to=2026-03-29';

/**
 * A scheduled campaign's heads-up email goes out before its start; the campaign is then
 * cancelled. It reached accounts, so it has an effect to measure: the impact API measures it,
 * and the leaders' report (JSON, CSV, page) and the measure-campaigns job account for it too,
 * shown as cancelled, with the same figures.
 */
describe('a campaign cancelled after its email went out', () => {
  let fake: FakeResend;
  let t: TestApp;
  let analystKey: string;
  let campaignId: string;
  beforeAll(async () => {
    fake = await startFakeResend({ requestsPerSecond: 20 });
    t = await startTestApp({
      env: {
        PUBLIC_URL: 'https://forestall.example.com',
        RESEND_API_KEY: fake.apiKey,
        RESEND_BASE_URL: fake.url,
        RESEND_RATE_LIMIT: '20',
        REPORT_DIGEST_TO: 'lead@example.com',
      },
    });
    analystKey = await t.keyFor('analyst');
    await t.request('/v1/reasons/billing', { method: 'PUT', json: { label: 'Billing' } });
    await accountsWithEmails(t, ACCOUNTS);
  });
  afterAll(async () => {
    await t.close();
    await fake.close();
  });

  it('is in the report, as cancelled, with the estimate the impact API gives, and the job measures it', async () => {
    t.clock.set('2026-03-04T09:00:00Z');
    const created = await createCampaign(t, {
      channels: ['email'],
      title: 'New invoices from the 9th',
      body: 'Invoices move to the 9th of the month.',
      target_reasons: ['billing'],
      holdout_percent: 20,
      starts_at: '2026-03-09T09:00:00Z',
      ends_at: '2026-03-16T09:00:00Z',
      email: { template: 'announcement', send_at: '2026-03-06T09:00:00Z' },
    });
    campaignId = created.id;
    const heldOut = (i: number) => isHeldOut(campaignId, `a-${i}`, 20);
    const treatedCount = Array.from({ length: ACCOUNTS }, (_, i) => i).filter(
      (i) => !heldOut(i),
    ).length;

    t.clock.set('2026-03-06T09:05:00Z');
    await sendEmailsJob.run(t.deps, t.clock.now(), new AbortController().signal);
    expect(fake.accepted).toHaveLength(treatedCount);
    const cancelled = await t.request(`/v1/campaigns/${campaignId}`, {
      method: 'PATCH',
      json: { status: 'cancelled' },
    });
    expect(cancelled.status, await cancelled.clone().text()).toBe(200);

    // Half the held-out accounts contact billing after the email; one treated account in four.
    // Chosen by rank within each group, not by account number: the campaign's random id draws
    // the groups, and a rule on the number could leave the groups' shares (and so the skew
    // the estimator refuses at) to chance.
    const everyNth = (indices: number[], n: number) => indices.filter((_, rank) => rank % n === 0);
    const all = Array.from({ length: ACCOUNTS }, (_, i) => i);
    const tickets = [
      ...everyNth(all.filter(heldOut), 2),
      ...everyNth(
        all.filter((i) => !heldOut(i)),
        4,
      ),
    ]
      .sort((a, b) => a - b)
      .map((i) => ({
        source: 'test',
        external_id: `b-${i}`,
        account_id: `a-${i}`,
        reason: 'Billing',
        created_at: '2026-03-10T10:00:00Z',
      }));
    // Past the planned window (14 days after the planned end, 30 March).
    t.clock.set('2026-04-06T00:00:00Z');
    expect((await t.request('/v1/tickets', { method: 'POST', json: { tickets } })).status).toBe(
      200,
    );
    await t.settle();

    const impact = await readJson(
      await t.request(`/v1/campaigns/${campaignId}/impact`, { key: analystKey }),
    );
    expect(impact).toMatchObject({ campaign_status: 'cancelled', measurement: 'final' });
    expect(impact.net.status).toBe('ok');

    const report = async (format = 'json') =>
      t.request(`/v1/reports/prevented-contacts?${PERIOD}&format=${format}`, {
        key: analystKey,
      });
    const live = await readJson(await report());
    expect(live.campaigns.map((c: { id: string }) => c.id)).toEqual([campaignId]);
    const [campaign] = live.campaigns;
    expect(campaign).toMatchObject({
      status: 'cancelled',
      method: 'holdout',
      measurement: 'final',
    });
    expect(campaign.prevented).toEqual(impact.net.prevented);
    expect(campaign.treated.accounts).toBe(impact.companion.treated.accounts);
    expect(live.totals.campaigns).toBe(1);
    expect(live.totals.prevented.estimate).toBeCloseTo(impact.net.prevented.estimate, 10);

    const csv: Record<string, string>[] = parse(await (await report('csv')).text(), {
      columns: true,
    });
    expect(csv.find((row) => row.key === campaignId && row.section === 'campaign')?.status).toBe(
      'cancelled',
    );
    expect(await (await report('html')).text()).toContain('cancelled, final (fixed horizon)');

    // The job stores its measurement, and the report reads it rather than measuring again.
    const jobRanAt = t.clock.now();
    await measureCampaignsJob.run(t.deps, jobRanAt, new AbortController().signal);
    t.clock.set(new Date(jobRanAt.getTime() + 5 * 60_000).toISOString());
    const [stored] = (await readJson(await report())).campaigns;
    expect(stored.measured_at).toBe(jobRanAt.toISOString());
    expect(stored.prevented).toEqual(impact.net.prevented);

    // The weekly digest of its start week lists it as cancelled too.
    fake.accepted.length = 0;
    expect((await sendReportDigest(t.deps, new Date('2026-03-16T07:00:00Z')))?.kind).toBe(
      'accepted',
    );
    const [digest] = fake.accepted;
    expect(digest?.text).toMatch(/New invoices from the 9th\s+cancelled, holdout, final/);
  });
});
